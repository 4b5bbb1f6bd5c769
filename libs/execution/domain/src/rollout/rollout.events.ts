import type { MaintenanceWindow } from './maintenance-window';
import type { ComponentVersion, JobPhase, PhaseTimeouts, RolloutOutcome, RolloutPairInput } from './rollout.types';

export type RolloutStarted = {
  type: 'RolloutStarted';
  data: {
    taskId: string;
    serverIds: string[];
    targetVersions: ComponentVersion[];
    staggerSeconds: number;
    maxConcurrency: number | null;
    window: MaintenanceWindow | null;
    failureThreshold: number | null;
    timeouts: PhaseTimeouts;
    attempt: number;
    startedAt: string;
    /** Absent in rollouts started before pairs were known (none). */
    pairs?: RolloutPairInput[];
  };
};

export type ServerUpdateDispatched = {
  type: 'ServerUpdateDispatched';
  data: { taskId: string; serverId: string; jobId: string; attempt: number; dispatchedAt: string };
};

export type ServerUpdateProgressed = {
  type: 'ServerUpdateProgressed';
  data: { taskId: string; serverId: string; jobId: string; phase: JobPhase; log: string[]; at: string };
};

export type ServerUpdateCompleted = {
  type: 'ServerUpdateCompleted';
  data: { taskId: string; serverId: string; jobId: string; versions: ComponentVersion[]; finishedAt: string };
};

export type ServerUpdateFailed = {
  type: 'ServerUpdateFailed';
  data: { taskId: string; serverId: string; jobId: string; reason: string; log: string[]; finishedAt: string };
};

export type ServerUpdateCancelled = { type: 'ServerUpdateCancelled'; data: { taskId: string; serverId: string } };

export type ServerUpdateNotStarted = {
  type: 'ServerUpdateNotStarted';
  data: {
    taskId: string;
    serverId: string;
    reason: 'halted' | 'window-ended' | 'switchover-refused';
    /** Why, in words (switchover-refused). */
    detail?: string;
  };
};

/** The active member of a pair is due and its standby is updated: control must pass to the standby. */
export type SwitchoverRequested = {
  type: 'SwitchoverRequested';
  data: { taskId: string; pairId: string; fromServerId: string; toServerId: string; at: string };
};

/** The rollout learned that a pair's control moved. */
export type RolloutPairSwitched = {
  type: 'RolloutPairSwitched';
  data: { taskId: string; pairId: string; activeServerId: string; at: string };
};

export type RolloutHalted = {
  type: 'RolloutHalted';
  data: {
    taskId: string;
    failed: number;
    failedServerIds: string[];
    /** Servers dispatched before the halt (finished or in flight): they run on and report. */
    startedServerIds: string[];
    at: string;
  };
};

export type RolloutFinished = {
  type: 'RolloutFinished';
  data: {
    taskId: string;
    outcome: RolloutOutcome;
    completed: number;
    failed: number;
    notStarted: number;
    cancelled: number;
    completedServerIds: string[];
    failedServerIds: string[];
    finishedAt: string;
  };
};

export type RolloutEvent =
  | RolloutStarted
  | ServerUpdateDispatched
  | ServerUpdateProgressed
  | ServerUpdateCompleted
  | ServerUpdateFailed
  | ServerUpdateCancelled
  | ServerUpdateNotStarted
  | RolloutHalted
  | RolloutFinished
  | SwitchoverRequested
  | RolloutPairSwitched;
