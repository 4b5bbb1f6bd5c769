import type { MaintenanceWindow } from './maintenance-window';
import type { ComponentVersion, JobPhase, PhaseTimeouts, RolloutPairInput } from './rollout.types';

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
    /** Per-status limits; see {@link phaseTimeoutsFor}. */
    timeouts: PhaseTimeouts;
    /** 1, or one more than the attempt of the task this one retries. */
    attempt: number;
    /** ISO-8601 start of the first server. */
    startedAt: string;
    /** Redundancy pairs with a member among the servers (default none). */
    pairs?: RolloutPairInput[];
  };
};

/** Decides which servers to dispatch at `now`, and which in-flight jobs have timed out. */
export type Tick = {
  type: 'Tick';
  data: {
    now: string;
    connectedServerIds: string[];
    /**
     * Since when the caller has been watching (its lead began): a phase's time limit runs from
     * this instant at the earliest, so the control plane's own outage never fails a job whose
     * reports were waiting for it.
     */
    watchingSince?: string;
  };
};

/** What an agent reported about a job. */
export type RecordProgress = {
  type: 'RecordProgress';
  data: {
    serverId: string;
    jobId: string;
    /** A phase, `done` (deployed, with versions and validation) or `failed`. */
    phase: JobPhase | 'done' | 'failed';
    log?: string[];
    /** The agent's reason when `phase` is `failed`. */
    error?: string;
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

/**
 * Cancels every server not yet dispatched; in-flight ones run on. Before the rollout started it
 * finishes it as cancelled, and a later `StartRollout` of the task changes nothing.
 */
export type CancelRollout = { type: 'CancelRollout'; data: { taskId: string; now: string } };

/** A pair now has `activeServerId` in control (a switchover this rollout asked for, or any other). */
export type RecordSwitchover = {
  type: 'RecordSwitchover';
  data: { pairId: string; activeServerId: string; now: string };
};

/** The switchover this rollout asked for was refused: the active member is not updated. */
export type RecordSwitchoverRefused = {
  type: 'RecordSwitchoverRefused';
  data: { pairId: string; reason: string; now: string };
};

export type RolloutCommand =
  StartRollout | Tick | RecordProgress | RecordTimeout | CancelRollout | RecordSwitchover | RecordSwitchoverRefused;
