import { assertNever, type Decider } from '@fleetwarden/shared-domain';
import {
  taskAlreadyDeleted,
  taskAlreadyExists,
  taskDuplicateComponent,
  taskIdMismatch,
  taskInvalidLimit,
  taskInvalidWindow,
  taskNameRequired,
  taskNegativeStagger,
  taskNoTargets,
  taskNotCancellable,
  taskNotDeletable,
  taskNotDue,
  taskNotFound,
  taskNotProcessing,
  taskNoVersions,
  taskSchemaDowngrade,
  taskServerNotInTask,
  taskStartInPast,
  taskTargetsNotFound,
  taskThresholdNotReached,
  taskVersionNotAvailable,
} from '../scheduling.errors';
import type {
  CatalogEntry,
  Component,
  ComponentVersion,
  MaintenanceWindow,
  Targets,
  TaskServer,
  TaskType,
} from '../scheduling.types';
import { compareVersions, impliedSchemaVersion } from '../versions';
import type { FinishTask, ScheduleUpdateTask, UpdateTaskCommand } from './update-task.commands';
import type { UpdateTaskEvent, UpdateTaskScheduled } from './update-task.events';

/** Status of a task, as the task list shows it. */
export type TaskStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';

/**
 * Where one server of the task stands. `scheduled`: not finished (not started, or in flight).
 * Per-server progress (started, downloading, ..., validated) refines `scheduled` in a later slice.
 */
export type TaskServerStatus = 'scheduled' | 'completed' | 'failed' | 'cancelled' | 'halted' | 'not-started';

export interface TaskServerState extends TaskServer {
  status: TaskServerStatus;
}

/** One update task. */
export interface UpdateTaskState {
  exists: boolean;
  taskId: string | null;
  /** Null until scheduled. */
  status: TaskStatus | null;
  /** Hidden from the task list; history kept. */
  deleted: boolean;
  /** The failure threshold was reached: no further server starts. */
  halted: boolean;
  name: string;
  type: TaskType | null;
  versions: ComponentVersion[];
  includeClientApps: boolean;
  targets: Targets;
  /** The frozen target list, in start order. */
  servers: TaskServerState[];
  startAt: string | null;
  startedAt: string | null;
  staggerSeconds: number;
  window: MaintenanceWindow | null;
  maxConcurrency: number | null;
  failureThreshold: number | null;
  tenant: string | null;
  postedBy: string | null;
  postedAt: string | null;
  retryOf: string | null;
}

export const initialUpdateTaskState = (): UpdateTaskState => ({
  exists: false,
  taskId: null,
  status: null,
  deleted: false,
  halted: false,
  name: '',
  type: null,
  versions: [],
  includeClientApps: false,
  targets: { serverIds: [], groupIds: [] },
  servers: [],
  startAt: null,
  startedAt: null,
  staggerSeconds: 0,
  window: null,
  maxConcurrency: null,
  failureThreshold: null,
  tenant: null,
  postedBy: null,
  postedAt: null,
  retryOf: null,
});

/** True once the task has reached a final status. */
export const isFinished = (status: TaskStatus | null): boolean =>
  status === 'completed' || status === 'failed' || status === 'cancelled';

/** The update task aggregate: schedule, start, cancel, halt, finish, delete. */
export const updateTaskDecider: Decider<UpdateTaskCommand, UpdateTaskEvent, UpdateTaskState> = {
  initialState: initialUpdateTaskState,
  decide: decideUpdateTask,
  evolve: evolveUpdateTask,
};

