import { ConflictError, InvariantViolationError, NotFoundError } from '@fleetwarden/shared-domain';

/** Stable codes of the execution context's domain errors. */
export const ExecutionErrorCode = {
  RolloutNotStarted: 'ROLLOUT.NOT_STARTED',
  RolloutAlreadyStarted: 'ROLLOUT.ALREADY_STARTED',
  RolloutInvalidOptions: 'ROLLOUT.INVALID_OPTIONS',
  RolloutInvalidWindow: 'ROLLOUT.INVALID_WINDOW',
  RolloutServerNotInRollout: 'ROLLOUT.SERVER_NOT_IN_ROLLOUT',
} as const;

export type ExecutionErrorCode = (typeof ExecutionErrorCode)[keyof typeof ExecutionErrorCode];

export const rolloutNotStarted = (command: string): InvariantViolationError =>
  new InvariantViolationError(ExecutionErrorCode.RolloutNotStarted, `Rollout not started: cannot ${command}`, {
    details: { command },
  });

export const rolloutAlreadyStarted = (taskId: string): ConflictError =>
  new ConflictError(ExecutionErrorCode.RolloutAlreadyStarted, `Rollout of task ${taskId} already started`, {
    details: { taskId },
  });

export const rolloutInvalidOptions = (reason: string): InvariantViolationError =>
  new InvariantViolationError(ExecutionErrorCode.RolloutInvalidOptions, `Invalid rollout: ${reason}`, {
    details: { reason },
  });

export const rolloutInvalidWindow = (reason: string, cause?: unknown): InvariantViolationError =>
  new InvariantViolationError(ExecutionErrorCode.RolloutInvalidWindow, `Invalid maintenance window: ${reason}`, {
    details: { reason },
    cause,
  });

export const serverNotInRollout = (taskId: string, serverId: string): NotFoundError =>
  new NotFoundError(ExecutionErrorCode.RolloutServerNotInRollout, `Server ${serverId} is not part of task ${taskId}`, {
    details: { taskId, serverId },
  });
