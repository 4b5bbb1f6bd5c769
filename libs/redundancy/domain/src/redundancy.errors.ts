import { ConflictError, InvariantViolationError, NotFoundError } from '@fleetwarden/shared-domain';

/** Stable codes of the redundancy context's domain errors. */
export const PairErrorCode = {
  NotFound: 'PAIR.NOT_FOUND',
  SameServerTwice: 'PAIR.SAME_SERVER_TWICE',
  UnknownServers: 'PAIR.UNKNOWN_SERVERS',
  ServerInOtherPair: 'PAIR.SERVER_IN_OTHER_PAIR',
  InvalidThreshold: 'PAIR.INVALID_THRESHOLD',
  NotAMember: 'PAIR.NOT_A_MEMBER',
  SwitchoverRefused: 'PAIR.SWITCHOVER_REFUSED',
  MembersChanged: 'PAIR.MEMBERS_CHANGED',
  IdMismatch: 'PAIR.ID_MISMATCH',
  InvalidTime: 'PAIR.INVALID_TIME',
} as const;

export type PairErrorCode = (typeof PairErrorCode)[keyof typeof PairErrorCode];

const C = PairErrorCode;

export const pairNotFound = (pairId: string): NotFoundError =>
  new NotFoundError(C.NotFound, `Pair ${pairId} not found`, { details: { pairId } });

export const pairIdMismatch = (streamPairId: string, commandPairId: string): InvariantViolationError =>
  new InvariantViolationError(
    C.IdMismatch,
    `Command for pair ${commandPairId} sent to the stream of pair ${streamPairId}`,
    {
      details: { streamPairId, commandPairId },
    },
  );

export const pairSameServerTwice = (serverId: string): InvariantViolationError =>
  new InvariantViolationError(C.SameServerTwice, `Server ${serverId} cannot be both primary and secondary`, {
    details: { serverId },
  });

export const pairUnknownServers = (serverIds: readonly string[]): NotFoundError =>
  new NotFoundError(C.UnknownServers, `Unknown servers: ${serverIds.join(', ')}`, {
    details: { serverIds: [...serverIds] },
  });

export const pairServerInOtherPair = (serverIds: readonly string[]): ConflictError =>
  new ConflictError(C.ServerInOtherPair, `Already members of another pair: ${serverIds.join(', ')}`, {
    details: { serverIds: [...serverIds] },
  });

export const pairInvalidThreshold = (reason: string, details: Record<string, unknown>): InvariantViolationError =>
  new InvariantViolationError(C.InvalidThreshold, `Invalid keep-alive timing: ${reason}`, { details });

export const pairMembersChanged = (
  pairId: string,
  current: { primaryServerId: string; secondaryServerId: string },
  requested: { primaryServerId: string; secondaryServerId: string },
): InvariantViolationError =>
  new InvariantViolationError(
    C.MembersChanged,
    `The members of pair ${pairId} (${current.primaryServerId}, ${current.secondaryServerId}) cannot be changed`,
    { details: { pairId, current, requested } },
  );

export const pairNotAMember = (pairId: string, serverId: string): InvariantViolationError =>
  new InvariantViolationError(C.NotAMember, `Server ${serverId} is not a member of pair ${pairId}`, {
    details: { pairId, serverId },
  });

export const pairSwitchoverRefused = (pairId: string, reason: string): InvariantViolationError =>
  new InvariantViolationError(C.SwitchoverRefused, `Switchover of pair ${pairId} refused: ${reason}`, {
    details: { pairId, reason },
  });

export const pairInvalidTime = (field: string, value: string): InvariantViolationError =>
  new InvariantViolationError(C.InvalidTime, `${field} is not a date-time: ${value}`, { details: { field, value } });
