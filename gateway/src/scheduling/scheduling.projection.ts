import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import type { EventStore, RecordedEvent, SqlExecutor, Subscription } from '@fleetwarden/eventstore';
import {
  SCHEDULING_EVENTS,
  UpdateTaskCancelled,
  UpdateTaskCompleted,
  UpdateTaskDeleted,
  UpdateTaskFailed,
  UpdateTaskHalted,
  UpdateTaskScheduled,
  UpdateTaskStarted,
  VersionPublished,
  VersionWithdrawn,
  type Targets,
} from '@fleetwarden/scheduling-contracts';
import { EVENT_STORE, PLATFORM_CONFIG, type FleetwardenConfig } from '@fleetwarden/platform';
import { migrateReadModels } from '../read-model/read-model.migrations';
import { TaskServerStatus, TaskStatus } from './models/scheduling.enums';

/** Checkpoint names of the gateway's scheduling projections. */
export const CATALOG_PROJECTION = 'gateway.scheduling.catalog';
export const TASK_PROJECTION = 'gateway.scheduling.tasks';
const PROJECTION_POLL_MS = 50;

type Handler = (s: string, data: unknown, event: RecordedEvent, tx: SqlExecutor) => Promise<void>;
type Contract = { type: string; schema: { safeParse(data: unknown): { success: boolean; data?: unknown } } };

const on = <D>(
  contract: { type: string; parse(data: unknown): D },
  fn: (s: string, data: D, event: RecordedEvent, tx: SqlExecutor) => Promise<void>,
) => [contract.type, fn as Handler] as const;

const occurredAt = (event: RecordedEvent): string => event.metadata?.occurredAt ?? event.recordedAt;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "12 servers (2 servers, 1 group)": the frozen list's size, then what the caller named. */
export function targetSummary(serverCount: number, targets: Targets): string {
  const named = [
    targets.serverIds.length ? plural(targets.serverIds.length, 'server') : '',
    targets.groupIds.length ? plural(targets.groupIds.length, 'group') : '',
  ].filter(Boolean);
  return `${plural(serverCount, 'server')} (${named.join(', ')})`;
}

/** Sets the status of the listed servers of a task (finishedAt for completed and failed ones). */
async function setServers(
  s: string,
  tx: SqlExecutor,
  taskId: string,
  serverIds: readonly string[],
  status: TaskServerStatus,
  at: string,
): Promise<void> {
  if (serverIds.length === 0) return;
  const finished = status === TaskServerStatus.COMPLETED || status === TaskServerStatus.FAILED;
  await tx.query(
    `UPDATE ${s}.rm_task_servers SET status = $3,
       finished_at = CASE WHEN $5::boolean THEN coalesce(finished_at, $4::timestamptz) ELSE finished_at END
      WHERE task_id = $1 AND server_id = ANY($2::text[])`,
    [taskId, serverIds, status, at, finished],
  );
}

/** Recounts a task's completed and failed servers; sets its status when given. */
async function updateTask(s: string, tx: SqlExecutor, taskId: string, status?: TaskStatus): Promise<void> {
  await tx.query(
    `UPDATE ${s}.rm_tasks t SET status = coalesce($2, t.status),
       completed = (SELECT count(*) FROM ${s}.rm_task_servers WHERE task_id = t.id AND status = 'COMPLETED'),
       failed = (SELECT count(*) FROM ${s}.rm_task_servers WHERE task_id = t.id AND status = 'FAILED')
      WHERE t.id = $1`,
    [taskId, status ?? null],
  );
  await recordProgress(s, tx, taskId);
}

/** Records a task's status and progress in the projection's transaction; the progress feed publishes it after commit. */
async function recordProgress(s: string, tx: SqlExecutor, taskId: string): Promise<void> {
  await tx.query(
    `INSERT INTO ${s}.rm_task_progress_changes (task_id, tenant, status, completed, failed, total)
     SELECT id, tenant, status, completed, failed, total FROM ${s}.rm_tasks WHERE id = $1`,
    [taskId],
  );
}

const CATALOG_HANDLERS = new Map<string, Handler>([
  on(VersionPublished, async (s, d, event, tx) => {
    await tx.query(
      `INSERT INTO ${s}.rm_versions (component, version, stage, schema_version, notes, published_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (component, version) DO UPDATE SET stage = EXCLUDED.stage, schema_version = EXCLUDED.schema_version,
         notes = EXCLUDED.notes, published_at = EXCLUDED.published_at, withdrawn = false`,
      [d.component, d.version, d.stage, d.schemaVersion, d.notes, occurredAt(event)],
    );
  }),
  on(VersionWithdrawn, async (s, d, _event, tx) => {
    await tx.query(`UPDATE ${s}.rm_versions SET withdrawn = true WHERE component = $1 AND version = $2`, [
      d.component,
      d.version,
    ]);
  }),
]);