export function decideUpdateTask(command: UpdateTaskCommand, state: UpdateTaskState): UpdateTaskEvent[] {
  const { taskId } = command.data;
  if (state.exists && state.taskId !== taskId) throw taskIdMismatch(state.taskId ?? '', taskId);
  if (command.type === 'ScheduleUpdateTask') {
    if (state.exists) throw taskAlreadyExists(taskId);
    return [scheduled(command)];
  }
  if (!state.exists || state.status === null) throw taskNotFound(taskId);
  const status = state.status;
  switch (command.type) {
    case 'StartTask': {
      if (status !== 'pending') return [];
      if (Date.parse(command.data.now) < Date.parse(state.startAt ?? '')) {
        throw taskNotDue(taskId, state.startAt ?? '', command.data.now);
      }
      return [{ type: 'UpdateTaskStarted', data: { taskId, startedAt: command.data.now } }];
    }
    case 'CancelTask': {
      if (status !== 'pending' && status !== 'processing') throw taskNotCancellable(taskId, status);
      const started = new Set(status === 'pending' ? [] : command.data.startedServerIds);
      const cancelledServerIds = state.servers
        .filter((s) => s.status === 'scheduled' && !started.has(s.serverId))
        .map((s) => s.serverId);
      return [{ type: 'UpdateTaskCancelled', data: { taskId, cancelledServerIds } }];
    }
    case 'DeleteTask':
      if (state.deleted) throw taskAlreadyDeleted(taskId);
      if (!isFinished(status)) throw taskNotDeletable(taskId, status);
      return [{ type: 'UpdateTaskDeleted', data: { taskId } }];
    case 'HaltTask': {
      if (status !== 'processing') throw taskNotProcessing(taskId, status);
      if (state.halted) return [];
      requireServersOfTask(state, [...command.data.failedServerIds, ...command.data.startedServerIds]);
      const failed = unique(command.data.failedServerIds);
      if (state.failureThreshold === null || failed.length < state.failureThreshold) {
        throw taskThresholdNotReached(taskId, failed.length, state.failureThreshold);
      }
      const keepGoing = new Set([...failed, ...command.data.startedServerIds]);
      const haltedServerIds = state.servers
        .filter((s) => s.status === 'scheduled' && !keepGoing.has(s.serverId))
        .map((s) => s.serverId);
      return [{ type: 'UpdateTaskHalted', data: { taskId, failedServerIds: failed, haltedServerIds } }];
    }
    case 'FinishTask':
      if (status !== 'processing') throw taskNotProcessing(taskId, status);
      return [finished(state, command)];
    default:
      return assertNever(command, 'update task command');
  }
}

export function evolveUpdateTask(state: UpdateTaskState, event: UpdateTaskEvent): UpdateTaskState {
  switch (event.type) {
    case 'UpdateTaskScheduled': {
      const { servers, tenant, postedBy, postedAt, ...rest } = event.data;
      return {
        ...state,
        ...rest,
        exists: true,
        status: 'pending',
        servers: servers.map((s) => ({ ...s, status: 'scheduled' })),
        tenant,
        postedBy,
        postedAt,
      };
    }
    case 'UpdateTaskStarted':
      return { ...state, status: 'processing', startedAt: event.data.startedAt };
    case 'UpdateTaskCancelled':
      return {
        ...state,
        status: 'cancelled',
        servers: withStatus(state.servers, event.data.cancelledServerIds, 'cancelled'),
      };
    case 'UpdateTaskDeleted':
      return { ...state, deleted: true };
    case 'UpdateTaskHalted':
      return {
        ...state,
        halted: true,
        servers: withStatus(
          withStatus(state.servers, event.data.failedServerIds, 'failed'),
          event.data.haltedServerIds,
          'halted',
        ),
      };
    case 'UpdateTaskCompleted':
      return {
        ...state,
        status: 'completed',
        servers: withStatus(state.servers, event.data.completedServerIds, 'completed'),
      };
    case 'UpdateTaskFailed': {
      const { completedServerIds, failedServerIds, notStartedServerIds } = event.data;
      const servers = withStatus(
        withStatus(withStatus(state.servers, completedServerIds, 'completed'), failedServerIds, 'failed'),
        notStartedServerIds.filter((id) => !state.servers.some((s) => s.serverId === id && s.status === 'halted')),
        'not-started',
      );
      return { ...state, status: 'failed', servers };
    }
    default:
      return assertNever(event, 'update task event');
  }
}

function scheduled(command: ScheduleUpdateTask): UpdateTaskScheduled {
  const { data, resolved } = command;
  const { taskId } = data;
  const name = data.name.trim();
  if (name === '') throw taskNameRequired(taskId);

  const entries = targetEntries(taskId, data.versions, resolved.catalog);

  if (resolved.unresolvedTargetIds.length > 0) throw taskTargetsNotFound(unique(resolved.unresolvedTargetIds));
  const servers = uniqueServers(resolved.servers);
  if (servers.length === 0) throw taskNoTargets(taskId);

  for (const target of entries) requireNoSchemaDowngrade(target, servers, resolved.catalog, resolved.currentVersions);

  const startAt = data.startAt ?? resolved.now;
  if (Date.parse(startAt) < Date.parse(resolved.now)) throw taskStartInPast(startAt, resolved.now);
  if (!Number.isFinite(data.staggerSeconds) || data.staggerSeconds < 0) throw taskNegativeStagger(data.staggerSeconds);
  if (data.window !== null) requireValidWindow(data.window);
  requireLimit('maxConcurrency', data.maxConcurrency);
  requireLimit('failureThreshold', data.failureThreshold);

  return {
    type: 'UpdateTaskScheduled',
    data: {
      taskId,
      name,
      type: data.type,
      versions: data.versions.map((v) => ({ ...v })),
      includeClientApps: data.includeClientApps,
      targets: { serverIds: [...data.targets.serverIds], groupIds: [...data.targets.groupIds] },
      servers,
      startAt,
      staggerSeconds: data.staggerSeconds,
      window: data.window === null ? null : { ...data.window },
      maxConcurrency: data.maxConcurrency,
      failureThreshold: data.failureThreshold,
      tenant: resolved.tenant,
      postedBy: resolved.postedBy,
      postedAt: resolved.now,
      retryOf: data.retryOf,
    },
  };
}

