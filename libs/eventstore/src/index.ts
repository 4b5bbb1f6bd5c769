export * from './types';
export * from './errors';
export { UpcasterRegistry } from './upcasting';
export { SqlEventStore } from './sql-event-store';
export { createEventStore, type CreateEventStoreOptions } from './create-event-store';
export { PgliteDriver, PostgresDriver, type SqlDriver } from './sql-driver';
