import { PgliteDriver, PostgresDriver } from './sql-driver';
import { SqlEventStore } from './sql-event-store';
import type { UpcasterRegistry } from './upcasting';

export interface CreateEventStoreOptions {
  /** `postgres://...`: PostgreSQL. Unset: PGlite in `dataDir` (in memory when that is unset too). */
  databaseUrl?: string;
  dataDir?: string;
  /** Schema for the event store's tables (default `fleetwarden`). */
  schema?: string;
  poolSize?: number;
  upcasters?: UpcasterRegistry;
  onError?: (err: unknown, where: string) => void;
}

/** Opens the event store on PostgreSQL or PGlite. Call `migrate()` before use. */
export async function createEventStore(options: CreateEventStoreOptions = {}): Promise<SqlEventStore> {
  const driver = options.databaseUrl
    ? new PostgresDriver({ connectionString: options.databaseUrl, poolSize: options.poolSize })
    : await PgliteDriver.open(options.dataDir);
  return new SqlEventStore(driver, {
    schema: options.schema ?? 'fleetwarden',
    upcasters: options.upcasters,
    onError: options.onError,
  });
}
