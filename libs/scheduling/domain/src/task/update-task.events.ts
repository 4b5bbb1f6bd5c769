import type { ComponentVersion, MaintenanceWindow, Targets, TaskServer, TaskType } from '../scheduling.types';

export interface UpdateTaskScheduled {
  type: 'UpdateTaskScheduled';
  data: {
    taskId: string;
    name: string;
    type: TaskType;
    versions: ComponentVersion[];
    includeClientApps: boolean;
    targets: Targets;
    /** The frozen target list, in start order. */
    servers: TaskServer[];
    startAt: string;
    staggerSeconds: number;
    window: MaintenanceWindow | null;
    maxConcurrency: number | null;
    failureThreshold: number | null;
    tenant: string | null;
    postedBy: string;
    postedAt: string;
    retryOf: string | null;
  };
}

export interface UpdateTaskStarted {
  type: 'UpdateTaskStarted';
  data: { taskId: string; startedAt: string };
}

export interface UpdateTaskCancelled {
  type: 'UpdateTaskCancelled';
  data: { taskId: string; cancelledServerIds: string[] };
}

export interface UpdateTaskDeleted {
  type: 'UpdateTaskDeleted';
  data: { taskId: string };
}

export interface UpdateTaskCompleted {
  type: 'UpdateTaskCompleted';
  data: { taskId: string; completedServerIds: string[] };
}

export interface UpdateTaskFailed {
  type: 'UpdateTaskFailed';
  data: { taskId: string; completedServerIds: string[]; failedServerIds: string[]; notStartedServerIds: string[] };
}

export interface UpdateTaskHalted {
  type: 'UpdateTaskHalted';
  data: { taskId: string; failedServerIds: string[]; haltedServerIds: string[] };
}

/** Every event of the task stream `task-<taskId>`. */
export type UpdateTaskEvent =
  | UpdateTaskScheduled
  | UpdateTaskStarted
  | UpdateTaskCancelled
  | UpdateTaskDeleted
  | UpdateTaskCompleted
  | UpdateTaskFailed
  | UpdateTaskHalted;

export type UpdateTaskEventType = UpdateTaskEvent['type'];
