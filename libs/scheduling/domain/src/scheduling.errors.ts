import { ConflictError, ForbiddenError, InvariantViolationError, NotFoundError } from '@fleetwarden/shared-domain';

/** Stable codes of the scheduling context's domain errors. */
export const SchedulingErrorCode = {
  CatalogVersionExists: 'CATALOG.VERSION_EXISTS',
  CatalogVersionNotFound: 'CATALOG.VERSION_NOT_FOUND',
  CatalogVersionWithdrawn: 'CATALOG.VERSION_WITHDRAWN',
  CatalogInvalidVersion: 'CATALOG.INVALID_VERSION',
  CatalogComponentMismatch: 'CATALOG.COMPONENT_MISMATCH',
  TaskAlreadyExists: 'TASK.ALREADY_EXISTS',
  TaskNotFound: 'TASK.NOT_FOUND',
  TaskIdMismatch: 'TASK.ID_MISMATCH',
  TaskNameRequired: 'TASK.NAME_REQUIRED',
  TaskNoVersions: 'TASK.NO_VERSIONS',
  TaskDuplicateComponent: 'TASK.DUPLICATE_COMPONENT',
  TaskVersionNotAvailable: 'TASK.VERSION_NOT_AVAILABLE',
  TaskSchemaDowngrade: 'TASK.SCHEMA_DOWNGRADE',
  TaskNoTargets: 'TASK.NO_TARGETS',
  TaskTargetsNotFound: 'TASK.TARGETS_NOT_FOUND',
  TaskStartInPast: 'TASK.START_IN_PAST',
  TaskNegativeStagger: 'TASK.NEGATIVE_STAGGER',
  TaskInvalidWindow: 'TASK.INVALID_WINDOW',
  TaskInvalidLimit: 'TASK.INVALID_LIMIT',
  TaskNotDue: 'TASK.NOT_DUE',
  TaskNotCancellable: 'TASK.NOT_CANCELLABLE',
  TaskNotDeletable: 'TASK.NOT_DELETABLE',
  TaskAlreadyDeleted: 'TASK.ALREADY_DELETED',
  TaskNotProcessing: 'TASK.NOT_PROCESSING',
  TaskThresholdNotReached: 'TASK.THRESHOLD_NOT_REACHED',
  TaskServerNotInTask: 'TASK.SERVER_NOT_IN_TASK',
  TaskNotFinished: 'TASK.NOT_FINISHED',
  TaskNothingToRetry: 'TASK.NOTHING_TO_RETRY',
} as const;

export type SchedulingErrorCode = (typeof SchedulingErrorCode)[keyof typeof SchedulingErrorCode];

const C = SchedulingErrorCode;
const invariant = (code: string, message: string, details: Record<string, unknown>) =>
  new InvariantViolationError(code, message, { details });

export const catalogVersionExists = (component: string, version: string) =>
  new ConflictError(C.CatalogVersionExists, `Version ${version} of ${component} was already published`, {
    details: { component, version },
  });

export const catalogVersionNotFound = (component: string, version: string) =>
  new NotFoundError(C.CatalogVersionNotFound, `Version ${version} of ${component} is not in the catalog`, {
    details: { component, version },
  });

export const catalogVersionWithdrawn = (component: string, version: string) =>
  invariant(C.CatalogVersionWithdrawn, `Version ${version} of ${component} is already withdrawn`, {
    component,
    version,
  });

export const catalogInvalidVersion = (component: string, version: string, schemaVersion: string) =>
  invariant(
    C.CatalogInvalidVersion,
    `Version ${version} (schema ${schemaVersion}) of ${component} needs dot-separated numbers and a major.minor schema`,
    { component, version, schemaVersion },
  );

export const catalogComponentMismatch = (expected: string, actual: string) =>
  invariant(C.CatalogComponentMismatch, `Command for ${actual} sent to the catalog of ${expected}`, {
    expected,
    actual,
  });

export const taskAlreadyExists = (taskId: string) =>
  new ConflictError(C.TaskAlreadyExists, `Task ${taskId} already exists`, { details: { taskId } });

export const taskNotFound = (taskId: string) =>
  new NotFoundError(C.TaskNotFound, `Task ${taskId} not found`, { details: { taskId } });

export const taskIdMismatch = (expected: string, actual: string) =>
  invariant(C.TaskIdMismatch, `Command for task ${actual} sent to the stream of task ${expected}`, {
    expected,
    actual,
  });

