import { Module } from '@nestjs/common';
import type { ServiceDefinition } from '@fleetwarden/platform';
import { REDUNDANCY_SERVICE_NAME } from './redundancy-service.constants';
import { PingHandler } from './ping/ping.handler';

/**
 * The redundancy service: handles `<ns>.cmd.redundancy.*` commands. Needs `PlatformModule` in the
 * application (see {@link REDUNDANCY_SERVICE} and `startServiceApp`).
 */
@Module({ controllers: [PingHandler] })
export class RedundancyServiceModule {}

/** How to run the redundancy service, alone (`main.ts`) or in the runner. */
export const REDUNDANCY_SERVICE: ServiceDefinition = {
  name: REDUNDANCY_SERVICE_NAME,
  context: 'redundancy',
  module: RedundancyServiceModule,
};
