import type { LoggerService } from '@nestjs/common';
import type { RolloutPairInput } from '@fleetwarden/execution-domain';
import type { EventStore } from '@fleetwarden/eventstore';
import type { EventEnvelope } from '@fleetwarden/messaging';
import { ControlSwitched, PairConfigured } from '@fleetwarden/redundancy-contracts';
import { DomainError } from '@fleetwarden/shared-domain';
import { executionTables, sql } from '../rollouts/execution-tables';
import type { RolloutDriver } from '../rollouts/rollout-driver';

/**
 * Keeps the redundancy pairs and which member is in control (a durable consumer of
 * `<ns>.events.redundancy.>`), so that a rollout updates standbys first and never both members of a
 * pair at once; a switch is passed on to the running rollouts that hold the pair.
 */
export class PairIntake {
  constructor(
    private readonly store: EventStore,
    private readonly schema: string,
    private readonly driver: RolloutDriver,
    private readonly logger: Pick<LoggerService, 'warn'>,
  ) {}

  async handle(envelope: EventEnvelope): Promise<void> {
    const t = executionTables(this.schema);
    if (envelope.type === PairConfigured.type) {
      const d = PairConfigured.parse(envelope.data);
      await sql(
        this.store,
        `INSERT INTO ${t.pairs} (pair_id, primary_server_id, secondary_server_id, active_server_id, position)
         VALUES ($1, $2, $3, $2, $4)
         ON CONFLICT (pair_id) DO UPDATE SET primary_server_id = EXCLUDED.primary_server_id,
           secondary_server_id = EXCLUDED.secondary_server_id WHERE ${t.pairs}.position < EXCLUDED.position`,
        [d.pairId, d.primaryServerId, d.secondaryServerId, envelope.globalPosition],
      );
      return;
    }
    if (envelope.type !== ControlSwitched.type) return;
    const d = ControlSwitched.parse(envelope.data);
    const { rows } = await sql<{ active_server_id: string }>(
      this.store,
      `UPDATE ${t.pairs} SET active_server_id = CASE WHEN $2 = 'primary' THEN primary_server_id ELSE secondary_server_id END,
         position = $3
       WHERE pair_id = $1 AND position < $3 RETURNING active_server_id`,
      [d.pairId, d.to, envelope.globalPosition],
    );
    const active = rows[0]?.active_server_id;
    if (!active) return;
    const running = await sql<{ task_id: string }>(
      this.store,
      `SELECT task_id FROM ${t.tasks} WHERE status = 'running'`,
    );
    for (const { task_id: taskId } of running.rows) {
      try {
        await this.driver.book.run(taskId, null, (state) =>
          state.pairs.some((p) => p.pairId === d.pairId)
            ? { type: 'RecordSwitchover', data: { pairId: d.pairId, activeServerId: active, now: d.at } }
            : null,
        );
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        this.logger.warn(`task ${taskId}: switch of pair ${d.pairId} not recorded: ${err.message}`);
      } finally {
        if (!this.driver.isLeader) this.driver.book.forget(taskId);
      }
    }
    this.driver.wake();
  }
}

/** The pairs with a member among `serverIds`, with the member in control now. */
export async function pairsOf(store: EventStore, schema: string, serverIds: string[]): Promise<RolloutPairInput[]> {
  const t = executionTables(schema);
  const { rows } = await sql<{
    pair_id: string;
    primary_server_id: string;
    secondary_server_id: string;
    active_server_id: string;
  }>(
    store,
    `SELECT pair_id, primary_server_id, secondary_server_id, active_server_id FROM ${t.pairs}
      WHERE primary_server_id = ANY($1::text[]) OR secondary_server_id = ANY($1::text[]) ORDER BY pair_id`,
    [serverIds],
  );
  return rows.map((r) => ({
    pairId: r.pair_id,
    primaryServerId: r.primary_server_id,
    secondaryServerId: r.secondary_server_id,
    activeServerId: r.active_server_id,
  }));
}
