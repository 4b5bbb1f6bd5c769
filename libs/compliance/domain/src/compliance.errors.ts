import { ConflictError, InvariantViolationError, NotFoundError } from '@fleetwarden/shared-domain';

/** Stable codes of the compliance context's domain errors. */
export const ComplianceErrorCode = {
  UnknownServer: 'COMPLIANCE.UNKNOWN_SERVER',
  IdMismatch: 'COMPLIANCE.ID_MISMATCH',
  FutureInstall: 'COMPLIANCE.FUTURE_INSTALL',
  InvalidTime: 'COMPLIANCE.INVALID_TIME',
  InvalidTimeZone: 'COMPLIANCE.INVALID_TIME_ZONE',
  InvalidAmount: 'COMPLIANCE.INVALID_AMOUNT',
  NoPatches: 'COMPLIANCE.NO_PATCHES',
  InvalidInstall: 'COMPLIANCE.INVALID_INSTALL',
  UnapprovedPatch: 'COMPLIANCE.UNAPPROVED_PATCH',
  UnknownBatch: 'COMPLIANCE.UNKNOWN_BATCH',
  BatchConflict: 'COMPLIANCE.BATCH_CONFLICT',
  NoPilotServers: 'COMPLIANCE.NO_PILOT_SERVERS',
  BatchNotPiloted: 'COMPLIANCE.BATCH_NOT_PILOTED',
  WatchNotOver: 'COMPLIANCE.WATCH_NOT_OVER',
  UnknownUrgentUpdate: 'COMPLIANCE.UNKNOWN_URGENT_UPDATE',
  UrgentUpdateConflict: 'COMPLIANCE.URGENT_UPDATE_CONFLICT',
  InvalidSchedule: 'COMPLIANCE.INVALID_SCHEDULE',
} as const;

export type ComplianceErrorCode = (typeof ComplianceErrorCode)[keyof typeof ComplianceErrorCode];

const C = ComplianceErrorCode;

export const unknownServer = (serverId: string): NotFoundError =>
  new NotFoundError(C.UnknownServer, `Unknown server ${serverId}`, { details: { serverId } });

export const idMismatch = (what: string, streamId: string, commandId: string): InvariantViolationError =>
  new InvariantViolationError(C.IdMismatch, `Command for ${what} ${commandId} sent to the stream of ${streamId}`, {
    details: { streamId, commandId },
  });

export const futureInstall = (installedAt: string, now: string): InvariantViolationError =>
  new InvariantViolationError(C.FutureInstall, `An install at ${installedAt} lies in the future (now ${now})`, {
    details: { installedAt, now },
  });

export const invalidTime = (field: string, value: string): InvariantViolationError =>
  new InvariantViolationError(C.InvalidTime, `${field} is not a date-time: ${value}`, { details: { field, value } });

export const invalidTimeZone = (timeZone: string, cause?: unknown): InvariantViolationError =>
  new InvariantViolationError(C.InvalidTimeZone, `Unknown time zone "${timeZone}"`, { cause, details: { timeZone } });

export const invalidAmount = (field: string, amount: unknown): InvariantViolationError =>
  new InvariantViolationError(
    C.InvalidAmount,
    `${field} must be a non-negative integer number of cents in USD, got ${JSON.stringify(amount)}`,
    { details: { field, amount } },
  );

export const noPatches = (what: string): InvariantViolationError =>
  new InvariantViolationError(C.NoPatches, `${what} names no patches`, { details: { what } });

export const invalidInstall = (reason: string, details: Record<string, unknown>): InvariantViolationError =>
  new InvariantViolationError(C.InvalidInstall, `Invalid patch install: ${reason}`, { details });

export const unapprovedPatch = (serverId: string, patches: readonly string[]): InvariantViolationError =>
  new InvariantViolationError(
    C.UnapprovedPatch,
    `Patches not approved for customer servers may not be installed on ${serverId}: ${patches.join(', ')}`,
    { details: { serverId, patches: [...patches] } },
  );

export const unknownBatch = (batchId: string): NotFoundError =>
  new NotFoundError(C.UnknownBatch, `Unknown patch batch ${batchId}`, { details: { batchId } });

export const batchConflict = (batchId: string, reason: string): ConflictError =>
  new ConflictError(C.BatchConflict, `Patch batch ${batchId}: ${reason}`, { details: { batchId } });

export const noPilotServers = (batchId: string): InvariantViolationError =>
  new InvariantViolationError(C.NoPilotServers, `Patch batch ${batchId} was piloted on no internal server`, {
    details: { batchId },
  });

export const batchNotPiloted = (batchId: string): InvariantViolationError =>
  new InvariantViolationError(C.BatchNotPiloted, `Patch batch ${batchId} has not been installed on internal servers`, {
    details: { batchId },
  });

export const watchNotOver = (batchId: string, watchEndsAt: string): InvariantViolationError =>
  new InvariantViolationError(
    C.WatchNotOver,
    `Patch batch ${batchId} is watched on internal servers until ${watchEndsAt}`,
    { details: { batchId, watchEndsAt } },
  );

export const unknownUrgentUpdate = (urgentUpdateId: string): NotFoundError =>
  new NotFoundError(C.UnknownUrgentUpdate, `Unknown urgent update ${urgentUpdateId}`, { details: { urgentUpdateId } });

export const urgentUpdateConflict = (urgentUpdateId: string): ConflictError =>
  new ConflictError(C.UrgentUpdateConflict, `Urgent update ${urgentUpdateId} was declared with other patches`, {
    details: { urgentUpdateId },
  });

export const invalidSchedule = (reason: string, details: Record<string, unknown>): InvariantViolationError =>
  new InvariantViolationError(C.InvalidSchedule, `Invalid automated-update schedule: ${reason}`, { details });
