export { ExecutionServiceModule, EXECUTION_SERVICE } from './execution-service.module';
export { EXECUTION_SERVICE_NAME } from './execution-service.constants';
export { EXECUTION_SERVICE_OPTIONS, ExecutionRuntime, type ExecutionServiceOptions } from './execution-runtime';
export { ROLLOUTS_LOCK } from './rollouts/rollout-driver';
