import type { MaintenanceWindow } from './maintenance-window';

/** Product component with its own release line. */
export type Component = 'server-image' | 'web-apps' | 'client-apps';

/** Target or reported version of one component. */
export interface ComponentVersion {
  component: Component;
  version: string;
}

/** Phase an agent reports while it works on a job. */
export type JobPhase = 'downloading' | 'installing' | 'restarting' | 'validating';

/** Status of one server's job within a rollout. */
export type ServerJobStatus = 'queued' | 'dispatched' | JobPhase | 'completed' | 'failed' | 'cancelled' | 'not-started';

export const FINAL_STATUSES: readonly ServerJobStatus[] = ['completed', 'failed', 'cancelled', 'not-started'];
export const IN_FLIGHT_STATUSES: readonly ServerJobStatus[] = [
  'dispatched',
  'downloading',
  'installing',
  'restarting',
  'validating',
];

export interface RolloutServer {
  serverId: string;
  /** Position in the start order, from 0: eligible at `startedAt + index x staggerSeconds`. */
  index: number;
  status: ServerJobStatus;
  attempt: number;
  jobId: string | null;
  startedAt: string | null;
  /** When the server entered its current in-flight status (dispatched or a phase); null otherwise. */
  phaseSince: string | null;
  finishedAt: string | null;
  errorLog: string[];
}

/**
 * Longest time a job may stay in each in-flight status, in clock seconds; past it the server
 * fails with `timed out while <status>`. `dispatched` bounds the wait for the agent to start.
 */
export interface PhaseTimeouts {
  dispatched: number;
  downloading: number;
  installing: number;
  restarting: number;
  validating: number;
}

/** A redundancy pair with a member in the rollout: never both members at once, standby first. */
export interface RolloutPairInput {
  pairId: string;
  primaryServerId: string;
  secondaryServerId: string;
  /** Member in control when the rollout started (or after the last switch it learned of). */
  activeServerId: string;
}

export interface RolloutPair extends RolloutPairInput {
  /** A switchover to the updated standby was asked for and has not been answered yet. */
  switchRequested: boolean;
}

export interface RolloutOptions {
  staggerSeconds: number;
  /** null: no limit. */
  maxConcurrency: number | null;
  /** null: any time. */
  window: MaintenanceWindow | null;
  /** Halt once this many servers failed; null: never. */
  failureThreshold: number | null;
  timeouts: PhaseTimeouts;
  /** Attempt number of every job of this rollout: 1, or one more than the task it retries. */
  attempt: number;
}

export type RolloutStatus = 'initial' | 'running' | 'finished';

export interface RolloutState extends RolloutOptions {
  status: RolloutStatus;
  taskId: string;
  startedAt: string | null;
  targetVersions: ComponentVersion[];
  servers: RolloutServer[];
  pairs: RolloutPair[];
  halted: boolean;
}

/** Outcome of a finished rollout, i.e. of its task. */
export type RolloutOutcome = 'completed' | 'failed' | 'cancelled';
