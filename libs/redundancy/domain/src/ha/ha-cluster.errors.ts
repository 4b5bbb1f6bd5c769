import { ConflictError, InvariantViolationError, NotFoundError } from '@fleetwarden/shared-domain';

/** Stable codes of the HA cluster errors. */
export const HaClusterErrorCode = {
  NotFound: 'HA_CLUSTER.NOT_FOUND',
  IdMismatch: 'HA_CLUSTER.ID_MISMATCH',
  InvalidComponents: 'HA_CLUSTER.INVALID_COMPONENTS',
  SameServerTwice: 'HA_CLUSTER.SAME_SERVER_TWICE',
  UnknownServers: 'HA_CLUSTER.UNKNOWN_SERVERS',
  IdTaken: 'HA_CLUSTER.ID_TAKEN',
  ProbesMismatch: 'HA_CLUSTER.PROBES_MISMATCH',
  InvalidTime: 'HA_CLUSTER.INVALID_TIME',
} as const;

export type HaClusterErrorCode = (typeof HaClusterErrorCode)[keyof typeof HaClusterErrorCode];

const C = HaClusterErrorCode;

export const haClusterNotFound = (clusterId: string): NotFoundError =>
  new NotFoundError(C.NotFound, `HA cluster ${clusterId} not found (neither an HA cluster nor a redundancy pair)`, {
    details: { clusterId },
  });

export const haClusterIdMismatch = (streamClusterId: string, commandClusterId: string): InvariantViolationError =>
  new InvariantViolationError(
    C.IdMismatch,
    `Command for HA cluster ${commandClusterId} sent to the stream of HA cluster ${streamClusterId}`,
    { details: { streamClusterId, commandClusterId } },
  );

export const haClusterInvalidComponents = (reason: string, details: Record<string, unknown>): InvariantViolationError =>
  new InvariantViolationError(C.InvalidComponents, `Invalid components: ${reason}`, { details });

export const haClusterSameServerTwice = (serverIds: readonly string[]): InvariantViolationError =>
  new InvariantViolationError(
    C.SameServerTwice,
    `Each component must run on its own server; listed more than once: ${serverIds.join(', ')}`,
    { details: { serverIds: [...serverIds] } },
  );

export const haClusterUnknownServers = (serverIds: readonly string[]): NotFoundError =>
  new NotFoundError(C.UnknownServers, `Unknown servers: ${serverIds.join(', ')}`, {
    details: { serverIds: [...serverIds] },
  });

export const haClusterIdTaken = (clusterId: string, reason: string): ConflictError =>
  new ConflictError(C.IdTaken, `${clusterId} ${reason}`, { details: { clusterId } });

export const haClusterProbesMismatch = (clusterId: string, details: Record<string, unknown>): InvariantViolationError =>
  new InvariantViolationError(C.ProbesMismatch, `The check of ${clusterId} must probe each component once`, {
    details,
  });

export const haClusterInvalidTime = (field: string, value: string): InvariantViolationError =>
  new InvariantViolationError(C.InvalidTime, `${field} is not a date-time: ${value}`, { details: { field, value } });
