import { Module, type DynamicModule } from '@nestjs/common';
import { AuthGuard } from '../auth/auth.guard';
import { DEFAULT_GATEWAY_OPTIONS, GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { ProjectionBarrier } from '../read-model/projection-barrier';
import { ReadModelDb } from '../read-model/read-model-db';
import { HaCommands } from './ha-commands';
import { HaHealthResolver } from './ha-health.resolver';
import { RedundancyChangedResolver } from './redundancy-changed.resolver';
import { RedundancyChangesFeed } from './redundancy-changes.feed';
import { RedundancyCommands } from './redundancy-commands';
import { RedundancyMutationsResolver } from './redundancy-mutations.resolver';
import { MemberResolver, RedundancyPairsResolver } from './redundancy-pairs.resolver';
import { RedundancyProjection } from './redundancy.projection';
import { RedundancyReadModel } from './redundancy.read-model';

const PROVIDERS = [
  ReadModelDb,
  ProjectionBarrier,
  RedundancyProjection,
  RedundancyReadModel,
  RedundancyCommands,
  AuthGuard,
  RedundancyPairsResolver,
  MemberResolver,
  RedundancyMutationsResolver,
  RedundancyChangesFeed,
  RedundancyChangedResolver,
  HaCommands,
  HaHealthResolver,
];

/**
 * Redundancy in the gateway: the pair projection, read model, queries, mutations and the change
 * subscription; the HA health check and HA cluster configuration.
 */
@Module({})
export class RedundancyModule {
  static forRoot(options: GatewayOptions = {}): DynamicModule {
    return {
      module: RedundancyModule,
      providers: [{ provide: GATEWAY_OPTIONS, useValue: { ...DEFAULT_GATEWAY_OPTIONS, ...options } }, ...PROVIDERS],
    };
  }
}