export const taskNameRequired = (taskId: string) =>
  invariant(C.TaskNameRequired, `Task ${taskId} needs a non-blank name`, { taskId });

export const taskNoVersions = (taskId: string) =>
  invariant(C.TaskNoVersions, `Task ${taskId} names no target version`, { taskId });

export const taskDuplicateComponent = (taskId: string, component: string) =>
  invariant(C.TaskDuplicateComponent, `Task ${taskId} names two target versions of ${component}`, {
    taskId,
    component,
  });

export const taskVersionNotAvailable = (component: string, version: string, reason: 'unknown' | 'withdrawn') =>
  new NotFoundError(C.TaskVersionNotAvailable, `Version ${version} of ${component} is ${reason}`, {
    details: { component, version, reason },
  });

export const taskSchemaDowngrade = (details: {
  serverId: string;
  component: string;
  fromVersion: string;
  fromSchema: string;
  toVersion: string;
  toSchema: string;
}) =>
  invariant(
    C.TaskSchemaDowngrade,
    `Server ${details.serverId}: ${details.component} ${details.fromVersion} -> ${details.toVersion} would downgrade the database schema ${details.fromSchema} -> ${details.toSchema}`,
    details,
  );

export const taskNoTargets = (taskId: string) =>
  invariant(C.TaskNoTargets, `Task ${taskId} targets no server`, { taskId });

export const taskTargetsNotFound = (targetIds: readonly string[]) =>
  new ForbiddenError(C.TaskTargetsNotFound, `Targets not found in your fleet: ${targetIds.join(', ')}`, {
    details: { targetIds: [...targetIds] },
  });

export const taskStartInPast = (startAt: string, now: string) =>
  invariant(C.TaskStartInPast, `Start ${startAt} is in the past (now ${now})`, { startAt, now });

export const taskNegativeStagger = (staggerSeconds: number) =>
  invariant(C.TaskNegativeStagger, `Staggered time must be 0 or more seconds, got ${staggerSeconds}`, {
    staggerSeconds,
  });

export const taskInvalidWindow = (reason: string, window: unknown) =>
  invariant(C.TaskInvalidWindow, `Invalid maintenance window: ${reason}`, { reason, window });

export const taskInvalidLimit = (limit: 'maxConcurrency' | 'failureThreshold', value: number) =>
  invariant(C.TaskInvalidLimit, `${limit} must be a whole number of 1 or more, got ${value}`, { limit, value });

export const taskNotDue = (taskId: string, startAt: string, now: string) =>
  invariant(C.TaskNotDue, `Task ${taskId} starts at ${startAt}, not yet (now ${now})`, { taskId, startAt, now });

export const taskNotCancellable = (taskId: string, status: string) =>
  invariant(C.TaskNotCancellable, `Task ${taskId} is ${status} and cannot be cancelled`, { taskId, status });

export const taskNotDeletable = (taskId: string, status: string) =>
  invariant(C.TaskNotDeletable, `Task ${taskId} is ${status}: cancel it before deleting it`, { taskId, status });

export const taskAlreadyDeleted = (taskId: string) =>
  invariant(C.TaskAlreadyDeleted, `Task ${taskId} is already deleted`, { taskId });

export const taskNotProcessing = (taskId: string, status: string) =>
  invariant(C.TaskNotProcessing, `Task ${taskId} is ${status}, not processing`, { taskId, status });

export const taskThresholdNotReached = (taskId: string, failed: number, threshold: number | null) =>
  invariant(
    C.TaskThresholdNotReached,
    `Task ${taskId}: ${failed} failed, failure threshold ${threshold ?? 'not set'}`,
    { taskId, failed, threshold },
  );

export const taskServerNotInTask = (taskId: string, serverIds: readonly string[]) =>
  invariant(C.TaskServerNotInTask, `Servers not in task ${taskId}: ${serverIds.join(', ')}`, {
    taskId,
    serverIds: [...serverIds],
  });

export const taskNotFinished = (taskId: string, status: string) =>
  invariant(C.TaskNotFinished, `Task ${taskId} is ${status}; retry it once it has finished`, { taskId, status });

export const taskNothingToRetry = (taskId: string) =>
  invariant(C.TaskNothingToRetry, `Task ${taskId} has no failed server to retry`, { taskId });
