import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { PubSub } from 'mercurius';
import { ReadModelDb } from '../read-model/read-model-db';
import type { TaskStatus } from './models/scheduling.enums';
import type { Task } from './models/task.model';
import { SchedulingReadModel } from './scheduling.read-model';

/** Topic of `taskProgress(taskId)` on the mercurius pub/sub of this process. */
export const taskProgressTopic = (taskId: string): string => `TASK_PROGRESS:${taskId}`;
/** Payload published on {@link taskProgressTopic}. */
export interface TaskProgressMessage {
  taskProgress: Task;
  /** Reseller owning the task; null for an operator's task. */
  tenant: string | null;
}

const POLL_MS = 100;
const BATCH = 500;
const PRUNE_EVERY_MS = 60_000;
const KEEP = '15 minutes';

interface ChangeRow {
  tx_id: string;
  seq: string | number;
  task_id: string;
  tenant: string | null;
  status: string;
  completed: number;
  failed: number;
  total: number;
}

/**
 * Publishes task status and progress changes to this instance's GraphQL subscribers once the
 * projection that recorded them has committed: tails the committed rows of
 * `rm_task_progress_changes` in `(tx_id, seq)` order (only from transactions older than every
 * running one) and prunes rows older than 15 minutes.
 */
@Injectable()
export class TaskProgressFeed implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('TaskProgressFeed');
  private readonly stopper = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly db: ReadModelDb,
    private readonly readModel: SchedulingReadModel,
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
            `SELECT tx_id::text AS tx, seq::text AS seq FROM ${s}.rm_task_progress_changes
              WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY tx_id DESC, seq DESC LIMIT 1`,
          );
          position = rows[0] ?? { tx: '0', seq: '0' };
        }
        const { rows } = await this.db.query<ChangeRow>(
          `SELECT tx_id::text AS tx_id, seq, task_id, tenant, status, completed, failed, total
             FROM ${s}.rm_task_progress_changes
            WHERE (tx_id, seq) > ($1::xid8, $2::bigint) AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY tx_id, seq LIMIT ${BATCH}`,
          [position.tx, position.seq],
        );
        const tasks = new Map<string, Task | null>();
        for (const r of rows) {
          if (!tasks.has(r.task_id)) tasks.set(r.task_id, await this.readModel.getTask({ tenant: null }, r.task_id));
          const task = tasks.get(r.task_id);
          if (!task) continue;
          const message: TaskProgressMessage = {
            taskProgress: {
              ...task,
              status: r.status as TaskStatus,
              progress: { completed: Number(r.completed), failed: Number(r.failed), total: Number(r.total) },
            },
            tenant: r.tenant,
          };
          await pubsub.publish({ topic: taskProgressTopic(r.task_id), payload: message });
        }
        if (rows.length > 0) position = { tx: rows[rows.length - 1].tx_id, seq: String(rows[rows.length - 1].seq) };
        if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
          lastPrune = Date.now();
          await this.db.query(
            `DELETE FROM ${s}.rm_task_progress_changes WHERE recorded_at < now() - interval '${KEEP}'`,
          );
        }
        if (rows.length < BATCH) await pause(POLL_MS, this.stopper.signal);
      } catch (err) {
        if (this.stopper.signal.aborted) return;
        this.logger.error(`task progress feed: ${err instanceof Error ? err.message : String(err)}`);
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
