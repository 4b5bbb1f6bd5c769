import { Module } from '@nestjs/common';
import type { ServiceDefinition } from '@fleetwarden/platform';
import { CancelRolloutHandler } from './cancel-rollout/cancel-rollout.handler';
import { EXECUTION_SERVICE_NAME } from './execution-service.constants';
import { ExecutionRuntime } from './execution-runtime';
import { PingHandler } from './ping/ping.handler';

/**
 * The execution service: runs each started update task as a rollout (`rollout-<taskId>`), sends
 * the work to agents on `<ns>.agent.<serverId>.cmd`, records their progress, and handles
 * `<ns>.cmd.execution.*` commands. Needs `PlatformModule` in the application (see
 * {@link EXECUTION_SERVICE} and `startServiceApp`).
 */
@Module({ controllers: [PingHandler, CancelRolloutHandler], providers: [ExecutionRuntime] })
export class ExecutionServiceModule {}

/** How to run the execution service, alone (`main.ts`) or in the runner. */
export const EXECUTION_SERVICE: ServiceDefinition = {
  name: EXECUTION_SERVICE_NAME,
  context: 'execution',
  module: ExecutionServiceModule,
};
