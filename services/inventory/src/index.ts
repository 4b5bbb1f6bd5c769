export { InventoryServiceModule, INVENTORY_SERVICE } from './inventory-service.module';
export { INVENTORY_SERVICE_NAME, PRESENCE_LOCK } from './inventory-service.constants';
export { InventoryRuntime, INVENTORY_SERVICE_OPTIONS, type InventoryServiceOptions } from './inventory-runtime';
export { ServerDirectory, type DirectoryEntry, type ServerDirectoryOptions } from './server-directory/server-directory';
export { PresenceTracker, type PresenceStats, type PresenceTrackerOptions } from './presence/presence-tracker';
export { PresenceTable, type PresenceRow } from './presence/presence-table';
export { PresenceLeadership, type PresenceLeadershipOptions } from './presence/presence-leadership';
