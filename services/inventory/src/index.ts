export { InventoryServiceModule, INVENTORY_SERVICE } from './inventory-service.module';
export { INVENTORY_SERVICE_NAME } from './inventory-service.constants';
