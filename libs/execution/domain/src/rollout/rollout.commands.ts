import type { MaintenanceWindow } from './maintenance-window';
import type { ComponentVersion, JobPhase } from './rollout.types';

/** Starts executing a task (from `UpdateTaskStarted` and the task's frozen targets). */
export type StartRollout = {
  type: 'StartRollout';
  data: {
    taskId: string;
    /** Frozen target list in start order. */
    serverIds: string[];
    targetVersions: ComponentVersion[];
    staggerSeconds: number;
    maxConcurrency: number | null;
    window: MaintenanceWindow | null;
    failureThreshold: number | null;
    /** ISO-8601 start of the first server. */
    startedAt: string;
  };
};

/** Decides which servers to dispatch at `now`. */
export type Tick = { type: 'Tick'; data: { now: string; connectedServerIds: string[] } };

/** What an agent reported about a job. */
export type RecordProgress = {
  type: 'RecordProgress';
  data: {
    serverId: string;
    jobId: string;
    /** A phase, `done` (deployed, with versions and validation) or `failed`. */
    phase: JobPhase | 'done' | 'failed';
    log?: string[];
    versions?: ComponentVersion[];
    validation?: { passed: boolean; detail?: string };
    now: string;
  };
};

/** A job stayed too long in `phase`. */
export type RecordTimeout = {
  type: 'RecordTimeout';
  data: { serverId: string; jobId: string; phase: JobPhase | 'dispatched'; now: string };
};

/** Cancels every server not yet dispatched; in-flight ones run on. */
export type CancelRollout = { type: 'CancelRollout'; data: { now: string } };

export type RolloutCommand = StartRollout | Tick | RecordProgress | RecordTimeout | CancelRollout;
