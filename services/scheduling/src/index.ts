export { SchedulingServiceModule, SCHEDULING_SERVICE } from './scheduling-service.module';
export { SCHEDULING_SERVICE_NAME } from './scheduling-service.constants';
