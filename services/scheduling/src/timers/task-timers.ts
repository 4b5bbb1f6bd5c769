import type { LoggerService } from '@nestjs/common';
import type { EventStore } from '@fleetwarden/eventstore';
import type { CommandExecutor } from '@fleetwarden/platform';
import { taskStreamId } from '@fleetwarden/scheduling-contracts';
import { updateTaskDecider } from '@fleetwarden/scheduling-domain';
import { DomainError, type Clock } from '@fleetwarden/shared-domain';
import { fleetViewTables } from '../fleet-view/fleet-view.tables';

/** Name of the lock held by the one instance that fires timers. */
export const TIMERS_LOCK = 'scheduling-timers';

/** Actor of the `StartTask` commands the timers send. */
export const TIMERS_ACTOR = 'system:scheduler';

export interface TaskTimersOptions {
  store: EventStore;
  schema: string;
  executor: CommandExecutor;
  clock: Clock;
  /** `FLEETWARDEN_CLOCK_SPEED`: clock ms per real ms. */
  clockSpeed: number;
  logger: Pick<LoggerService, 'log' | 'warn' | 'error'>;
  /** Longest real wait between two looks at the timers table, in ms (default 250). */
  pollMs?: number;
  /** How often a follower tries to take the lock, in real ms (default 2000). */
  retryMs?: number;
  /** Timers fired per look (default 100). */
  batchSize?: number;
}

/**
 * Fires the durable timers of `scheduling_timers` (projected from the task events): one instance,
 * elected by an advisory lock, sends `StartTask` for each task due by the clock. A repeated fire
 * (after a restart, or a lock handed over mid-fire) is harmless: the command carries an idempotency
 * key per task and the decider ignores a start of a task that is no longer pending.
 */
export class TaskTimers {
  private readonly stopper = new AbortController();
  private running: Promise<void> | null = null;
  private leading = false;

  constructor(private readonly options: TaskTimersOptions) {}

  /** True while this instance holds the lock. */
  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.running ??= this.contend();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running;
  }

  private async contend(): Promise<void> {
    const { store, logger } = this.options;
    while (!this.stopper.signal.aborted) {
      try {
        const { acquired } = await store.tryWithLock(TIMERS_LOCK, (lost) => this.lead(lost));
        if (!acquired) await this.sleep(this.options.retryMs ?? 2000);
      } catch (err) {
        if (this.stopper.signal.aborted) return;
        logger.error(`scheduling timers failed, retrying: ${String(err)}`);
        await this.sleep(this.options.retryMs ?? 2000);
      }
    }
  }

  private async lead(lost: AbortSignal): Promise<void> {
    this.leading = true;
    try {
      while (!this.stopper.signal.aborted && !lost.aborted) {
        const nextDue = await this.fireDue();
        const pollMs = this.options.pollMs ?? 250;
        const untilDue =
          nextDue === null ? pollMs : (nextDue - this.options.clock.now().getTime()) / this.options.clockSpeed;
        await this.sleep(Math.max(0, Math.min(pollMs, untilDue)));
      }
    } finally {
      this.leading = false;
    }
  }

  /** Fires the due timers; returns the clock time (ms) of the next one, null when none. */
  private async fireDue(): Promise<number | null> {
    const { store, schema, clock } = this.options;
    const t = fleetViewTables(schema);
    const now = clock.now().toISOString();
    const due = await store.transaction((tx) =>
      tx.query<{ task_id: string }>(
        `SELECT task_id FROM ${t.timers} WHERE fired_at IS NULL AND due_at <= $1::timestamptz ORDER BY due_at LIMIT $2`,
        [now, this.options.batchSize ?? 100],
      ),
    );
    for (const { task_id: taskId } of due.rows) {
      if (this.stopper.signal.aborted) return null;
      await this.fire(taskId);
    }
    const next = await store.transaction((tx) =>
      tx.query<{ due_at: Date | string | null }>(
        `SELECT min(due_at) AS due_at FROM ${t.timers} WHERE fired_at IS NULL`,
      ),
    );
    const dueAt = next.rows[0]?.due_at;
    return dueAt == null ? null : new Date(dueAt).getTime();
  }

  private async fire(taskId: string): Promise<void> {
    const { store, schema, executor, clock, logger } = this.options;
    const t = fleetViewTables(schema);
    try {
      await executor.execute({
        streamId: taskStreamId(taskId),
        decider: updateTaskDecider,
        command: { type: 'StartTask', data: { taskId, now: clock.now().toISOString() } },
        meta: { actor: TIMERS_ACTOR, role: 'system', idempotencyKey: `start-${taskId}` },
        context: 'scheduling',
        resellerOf: (s) => s.tenant,
      });
    } catch (err) {
      // A refusal is final (the task is gone or not due by this clock); anything else is retried.
      if (!(err instanceof DomainError)) throw err;
      logger.warn(`timer of task ${taskId}: StartTask refused, dropping the timer: ${err.message}`);
    }
    await store.transaction((tx) =>
      tx.query(`UPDATE ${t.timers} SET fired_at = COALESCE(fired_at, $2::timestamptz) WHERE task_id = $1`, [
        taskId,
        clock.now().toISOString(),
      ]),
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.stopper.signal;
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
