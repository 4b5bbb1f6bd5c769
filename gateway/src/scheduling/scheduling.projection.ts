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
import {
  EXECUTION_EVENTS,
  RolloutStarted,
  ServerUpdateCancelled,
  ServerUpdateCompleted,
  ServerUpdateDispatched,
  ServerUpdateFailed,
  ServerUpdateNotStarted,
  ServerUpdateProgressed,
} from '@fleetwarden/execution-contracts';
import { EVENT_STORE, PLATFORM_CONFIG, type FleetwardenConfig } from '@fleetwarden/platform';
import { migrateReadModels } from '../read-model/read-model.migrations';
import { TaskServerStatus, TaskStatus, UpdatePhase } from './models/scheduling.enums';

/** Checkpoint names of the gateway's scheduling projections. */
export const CATALOG_PROJECTION = 'gateway.scheduling.catalog';
export const TASK_PROJECTION = 'gateway.scheduling.tasks';
const PROJECTION_POLL_MS = 50;
/** Lines of a server's job log kept in the read model (the last ones). */
export const TASK_SERVER_LOG_LINES = 200;

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

/** Server statuses the scheduling events may still set: execution's own (more precise) ones are kept. */
const NOT_STARTED_YET = [TaskServerStatus.PENDING];
const NOT_FINISHED = [TaskServerStatus.PENDING, TaskServerStatus.PROCESSING];

/**
 * Sets the status of the listed servers of a task that are still in one of `from` (finishedAt,
 * unless known, for completed and failed ones).
 */
async function setServers(
  s: string,
  tx: SqlExecutor,
  taskId: string,
  serverIds: readonly string[],
  status: TaskServerStatus,
  from: readonly TaskServerStatus[],
  at: string,
): Promise<void> {
  if (serverIds.length === 0) return;
  const finished = status === TaskServerStatus.COMPLETED || status === TaskServerStatus.FAILED;
  await tx.query(
    `UPDATE ${s}.rm_task_servers SET status = $3,
       finished_at = CASE WHEN $5::boolean THEN coalesce(finished_at, $4::timestamptz) ELSE finished_at END
      WHERE task_id = $1 AND server_id = ANY($2::text[]) AND status = ANY($6::text[])`,
    [taskId, serverIds, status, at, finished, from],
  );
}

/** SQL of the last `n` elements of a jsonb array expression. */
const lastLines = (array: string, n: number): string =>
  `(SELECT coalesce(jsonb_agg(e.line ORDER BY e.n), '[]'::jsonb)
      FROM jsonb_array_elements(${array}) WITH ORDINALITY AS e(line, n)
     WHERE e.n > jsonb_array_length(${array}) - ${n})`;

/** Updates one server row of a task; `set` may use `$3` onwards for `params`. */
async function updateServer(
  s: string,
  tx: SqlExecutor,
  taskId: string,
  serverId: string,
  set: string,
  params: unknown[] = [],
): Promise<void> {
  await tx.query(`UPDATE ${s}.rm_task_servers SET ${set} WHERE task_id = $1 AND server_id = $2`, [
    taskId,
    serverId,
    ...params,
  ]);
}

type ReportedPhase = ReturnType<typeof ServerUpdateProgressed.parse>['phase'];
const PHASES: Record<ReportedPhase, UpdatePhase> = {
  downloading: UpdatePhase.DOWNLOADING,
  installing: UpdatePhase.INSTALLING,
  restarting: UpdatePhase.RESTARTING,
  validating: UpdatePhase.VALIDATING,
};

const START_IF_PENDING = `status = CASE WHEN status = '${TaskServerStatus.PENDING}' THEN '${TaskServerStatus.PROCESSING}' ELSE status END`;

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
    await setServers(
      s,
      tx,
      d.taskId,
      d.cancelledServerIds,
      TaskServerStatus.CANCELLED,
      NOT_STARTED_YET,
      occurredAt(event),
    );
    await updateTask(s, tx, d.taskId, TaskStatus.CANCELLED);
  }),
  on(UpdateTaskDeleted, async (s, d, _event, tx) => {
    await tx.query(`UPDATE ${s}.rm_tasks SET deleted = true WHERE id = $1`, [d.taskId]);
  }),
  on(UpdateTaskCompleted, async (s, d, event, tx) => {
    await setServers(
      s,
      tx,
      d.taskId,
      d.completedServerIds,
      TaskServerStatus.COMPLETED,
      NOT_FINISHED,
      occurredAt(event),
    );
    await updateTask(s, tx, d.taskId, TaskStatus.COMPLETED);
  }),
  on(UpdateTaskFailed, async (s, d, event, tx) => {
    const at = occurredAt(event);
    await setServers(s, tx, d.taskId, d.completedServerIds, TaskServerStatus.COMPLETED, NOT_FINISHED, at);
    await setServers(s, tx, d.taskId, d.failedServerIds, TaskServerStatus.FAILED, NOT_FINISHED, at);
    await setServers(s, tx, d.taskId, d.notStartedServerIds, TaskServerStatus.NOT_STARTED, NOT_STARTED_YET, at);
    await updateTask(s, tx, d.taskId, TaskStatus.FAILED);
  }),
  on(UpdateTaskHalted, async (s, d, event, tx) => {
    const at = occurredAt(event);
    await setServers(s, tx, d.taskId, d.failedServerIds, TaskServerStatus.FAILED, NOT_FINISHED, at);
    await setServers(s, tx, d.taskId, d.haltedServerIds, TaskServerStatus.NOT_STARTED, NOT_STARTED_YET, at);
    await updateTask(s, tx, d.taskId);
  }),
]);

