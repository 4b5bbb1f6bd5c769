import type { EventStore, RecordedEvent, SqlExecutor, Subscription } from '@fleetwarden/eventstore';

/** Checkpoint name of the projection. */
export const REDUNDANCY_VIEW_PROJECTION = 'redundancy-view';

/** Names of the redundancy service's own tables in `schema`. */
export function redundancyTables(schema: string) {
  return {
    /** Servers as the inventory events describe them: tenant, whether decommissioned. */
    servers: `${schema}.redundancy_servers`,
    /** Which pair each server belongs to, and as which member. */
    members: `${schema}.redundancy_members`,
  };
}

/** Creates the tables when missing (every instance, at start). */
export async function ensureRedundancyTables(store: EventStore, schema: string): Promise<void> {
  const t = redundancyTables(schema);
  await store.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${schema}:redundancy-tables`]);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${t.servers} (
      server_id text PRIMARY KEY,
      reseller_id text NOT NULL,
      decommissioned boolean NOT NULL DEFAULT false
    )`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${t.members} (
      server_id text PRIMARY KEY,
      pair_id text NOT NULL,
      role text NOT NULL
    )`);
  });
}

const EVENT_TYPES = ['ServerRegistered', 'ServerDecommissioned', 'PairConfigured'] as const;

/**
 * The redundancy service's view: servers (tenant, decommissioned) from the inventory events and
 * pair membership from `PairConfigured`, each batch committed with its checkpoint.
 */
export function runRedundancyView(
  store: EventStore,
  schema: string,
  options: {
    pollIntervalMs?: number;
    onPairConfigured?: (pair: { pairId: string; primaryServerId: string; secondaryServerId: string }) => void;
  } = {},
): Subscription {
  const t = redundancyTables(schema);
  return store.runProjection({
    name: REDUNDANCY_VIEW_PROJECTION,
    types: EVENT_TYPES,
    pollIntervalMs: options.pollIntervalMs,
    handle: async (event: RecordedEvent, tx: SqlExecutor) => {
      const d = event.data as Record<string, unknown>;
      switch (event.type) {
        case 'ServerRegistered':
          await tx.query(
            `INSERT INTO ${t.servers} (server_id, reseller_id, decommissioned) VALUES ($1, $2, false)
             ON CONFLICT (server_id) DO UPDATE SET reseller_id = EXCLUDED.reseller_id, decommissioned = false`,
            [d.serverId, (d.reseller as { id: string }).id],
          );
          return;
        case 'ServerDecommissioned':
          await tx.query(`UPDATE ${t.servers} SET decommissioned = true WHERE server_id = $1`, [d.serverId]);
          return;
        case 'PairConfigured':
          await tx.query(
            `INSERT INTO ${t.members} (server_id, pair_id, role) VALUES ($1, $3, 'primary'), ($2, $3, 'secondary')
             ON CONFLICT (server_id) DO UPDATE SET pair_id = EXCLUDED.pair_id, role = EXCLUDED.role`,
            [d.primaryServerId, d.secondaryServerId, d.pairId],
          );
          options.onPairConfigured?.({
            pairId: String(d.pairId),
            primaryServerId: String(d.primaryServerId),
            secondaryServerId: String(d.secondaryServerId),
          });
          return;
        default:
          return;
      }
    },
  });
}
