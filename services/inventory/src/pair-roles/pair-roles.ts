import type { EventStore, RecordedEvent, SqlExecutor, Subscription } from '@fleetwarden/eventstore';

/** Checkpoint name of the projection. */
export const PAIR_ROLES_PROJECTION = 'inventory-pair-roles';

/** Members of redundancy pairs and which one is in control (`<schema>.inventory_pair_members`). */
export class PairRoles {
  private readonly table: string;

  constructor(
    private readonly store: EventStore,
    schema: string,
  ) {
    this.table = `${schema}.inventory_pair_members`;
  }

  async ensure(): Promise<void> {
    await this.store.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${this.table}:create`]);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
        server_id text PRIMARY KEY,
        pair_id text NOT NULL,
        role text NOT NULL,
        active_role text NOT NULL
      )`);
    });
  }

  /**
   * Projects `PairConfigured` and `ControlSwitched` (redundancy events, read from the store like the
   * inventory's own): a configuration change on the inactive member of a pair is refused.
   */
  run(options: { pollIntervalMs?: number } = {}): Subscription {
    return this.store.runProjection({
      name: PAIR_ROLES_PROJECTION,
      types: ['PairConfigured', 'ControlSwitched'],
      pollIntervalMs: options.pollIntervalMs,
      handle: (event: RecordedEvent, tx: SqlExecutor) => this.apply(event, tx),
    });
  }

  /** The pair whose inactive member `serverId` is, or null. */
  async inactiveMemberOf(serverId: string): Promise<string | null> {
    const { rows } = await this.store.transaction((tx) =>
      tx.query<{ pair_id: string }>(`SELECT pair_id FROM ${this.table} WHERE server_id = $1 AND role <> active_role`, [
        serverId,
      ]),
    );
    return rows[0]?.pair_id ?? null;
  }

  private async apply(event: RecordedEvent, tx: SqlExecutor): Promise<void> {
    const d = event.data as Record<string, string>;
    if (event.type === 'PairConfigured') {
      await tx.query(
        `INSERT INTO ${this.table} (server_id, pair_id, role, active_role) VALUES ($1, $3, 'primary', 'primary'), ($2, $3, 'secondary', 'primary')
         ON CONFLICT (server_id) DO UPDATE SET pair_id = EXCLUDED.pair_id, role = EXCLUDED.role`,
        [d.primaryServerId, d.secondaryServerId, d.pairId],
      );
    } else if (event.type === 'ControlSwitched') {
      await tx.query(`UPDATE ${this.table} SET active_role = $2 WHERE pair_id = $1`, [d.pairId, d.to]);
    }
  }
}
