import { Module } from '@nestjs/common';
import type { ServiceDefinition } from '@fleetwarden/platform';
import { PairCommandsHandler } from './commands/pair-commands.handler';
import { HaClusterCommandsHandler } from './ha/ha-cluster-commands.handler';
import { HaProber } from './ha/ha-prober';
import { REDUNDANCY_SERVICE_NAME } from './redundancy-service.constants';
import { RedundancyRuntime } from './redundancy-runtime';
import { PingHandler } from './ping/ping.handler';

/**
 * The redundancy service: pairs (`<ns>.cmd.redundancy.*`), the members' keep-alives, automatic
 * failover, manual switchover and the notifications of each switch; HA clusters and their health
 * checks. Needs `PlatformModule` in the application (see {@link REDUNDANCY_SERVICE} and `startServiceApp`).
 */
@Module({
  controllers: [PingHandler, PairCommandsHandler, HaClusterCommandsHandler],
  providers: [RedundancyRuntime, HaProber],
})
export class RedundancyServiceModule {}

/** How to run the redundancy service, alone (`main.ts`) or in the runner. */
export const REDUNDANCY_SERVICE: ServiceDefinition = {
  name: REDUNDANCY_SERVICE_NAME,
  context: 'redundancy',
  module: RedundancyServiceModule,
};