/**
 * The execution's per-server facts: they set a server's status and times over whatever the
 * scheduling events recorded, and every change is pushed to `taskProgress`.
 */
const ROLLOUT_HANDLERS = new Map<string, Handler>([
  on(RolloutStarted, async (s, d, _event, tx) => {
    await tx.query(`UPDATE ${s}.rm_task_servers SET attempt = $2 WHERE task_id = $1 AND status = $3`, [
      d.taskId,
      d.attempt,
      TaskServerStatus.PENDING,
    ]);
    await recordProgress(s, tx, d.taskId);
  }),
  on(ServerUpdateDispatched, async (s, d, _event, tx) => {
    await updateServer(s, tx, d.taskId, d.serverId, `${START_IF_PENDING}, started_at = $3, attempt = $4`, [
      d.dispatchedAt,
      d.attempt,
    ]);
    await recordProgress(s, tx, d.taskId);
  }),
  on(ServerUpdateProgressed, async (s, d, _event, tx) => {
    await updateServer(
      s,
      tx,
      d.taskId,
      d.serverId,
      `${START_IF_PENDING}, phase = $3, log = ${lastLines('log || $4::jsonb', TASK_SERVER_LOG_LINES)}`,
      [PHASES[d.phase], JSON.stringify(d.log)],
    );
    await recordProgress(s, tx, d.taskId);
  }),
  on(ServerUpdateCompleted, async (s, d, _event, tx) => {
    await updateServer(s, tx, d.taskId, d.serverId, 'status = $3, finished_at = $4', [
      TaskServerStatus.COMPLETED,
      d.finishedAt,
    ]);
    await updateTask(s, tx, d.taskId);
  }),
  on(ServerUpdateFailed, async (s, d, _event, tx) => {
    await updateServer(
      s,
      tx,
      d.taskId,
      d.serverId,
      `status = $3, finished_at = $4, log = ${lastLines('log || $5::jsonb', TASK_SERVER_LOG_LINES)},
       error_log = ${lastLines('log || $5::jsonb || $6::jsonb', TASK_SERVER_LOG_LINES)}`,
      [TaskServerStatus.FAILED, d.finishedAt, JSON.stringify(d.log), JSON.stringify([d.reason])],
    );
    await updateTask(s, tx, d.taskId);
  }),
  on(ServerUpdateCancelled, async (s, d, _event, tx) => {
    await updateServer(s, tx, d.taskId, d.serverId, 'status = $3', [TaskServerStatus.CANCELLED]);
    await updateTask(s, tx, d.taskId);
  }),
  on(ServerUpdateNotStarted, async (s, d, _event, tx) => {
    // Why it did not start (a refused switchover of its pair) is kept as its error log.
    const why = d.detail ? [`not started: ${d.detail}`] : [];
    await updateServer(s, tx, d.taskId, d.serverId, 'status = $3, error_log = $4::jsonb', [
      TaskServerStatus.NOT_STARTED,
      JSON.stringify(why),
    ]);
    await updateTask(s, tx, d.taskId);
  }),
]);

/** Handlers of the task projection by stream id prefix. */
const TASK_STREAM_HANDLERS: ReadonlyArray<readonly [prefix: string, handlers: Map<string, Handler>]> = [
  ['task-', TASK_HANDLERS],
  ['rollout-', ROLLOUT_HANDLERS],
];
const TASK_PROJECTION_TYPES = TASK_STREAM_HANDLERS.flatMap(([, handlers]) => [...handlers.keys()]);
const NO_HANDLERS = new Map<string, Handler>();

const handlersOfTaskStream = (streamId: string): Map<string, Handler> =>
  TASK_STREAM_HANDLERS.find(([prefix]) => streamId.startsWith(prefix))?.[1] ?? NO_HANDLERS;

const CONTRACTS = new Map<string, Contract>(
  [...SCHEDULING_EVENTS, ...EXECUTION_EVENTS].map((c) => [c.type, c as unknown as Contract]),
);

/**
 * Projects the scheduling service's `catalog-*` and `task-*` streams, and the execution service's
 * `rollout-*` streams, into the read models, each batch in one transaction with its checkpoint.
 * Tasks and their rollouts share one projection, so a task and its servers are always read at one
 * position of the log.
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
        types: TASK_PROJECTION_TYPES,
        pollIntervalMs: PROJECTION_POLL_MS,
        handle: (event, tx) => this.apply(handlersOfTaskStream(event.streamId), event, tx),
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
