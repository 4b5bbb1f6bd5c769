import { Logger, Module } from '@nestjs/common';
import type { EventStore } from '@fleetwarden/eventstore';
import { EVENT_STORE, type ServiceDefinition } from '@fleetwarden/platform';
import { AddServersToGroupHandler } from './add-servers-to-group/add-servers-to-group.handler';
import { CreateGroupHandler } from './create-group/create-group.handler';
import { DecommissionServerHandler } from './decommission-server/decommission-server.handler';
import { INVENTORY_SERVICE_NAME } from './inventory-service.constants';
import { InventoryRuntime } from './inventory-runtime';
import { PingHandler } from './ping/ping.handler';
import { RegisterServerHandler } from './register-server/register-server.handler';
import { RemoveGroupHandler } from './remove-group/remove-group.handler';
import { RemoveServersFromGroupHandler } from './remove-servers-from-group/remove-servers-from-group.handler';
import { RenameGroupHandler } from './rename-group/rename-group.handler';
import { ServerDirectory } from './server-directory/server-directory';
import { ServerLookup } from './server-directory/server-lookup';
import { SetServerStageHandler } from './set-server-stage/set-server-stage.handler';

/**
 * The inventory service: `<ns>.cmd.inventory.*` commands (servers and groups), the agents'
 * hellos and reports, and presence from heartbeats. Needs `PlatformModule` in the application
 * (see {@link INVENTORY_SERVICE} and `startServiceApp`).
 */
@Module({
  controllers: [
    PingHandler,
    RegisterServerHandler,
    SetServerStageHandler,
    DecommissionServerHandler,
    CreateGroupHandler,
    RenameGroupHandler,
    AddServersToGroupHandler,
    RemoveServersFromGroupHandler,
    RemoveGroupHandler,
  ],
  providers: [
    {
      provide: ServerDirectory,
      useFactory: (store: EventStore) => new ServerDirectory(store, { logger: new Logger('InventoryDirectory') }),
      inject: [EVENT_STORE],
    },
    ServerLookup,
    InventoryRuntime,
  ],
})
export class InventoryServiceModule {}

/** How to run the inventory service, alone (`main.ts`) or in the runner. */
export const INVENTORY_SERVICE: ServiceDefinition = {
  name: INVENTORY_SERVICE_NAME,
  context: 'inventory',
  module: InventoryServiceModule,
};
