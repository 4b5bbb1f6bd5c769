import type {
  CatalogEntry,
  Component,
  ComponentVersion,
  MaintenanceWindow,
  Targets,
  TaskServer,
  TaskType,
} from '../scheduling.types';

/** What the caller asks for when scheduling an update task. */
export interface ScheduleUpdateTaskRequest {
  taskId: string;
  name: string;
  type: TaskType;
  versions: ComponentVersion[];
  includeClientApps: boolean;
  targets: Targets;
  /** ISO-8601; null: now. */
  startAt: string | null;
  staggerSeconds: number;
  window: MaintenanceWindow | null;
  maxConcurrency: number | null;
  failureThreshold: number | null;
  /** Task whose failed servers this one retries; null when none. */
  retryOf: string | null;
}

/** What the service resolved before deciding: time, caller, catalog, targets, current versions. */
export interface ScheduleUpdateTaskResolved {
  /** ISO-8601, from the service's clock. */
  now: string;
  postedBy: string;
  /** Caller's reseller; null for an operator. */
  tenant: string | null;
  /** Every catalog entry (withdrawn ones included) of each requested component. */
  catalog: CatalogEntry[];
  /** The targets' servers in start order, already filtered to the caller's tenant, each once. */
  servers: TaskServer[];
  /** Target server or group ids outside the caller's tenant, or unknown. */
  unresolvedTargetIds: string[];
  /** Current version of each component per target server; absent or null when unknown or not installed. */
  currentVersions: Record<string, Partial<Record<Component, string | null>>>;
}

/** Schedules an update task (stream `task-<taskId>`). */
export interface ScheduleUpdateTask {
  type: 'ScheduleUpdateTask';
  data: ScheduleUpdateTaskRequest;
  resolved: ScheduleUpdateTaskResolved;
}

/** The durable timer fired: start the task. Idempotent: a repeated or late fire changes nothing. */
export interface StartTask {
  type: 'StartTask';
  data: { taskId: string; now: string };
}

/** Cancels a pending task, or the servers of a processing one that have not started. */
export interface CancelTask {
  type: 'CancelTask';
  data: {
    taskId: string;
    /** Servers whose job has started, per the execution service; ignored for a pending task. */
    startedServerIds: string[];
  };
}

/** Hides a finished task from the task list. */
export interface DeleteTask {
  type: 'DeleteTask';
  data: { taskId: string };
}

/** The failure threshold was reached: the servers not started yet must not start. */
export interface HaltTask {
  type: 'HaltTask';
  data: { taskId: string; failedServerIds: string[]; startedServerIds: string[] };
}

/** Outcome of one server's job. */
export interface ServerOutcome {
  serverId: string;
  outcome: 'completed' | 'failed';
}

/** Every server job has ended: the task finishes. Servers without an outcome count as not started. */
export interface FinishTask {
  type: 'FinishTask';
  data: { taskId: string; results: ServerOutcome[] };
}

/** Every command of the task stream `task-<taskId>`. */
export type UpdateTaskCommand = ScheduleUpdateTask | StartTask | CancelTask | DeleteTask | HaltTask | FinishTask;
