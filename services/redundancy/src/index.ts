export { RedundancyServiceModule, REDUNDANCY_SERVICE } from './redundancy-service.module';
export { REDUNDANCY_SERVICE_NAME } from './redundancy-service.constants';
export { REDUNDANCY_SERVICE_OPTIONS, RedundancyRuntime, type RedundancyServiceOptions } from './redundancy-runtime';