/** The catalog entry of each requested version; refuses duplicates, unknown and withdrawn versions. */
function targetEntries(taskId: string, versions: ComponentVersion[], catalog: CatalogEntry[]): CatalogEntry[] {
  if (versions.length === 0) throw taskNoVersions(taskId);
  const seen = new Set<Component>();
  return versions.map(({ component, version }) => {
    if (seen.has(component)) throw taskDuplicateComponent(taskId, component);
    seen.add(component);
    const entry = findEntry(catalog, component, version);
    if (entry === undefined) throw taskVersionNotAvailable(component, version, 'unknown');
    if (entry.withdrawn) throw taskVersionNotAvailable(component, version, 'withdrawn');
    return entry;
  });
}

/**
 * A downgrade within one schema version is a rollback and allowed; across one it is refused. The
 * schema version of a server's current version comes from the catalog, or else is its major.minor.
 */
function requireNoSchemaDowngrade(
  target: CatalogEntry,
  servers: TaskServer[],
  catalog: CatalogEntry[],
  currentVersions: Record<string, Partial<Record<Component, string | null>>>,
): void {
  for (const { serverId } of servers) {
    const current = currentVersions[serverId]?.[target.component];
    if (current === undefined || current === null) continue;
    const currentSchema = findEntry(catalog, target.component, current)?.schemaVersion ?? impliedSchemaVersion(current);
    if (compareVersions(target.schemaVersion, currentSchema) < 0) {
      throw taskSchemaDowngrade({
        serverId,
        component: target.component,
        fromVersion: current,
        fromSchema: currentSchema,
        toVersion: target.version,
        toSchema: target.schemaVersion,
      });
    }
  }
}

const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;

function requireValidWindow(window: MaintenanceWindow): void {
  if (!TIME_OF_DAY.test(window.start) || !TIME_OF_DAY.test(window.end)) {
    throw taskInvalidWindow('start and end must be HH:MM (00:00-23:59)', window);
  }
  if (window.start === window.end) throw taskInvalidWindow('start and end must differ', window);
  try {
    new Intl.DateTimeFormat('en', { timeZone: window.timeZone });
  } catch {
    throw taskInvalidWindow(`unknown time zone "${window.timeZone}"`, window);
  }
}

function requireLimit(limit: 'maxConcurrency' | 'failureThreshold', value: number | null): void {
  if (value !== null && (!Number.isInteger(value) || value < 1)) throw taskInvalidLimit(limit, value);
}

function finished(state: UpdateTaskState, command: FinishTask): UpdateTaskEvent {
  const taskId = command.data.taskId;
  requireServersOfTask(
    state,
    command.data.results.map((r) => r.serverId),
  );
  const outcomes = new Map(command.data.results.map((r) => [r.serverId, r.outcome]));
  const completedServerIds: string[] = [];
  const failedServerIds: string[] = [];
  const notStartedServerIds: string[] = [];
  for (const server of state.servers) {
    const outcome = outcomes.get(server.serverId);
    if (outcome === 'completed') completedServerIds.push(server.serverId);
    else if (outcome === 'failed' || server.status === 'failed') failedServerIds.push(server.serverId);
    else notStartedServerIds.push(server.serverId);
  }
  if (failedServerIds.length === 0 && notStartedServerIds.length === 0) {
    return { type: 'UpdateTaskCompleted', data: { taskId, completedServerIds } };
  }
  return { type: 'UpdateTaskFailed', data: { taskId, completedServerIds, failedServerIds, notStartedServerIds } };
}

function requireServersOfTask(state: UpdateTaskState, serverIds: readonly string[]): void {
  const known = new Set(state.servers.map((s) => s.serverId));
  const strangers = unique(serverIds).filter((id) => !known.has(id));
  if (strangers.length > 0) throw taskServerNotInTask(state.taskId ?? '', strangers);
}

function findEntry(catalog: CatalogEntry[], component: Component, version: string): CatalogEntry | undefined {
  return catalog.find((e) => e.component === component && e.version === version);
}

function withStatus(servers: TaskServerState[], ids: readonly string[], status: TaskServerStatus): TaskServerState[] {
  if (ids.length === 0) return servers;
  const set = new Set(ids);
  return servers.map((s) => (set.has(s.serverId) ? { ...s, status } : s));
}

function uniqueServers(servers: TaskServer[]): TaskServer[] {
  const seen = new Set<string>();
  return servers.filter((s) => !seen.has(s.serverId) && seen.add(s.serverId)).map((s) => ({ ...s }));
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}
