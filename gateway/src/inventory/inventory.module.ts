import { Module, type DynamicModule } from '@nestjs/common';
import { DEFAULT_GATEWAY_OPTIONS, GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { AuthGuard } from '../auth/auth.guard';
import { ProjectionBarrier } from '../read-model/projection-barrier';
import { ReadModelDb } from '../read-model/read-model-db';
import { GroupsResolver } from './groups.resolver';
import { InventoryCommands } from './inventory-commands';
import { InventoryMutationsResolver } from './inventory-mutations.resolver';
import { InventoryProjections } from './inventory.projection';
import { InventoryReadModel } from './inventory.read-model';
import { ServerStatusFeed } from './server-status.feed';
import { ServerStatusResolver } from './server-status.resolver';
import { ServersResolver } from './servers.resolver';

const PROVIDERS = [
  ReadModelDb,
  ProjectionBarrier,
  InventoryProjections,
  InventoryReadModel,
  InventoryCommands,
  ServerStatusFeed,
  AuthGuard,
  ServersResolver,
  GroupsResolver,
  InventoryMutationsResolver,
  ServerStatusResolver,
];

/** Inventory in the gateway: projections, read models, queries, mutations and the status subscription. */
@Module({})
export class InventoryModule {
  static forRoot(options: GatewayOptions = {}): DynamicModule {
    return {
      module: InventoryModule,
      providers: [{ provide: GATEWAY_OPTIONS, useValue: { ...DEFAULT_GATEWAY_OPTIONS, ...options } }, ...PROVIDERS],
    };
  }
}
