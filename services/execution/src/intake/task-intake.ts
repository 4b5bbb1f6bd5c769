import type { LoggerService } from '@nestjs/common';
import type { Clock } from '@fleetwarden/shared-domain';
import { phaseTimeoutsFor } from '@fleetwarden/execution-domain';
import type { EventStore } from '@fleetwarden/eventstore';
import type { EventEnvelope } from '@fleetwarden/messaging';
import { UpdateTaskScheduled, UpdateTaskStarted } from '@fleetwarden/scheduling-contracts';
import { executionTables, setTaskStatus, sql } from '../rollouts/execution-tables';
import { pairsOf } from './pair-intake';
import type { RolloutDriver } from '../rollouts/rollout-driver';

interface TaskRow {
  task_id: string;
  tenant: string | null;
  server_ids: string[];
  versions: Array<{ component: 'server-image' | 'web-apps' | 'client-apps'; version: string }>;
  stagger_seconds: number;
  max_concurrency: number | null;
  failure_threshold: number | null;
  maintenance_window: { start: string; end: string; timeZone: string } | null;
  attempt: number;
}

/**
 * Reacts to the scheduling events (a durable consumer of `<ns>.events.scheduling.>`, one message
 * at a time so that a task's `UpdateTaskScheduled` is stored before its `UpdateTaskStarted` is
 * handled): keeps what execution needs of each task, and starts its rollout when it starts.
 * Idempotent: the table insert ignores a repeat and the start carries the event id as its key.
 */
export class TaskIntake {
  constructor(
    private readonly store: EventStore,
    private readonly schema: string,
    private readonly driver: RolloutDriver,
    private readonly clock: Clock,
    private readonly logger: Pick<LoggerService, 'log' | 'warn'>,
  ) {}

  async handle(envelope: EventEnvelope): Promise<void> {
    if (envelope.type === UpdateTaskScheduled.type) await this.scheduled(envelope);
    else if (envelope.type === UpdateTaskStarted.type) await this.started(envelope);
  }

  private async scheduled(envelope: EventEnvelope): Promise<void> {
    const d = UpdateTaskScheduled.parse(envelope.data);
    const t = executionTables(this.schema);
    await sql(
      this.store,
      `INSERT INTO ${t.tasks} (task_id, tenant, server_ids, versions, stagger_seconds, max_concurrency,
         failure_threshold, maintenance_window, retry_of, attempt)
       VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7, $8::jsonb, $9::text,
         COALESCE((SELECT attempt + 1 FROM ${t.tasks} WHERE task_id = $9::text), 1))
       ON CONFLICT (task_id) DO NOTHING`,
      [
        d.taskId,
        d.tenant,
        JSON.stringify(d.servers.map((s) => s.serverId)),
        JSON.stringify(d.versions),
        d.staggerSeconds,
        d.maxConcurrency,
        d.failureThreshold,
        d.window ? JSON.stringify(d.window) : null,
        d.retryOf,
      ],
    );
  }

  private async started(envelope: EventEnvelope): Promise<void> {
    const d = UpdateTaskStarted.parse(envelope.data);
    const t = executionTables(this.schema);
    const { rows } = await sql<TaskRow>(this.store, `SELECT * FROM ${t.tasks} WHERE task_id = $1`, [d.taskId]);
    const task = rows[0];
    // Retried by the consumer: another instance may still be storing the task.
    if (!task) throw new Error(`task ${d.taskId} started but its UpdateTaskScheduled has not been handled yet`);
    const pairs = await pairsOf(this.store, this.schema, task.server_ids);
    const events = await this.driver.book.run(
      d.taskId,
      task.tenant,
      (state) =>
        state.status === 'initial'
          ? {
              type: 'StartRollout',
              data: {
                taskId: d.taskId,
                serverIds: task.server_ids,
                targetVersions: task.versions,
                staggerSeconds: Number(task.stagger_seconds),
                maxConcurrency: task.max_concurrency,
                window: task.maintenance_window,
                failureThreshold: task.failure_threshold,
                timeouts: phaseTimeoutsFor(task.versions.map((v) => v.component)),
                attempt: task.attempt,
                // The rollout's own start (this instant, not the task's): the stagger is counted
                // from when execution began, so the delivery lag never squeezes the first gap.
                startedAt: this.clock.now().toISOString(),
                pairs,
              },
            }
          : null,
      envelope.eventId,
    );
    const state = this.driver.book.peek(d.taskId);
    const status = state?.status === 'finished' ? 'finished' : 'running';
    await setTaskStatus(this.store, this.schema, d.taskId, status);
    if (!this.driver.isLeader) this.driver.book.forget(d.taskId);
    if (events.length > 0) this.logger.log(`task ${d.taskId}: rollout of ${task.server_ids.length} servers started`);
    this.driver.wake(true);
  }
}
