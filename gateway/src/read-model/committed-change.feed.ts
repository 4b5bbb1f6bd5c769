import { Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { PubSub } from 'mercurius';
import type { ReadModelDb } from './read-model-db';

const POLL_MS = 100;
const BATCH = 500;
const PRUNE_EVERY_MS = 60_000;
const KEEP = '15 minutes';

/** A row of a change table: `(tx_id, seq)` is its position. */
export interface ChangeRow {
  tx_id: string;
  seq: string | number;
}

/**
 * Publishes rows of a change table (written by a projection in its transaction) to this
 * instance's GraphQL subscribers once committed: tails the table in `(tx_id, seq)` order, only
 * from transactions older than every running one (a late commit is never passed over), starting
 * at its end, and prunes rows older than 15 minutes.
 */
export abstract class CommittedChangeFeed<Row extends ChangeRow>
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger: Logger;
  private readonly stopper = new AbortController();
  private loop: Promise<void> | undefined;

  /**
   * @param table change table in the read-model schema
   * @param columns columns selected besides `tx_id` and `seq`
   */
  protected constructor(
    protected readonly db: ReadModelDb,
    private readonly adapterHost: HttpAdapterHost,
    private readonly table: string,
    private readonly columns: string,
  ) {
    this.logger = new Logger(new.target.name);
  }

  /** Publishes one committed row. */
  protected abstract publish(pubsub: PubSub, row: Row): Promise<void>;

  /** Called once per batch before its rows are published (e.g. to reset a per-batch cache). */
  protected startBatch(): void {}

  onApplicationBootstrap(): void {
    const pubsub = (this.adapterHost.httpAdapter?.getInstance() as { graphql?: { pubsub?: PubSub } } | undefined)
      ?.graphql?.pubsub;
    if (!pubsub) return;
    this.loop = this.run(pubsub);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopper.abort();
    await this.loop;
  }

  private async run(pubsub: PubSub): Promise<void> {
    const table = `${this.db.schema}.${this.table}`;
    let position: { tx: string; seq: string } | undefined;
    let lastPrune = Date.now();
    while (!this.stopper.signal.aborted) {
      try {
        if (!position) {
          const { rows } = await this.db.query<{ tx: string; seq: string }>(
            `SELECT tx_id::text AS tx, seq::text AS seq FROM ${table}
              WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY tx_id DESC, seq DESC LIMIT 1`,
          );
          position = rows[0] ?? { tx: '0', seq: '0' };
        }
        const { rows } = await this.db.query<Row>(
          `SELECT tx_id::text AS tx_id, seq, ${this.columns}
             FROM ${table}
            WHERE (tx_id, seq) > ($1::xid8, $2::bigint) AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY tx_id, seq LIMIT ${BATCH}`,
          [position.tx, position.seq],
        );
        this.startBatch();
        for (const r of rows) await this.publish(pubsub, r);
        if (rows.length > 0) position = { tx: rows[rows.length - 1].tx_id, seq: String(rows[rows.length - 1].seq) };
        if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
          lastPrune = Date.now();
          await this.db.query(`DELETE FROM ${table} WHERE recorded_at < now() - interval '${KEEP}'`);
        }
        if (rows.length < BATCH) await pause(POLL_MS, this.stopper.signal);
      } catch (err) {
        if (this.stopper.signal.aborted) return;
        this.logger.error(`${this.table}: ${err instanceof Error ? err.message : String(err)}`);
        await pause(POLL_MS * 20, this.stopper.signal);
      }
    }
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
