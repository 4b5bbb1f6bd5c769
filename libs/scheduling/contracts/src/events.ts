import { z } from 'zod';
import { defineEvent } from '@fleetwarden/contracts';
import {
  componentSchema,
  componentVersionSchema,
  idSchema,
  isoDateTimeSchema,
  maintenanceWindowSchema,
  releaseStageSchema,
  schemaVersionSchema,
  targetsSchema,
  taskServerSchema,
  taskTypeSchema,
  versionSchema,
} from './shared';

const serverIds = z.array(idSchema);

/** An operator published a released version of a component in the catalog. */
export const VersionPublished = defineEvent({
  context: 'scheduling',
  type: 'VersionPublished',
  version: 1,
  description:
    'A released version of a component was published in the catalog: stage, database-schema version, release notes. Stream `catalog-<component>`.',
  schema: z.object({
    component: componentSchema,
    version: versionSchema,
    stage: releaseStageSchema,
    schemaVersion: schemaVersionSchema,
    notes: z.string().max(20_000),
  }),
});

/** An operator withdrew a version: new tasks may no longer target it. */
export const VersionWithdrawn = defineEvent({
  context: 'scheduling',
  type: 'VersionWithdrawn',
  version: 1,
  description: 'A version was withdrawn from the catalog; new tasks may no longer target it. History is kept.',
  schema: z.object({
    component: componentSchema,
    version: versionSchema,
    reason: z.string().max(2000).nullable(),
  }),
});

/** An update task was accepted, with its targets resolved into a frozen server list. */
export const UpdateTaskScheduled = defineEvent({
  context: 'scheduling',
  type: 'UpdateTaskScheduled',
  version: 1,
  description:
    'An update task was accepted (status Pending). `targets` is what the caller named; `servers` the frozen list they resolved to (in start order). Stream `task-<taskId>`.',
  schema: z.object({
    taskId: idSchema,
    name: z.string().min(1).max(200),
    type: taskTypeSchema,
    versions: z.array(componentVersionSchema).min(1),
    includeClientApps: z.boolean(),
    targets: targetsSchema,
    servers: z.array(taskServerSchema).min(1),
    startAt: isoDateTimeSchema.describe('When the first server starts.'),
    staggerSeconds: z.number().nonnegative().describe('Seconds between two server starts.'),
    window: maintenanceWindowSchema.nullable(),
    maxConcurrency: z.int().positive().nullable().describe('Most servers updating at once; null: no limit.'),
    failureThreshold: z
      .int()
      .positive()
      .nullable()
      .describe('Halt the remaining servers once this many have failed; null: never halt.'),
    tenant: idSchema.nullable().describe("Caller's reseller; null for an operator."),
    postedBy: z.string().min(1).max(200),
    postedAt: isoDateTimeSchema,
    retryOf: idSchema.nullable().describe('Task whose failed servers this task retries; null when none.'),
  }),
});

/** The start time came: the task runs. */
export const UpdateTaskStarted = defineEvent({
  context: 'scheduling',
  type: 'UpdateTaskStarted',
  version: 1,
  description: 'The start time came and the task runs (status Processing). Fired once, however many timers fire.',
  schema: z.object({ taskId: idSchema, startedAt: isoDateTimeSchema }),
});

/** The task was cancelled: all its servers when pending, the not-yet-started ones when processing. */
export const UpdateTaskCancelled = defineEvent({
  context: 'scheduling',
  type: 'UpdateTaskCancelled',
  version: 1,
  description:
    'The task was cancelled (status Cancelled): every server of a pending task, or the not-yet-started servers of a processing one (servers already started finish and report).',
  schema: z.object({ taskId: idSchema, cancelledServerIds: serverIds }),
});

/** The task was hidden from the task list; its history is kept. */
export const UpdateTaskDeleted = defineEvent({
  context: 'scheduling',
  type: 'UpdateTaskDeleted',
  version: 1,
  description: 'The task was hidden from the task list; its history is kept.',
  schema: z.object({ taskId: idSchema }),
});

/** Every server of the task was updated and validated. */
export const UpdateTaskCompleted = defineEvent({
  context: 'scheduling',
  type: 'UpdateTaskCompleted',
  version: 1,
  description: 'Every server of the task was updated and validated (status Completed).',
  schema: z.object({ taskId: idSchema, completedServerIds: serverIds }),
});

/** The task finished with failed or not-started servers. */
export const UpdateTaskFailed = defineEvent({
  context: 'scheduling',
  type: 'UpdateTaskFailed',
  version: 1,
  description:
    'The task finished with failed servers, or servers that never started (halted, window ended) (status Failed).',
  schema: z.object({
    taskId: idSchema,
    completedServerIds: serverIds,
    failedServerIds: serverIds,
    notStartedServerIds: serverIds,
  }),
});

/** The failure threshold was reached: the servers not yet started will not start. */
export const UpdateTaskHalted = defineEvent({
  context: 'scheduling',
  type: 'UpdateTaskHalted',
  version: 1,
  description:
    'The failure threshold was reached: the not-yet-started servers will not start; servers in flight finish and report. The task stays Processing until it finishes Failed.',
  schema: z.object({ taskId: idSchema, failedServerIds: serverIds, haltedServerIds: serverIds }),
});

/** Every scheduling event, in catalogue order. */
export const SCHEDULING_EVENTS = [
  VersionPublished,
  VersionWithdrawn,
  UpdateTaskScheduled,
  UpdateTaskStarted,
  UpdateTaskCancelled,
  UpdateTaskDeleted,
  UpdateTaskCompleted,
  UpdateTaskFailed,
  UpdateTaskHalted,
] as const;

type DataOf<C> = C extends { parse(data: unknown): infer D } ? D : never;
type EventOf<C> = C extends { type: infer T } ? { type: T; data: DataOf<C> } : never;

/** The `{ type, data }` union of a catalog stream's events. */
export type CatalogEvent = EventOf<typeof VersionPublished | typeof VersionWithdrawn>;

/** The `{ type, data }` union of a task stream's events. */
export type UpdateTaskEvent = EventOf<
  | typeof UpdateTaskScheduled
  | typeof UpdateTaskStarted
  | typeof UpdateTaskCancelled
  | typeof UpdateTaskDeleted
  | typeof UpdateTaskCompleted
  | typeof UpdateTaskFailed
  | typeof UpdateTaskHalted
>;

export type SchedulingEvent = CatalogEvent | UpdateTaskEvent;
