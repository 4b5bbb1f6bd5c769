import { Module } from '@nestjs/common';
import type { ServiceDefinition } from '@fleetwarden/platform';
import { INVENTORY_SERVICE_NAME } from './inventory-service.constants';
import { PingHandler } from './ping/ping.handler';

/**
 * The inventory service: handles `<ns>.cmd.inventory.*` commands. Needs `PlatformModule` in the
 * application (see {@link INVENTORY_SERVICE} and `startServiceApp`).
 */
@Module({ controllers: [PingHandler] })
export class InventoryServiceModule {}

/** How to run the inventory service, alone (`main.ts`) or in the runner. */
export const INVENTORY_SERVICE: ServiceDefinition = {
  name: INVENTORY_SERVICE_NAME,
  context: 'inventory',
  module: InventoryServiceModule,
};
