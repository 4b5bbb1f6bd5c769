import { Module } from '@nestjs/common';
import type { ServiceDefinition } from '@fleetwarden/platform';
import { EXECUTION_SERVICE_NAME } from './execution-service.constants';
import { PingHandler } from './ping/ping.handler';

/**
 * The execution service: handles `<ns>.cmd.execution.*` commands. Needs `PlatformModule` in the
 * application (see {@link EXECUTION_SERVICE} and `startServiceApp`).
 */
@Module({ controllers: [PingHandler] })
export class ExecutionServiceModule {}

/** How to run the execution service, alone (`main.ts`) or in the runner. */
export const EXECUTION_SERVICE: ServiceDefinition = {
  name: EXECUTION_SERVICE_NAME,
  context: 'execution',
  module: ExecutionServiceModule,
};
