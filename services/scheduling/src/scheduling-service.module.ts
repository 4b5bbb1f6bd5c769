import { Module } from '@nestjs/common';
import type { ServiceDefinition } from '@fleetwarden/platform';
import { SCHEDULING_SERVICE_NAME } from './scheduling-service.constants';
import { PingHandler } from './ping/ping.handler';

/**
 * The scheduling service: handles `<ns>.cmd.scheduling.*` commands. Needs `PlatformModule` in the
 * application (see {@link SCHEDULING_SERVICE} and `startServiceApp`).
 */
@Module({ controllers: [PingHandler] })
export class SchedulingServiceModule {}

/** How to run the scheduling service, alone (`main.ts`) or in the runner. */
export const SCHEDULING_SERVICE: ServiceDefinition = {
  name: SCHEDULING_SERVICE_NAME,
  context: 'scheduling',
  module: SchedulingServiceModule,
};