const TASK_HANDLERS = new Map<string, Handler>([
  on(UpdateTaskScheduled, async (s, d, _event, tx) => {
    await tx.query(
      `INSERT INTO ${s}.rm_tasks (id, tenant, name, type, status, posted_at, posted_by, start_at, versions,
         target_summary, retry_of, total)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12) ON CONFLICT (id) DO NOTHING`,
      [
        d.taskId,
        d.tenant,
        d.name,
        d.type,
        TaskStatus.PENDING,
        d.postedAt,
        d.postedBy,
        d.startAt,
        JSON.stringify(d.versions),
        targetSummary(d.servers.length, d.targets),
        d.retryOf,
        d.servers.length,
      ],
    );
    await tx.query(
      `INSERT INTO ${s}.rm_task_servers (task_id, server_id, position, reseller, status)
       SELECT $1, x.server_id, x.position::int, x.reseller, $4
         FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS x(server_id, reseller, position)
       ON CONFLICT DO NOTHING`,
      [d.taskId, d.servers.map((v) => v.serverId), d.servers.map((v) => v.reseller), TaskServerStatus.PENDING],
    );
    await recordProgress(s, tx, d.taskId);
  }),
  on(UpdateTaskStarted, async (s, d, _event, tx) => {
    await tx.query(`UPDATE ${s}.rm_tasks SET status = $2 WHERE id = $1 AND status = $3`, [
      d.taskId,
      TaskStatus.PROCESSING,
      TaskStatus.PENDING,
    ]);
    await recordProgress(s, tx, d.taskId);
  }),
  on(UpdateTaskCancelled, async (s, d, event, tx) => {
    await setServers(s, tx, d.taskId, d.cancelledServerIds, TaskServerStatus.CANCELLED, occurredAt(event));
    await updateTask(s, tx, d.taskId, TaskStatus.CANCELLED);
  }),
  on(UpdateTaskDeleted, async (s, d, _event, tx) => {
    await tx.query(`UPDATE ${s}.rm_tasks SET deleted = true WHERE id = $1`, [d.taskId]);
  }),
  on(UpdateTaskCompleted, async (s, d, event, tx) => {
    await setServers(s, tx, d.taskId, d.completedServerIds, TaskServerStatus.COMPLETED, occurredAt(event));
    await updateTask(s, tx, d.taskId, TaskStatus.COMPLETED);
  }),
  on(UpdateTaskFailed, async (s, d, event, tx) => {
    const at = occurredAt(event);
    await setServers(s, tx, d.taskId, d.completedServerIds, TaskServerStatus.COMPLETED, at);
    await setServers(s, tx, d.taskId, d.failedServerIds, TaskServerStatus.FAILED, at);
    await setServers(s, tx, d.taskId, d.notStartedServerIds, TaskServerStatus.NOT_STARTED, at);
    await updateTask(s, tx, d.taskId, TaskStatus.FAILED);
  }),
  on(UpdateTaskHalted, async (s, d, event, tx) => {
    const at = occurredAt(event);
    await setServers(s, tx, d.taskId, d.failedServerIds, TaskServerStatus.FAILED, at);
    await setServers(s, tx, d.taskId, d.haltedServerIds, TaskServerStatus.NOT_STARTED, at);
    await updateTask(s, tx, d.taskId);
  }),
]);

const CONTRACTS = new Map<string, Contract>(SCHEDULING_EVENTS.map((c) => [c.type, c as unknown as Contract]));

/**
 * Projects the scheduling service's `catalog-*` and `task-*` streams into the read models, each
 * batch in one transaction with its checkpoint.
 */
@Injectable()
export class SchedulingProjections implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('SchedulingProjections');
  private readonly schema: string;
  private subscriptions: Subscription[] = [];

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PLATFORM_CONFIG) private readonly config: FleetwardenConfig,
  ) {
    this.schema = `"${config.dbSchema}"`;
  }

  async onModuleInit(): Promise<void> {
    await migrateReadModels(this.store, this.config.dbSchema);
  }

  onApplicationBootstrap(): void {
    this.subscriptions = [
      this.store.runProjection({
        name: CATALOG_PROJECTION,
        category: 'catalog',
        pollIntervalMs: PROJECTION_POLL_MS,
        handle: (event, tx) => this.apply(CATALOG_HANDLERS, event, tx),
      }),
      this.store.runProjection({
        name: TASK_PROJECTION,
        category: 'task',
        pollIntervalMs: PROJECTION_POLL_MS,
        handle: (event, tx) => this.apply(TASK_HANDLERS, event, tx),
      }),
    ];
  }

  async beforeApplicationShutdown(): Promise<void> {
    const subscriptions = this.subscriptions;
    this.subscriptions = [];
    await Promise.all(subscriptions.map((s) => s.stop()));
  }

  private async apply(handlers: Map<string, Handler>, event: RecordedEvent, tx: SqlExecutor): Promise<void> {
    const handler = handlers.get(event.type);
    const contract = CONTRACTS.get(event.type);
    if (!handler || !contract) return;
    const parsed = contract.schema.safeParse(event.data);
    if (!parsed.success) {
      this.logger.error(`skipped malformed ${event.type} ${event.eventId} (stream ${event.streamId})`);
      return;
    }
    await handler(this.schema, parsed.data, event, tx);
  }
}
