import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { PubSub } from 'mercurius';
import { ReadModelDb } from '../read-model/read-model-db';
import type { ServerStatus } from './models/inventory.enums';
import type { ServerStatusChange } from './models/server.model';

/** Topic of `serverStatusChanged` on the mercurius pub/sub of this process. */
export const SERVER_STATUS_TOPIC = 'SERVER_STATUS_CHANGED';
/** Payload published on {@link SERVER_STATUS_TOPIC}. */
export interface ServerStatusMessage {
  serverStatusChanged: ServerStatusChange;
}

const POLL_MS = 100;
const BATCH = 500;
const PRUNE_EVERY_MS = 60_000;
const KEEP = '15 minutes';

interface ChangeRow {
  tx_id: string;
  seq: string | number;
  server_id: string;
  status: string;
  connected: boolean;
  last_seen_at: Date | string | null;
  changed_at: Date | string;
  reseller_id: string;
  reseller_name: string;
  company_id: string;
  company_name: string;
}

const toDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));

/**
 * Publishes server status changes to this instance's GraphQL subscribers once the projection
 * that recorded them has committed: every gateway instance tails the committed rows of
 * `rm_server_status_changes` in `(tx_id, seq)` order (only from transactions older than every
 * running one, so a late commit is never passed over) and prunes rows older than 15 minutes.
 */
@Injectable()
export class ServerStatusFeed implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ServerStatusFeed');
  private readonly stopper = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly db: ReadModelDb,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

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
    const s = this.db.schema;
    let position: { tx: string; seq: string } | undefined;
    let lastPrune = Date.now();
    while (!this.stopper.signal.aborted) {
      try {
        if (!position) {
          const { rows } = await this.db.query<{ tx: string; seq: string }>(
            `SELECT tx_id::text AS tx, seq::text AS seq FROM ${s}.rm_server_status_changes
              WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY tx_id DESC, seq DESC LIMIT 1`,
          );
          position = rows[0] ?? { tx: '0', seq: '0' };
        }
        const { rows } = await this.db.query<ChangeRow>(
          `SELECT tx_id::text AS tx_id, seq, server_id, status, connected, last_seen_at, changed_at,
                  reseller_id, reseller_name, company_id, company_name
             FROM ${s}.rm_server_status_changes
            WHERE (tx_id, seq) > ($1::xid8, $2::bigint) AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY tx_id, seq LIMIT ${BATCH}`,
          [position.tx, position.seq],
        );
        for (const r of rows) {
          const message: ServerStatusMessage = {
            serverStatusChanged: {
              serverId: r.server_id,
              status: r.status as ServerStatus,
              connected: r.connected,
              lastSeenAt: r.last_seen_at === null ? null : toDate(r.last_seen_at),
              changedAt: toDate(r.changed_at),
              reseller: { id: r.reseller_id, name: r.reseller_name },
              company: { id: r.company_id, name: r.company_name },
            },
          };
          pubsub.publish({ topic: SERVER_STATUS_TOPIC, payload: message });
        }
        if (rows.length > 0) position = { tx: rows[rows.length - 1].tx_id, seq: String(rows[rows.length - 1].seq) };
        if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
          lastPrune = Date.now();
          await this.db.query(
            `DELETE FROM ${s}.rm_server_status_changes WHERE recorded_at < now() - interval '${KEEP}'`,
          );
        }
        if (rows.length < BATCH) await pause(POLL_MS, this.stopper.signal);
      } catch (err) {
        if (this.stopper.signal.aborted) return;
        this.logger.error(`status feed: ${err instanceof Error ? err.message : String(err)}`);
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
