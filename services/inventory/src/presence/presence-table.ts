import type { EventStore } from '@fleetwarden/eventstore';

/** One server's last-seen time, as the presence tracker flushes it. */
export interface PresenceRow {
  serverId: string;
  /** Clock time, ms since the epoch. */
  lastSeenAt: number;
  heartbeatIntervalSec: number;
}

/** Rows per statement when flushing. */
const CHUNK = 5000;

/**
 * `<schema>.inventory_presence`: last-seen time and announced heartbeat interval per server,
 * written in batches by the presence tracker and read by the gateway (`lastSeenAt`). Not an
 * event stream: heartbeats are not events.
 */
export class PresenceTable {
  readonly table: string;

  constructor(
    private readonly store: EventStore,
    private readonly schema: string,
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
    this.table = `"${schema}".inventory_presence`;
  }

  /** Creates the table when missing (safe when several instances start at once). */
  async ensure(): Promise<void> {
    await this.store.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${this.schema}:inventory_presence`]);
      await tx.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await tx.query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (
           server_id text PRIMARY KEY,
           last_seen_at timestamptz NOT NULL,
           heartbeat_interval_sec double precision NOT NULL)`,
      );
    });
  }

  /** Every stored last-seen time, ms since the epoch, by server id. */
  async load(): Promise<Map<string, number>> {
    const { rows } = await this.store.transaction((tx) =>
      tx.query<{ server_id: string; ms: string | number }>(
        `SELECT server_id, extract(epoch FROM last_seen_at) * 1000 AS ms FROM ${this.table}`,
      ),
    );
    return new Map(rows.map((r) => [r.server_id, Number(r.ms)]));
  }

  /** Upserts the rows (a later stored time is kept), one statement per 5000 rows. */
  async upsert(rows: readonly PresenceRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.store.transaction(async (tx) => {
      for (let i = 0; i < rows.length; i += CHUNK) {
        const chunk = rows.slice(i, i + CHUNK);
        await tx.query(
          `INSERT INTO ${this.table} AS p (server_id, last_seen_at, heartbeat_interval_sec)
           SELECT u.id, to_timestamp(u.ms / 1000.0), u.iv
             FROM unnest($1::text[], $2::float8[], $3::float8[]) AS u(id, ms, iv)
           ON CONFLICT (server_id) DO UPDATE
             SET last_seen_at = GREATEST(p.last_seen_at, EXCLUDED.last_seen_at),
                 heartbeat_interval_sec = EXCLUDED.heartbeat_interval_sec`,
          [chunk.map((r) => r.serverId), chunk.map((r) => r.lastSeenAt), chunk.map((r) => r.heartbeatIntervalSec)],
        );
      }
    });
  }
}
