export { ExecutionServiceModule, EXECUTION_SERVICE } from './execution-service.module';
export { EXECUTION_SERVICE_NAME } from './execution-service.constants';
