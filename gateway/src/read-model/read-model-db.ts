import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import type { EventStore, SqlExecutor } from '@fleetwarden/eventstore';
import { EVENT_STORE, PLATFORM_CONFIG, type FleetwardenConfig } from '@fleetwarden/platform';

/**
 * Where the gateway reads its read models: a pool of its own on PostgreSQL (one round trip per
 * query, queries of one request in parallel), or the event store's connection on PGlite (one
 * backend in this process anyway).
 */
@Injectable()
export class ReadModelDb implements SqlExecutor, OnApplicationShutdown {
  /** Quoted schema of the read models (the installation's `FLEETWARDEN_DB_SCHEMA`). */
  readonly schema: string;
  private readonly pool: Pool | undefined;

  constructor(
    @Inject(PLATFORM_CONFIG) config: FleetwardenConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {
    this.schema = `"${config.dbSchema}"`;
    if (config.databaseUrl) {
      this.pool = new Pool({
        connectionString: config.databaseUrl,
        application_name: 'fleetwarden-gateway-read',
        max: 10,
      });
      this.pool.on('error', () => undefined);
    }
  }

  async query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number }> {
    if (!this.pool) return this.store.transaction((tx) => tx.query<R>(sql, params));
    const res = await this.pool.query(sql, params);
    return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool?.end();
  }
}
