import { z } from 'zod';

/** Ids of tasks, servers, groups and resellers: one NATS subject token. */
export const idSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only')
  .describe('Identifier: 1-64 of [A-Za-z0-9_-].');

/** Product components with their own release line in the catalog. */
export const COMPONENTS = ['server-image', 'web-apps', 'client-apps'] as const;
export const componentSchema = z.enum(COMPONENTS).describe('Product component: server image, web apps or client apps.');
export type Component = z.output<typeof componentSchema>;

/** Release stage of a published version. */
export const RELEASE_STAGES = ['beta', 'production', 'patch'] as const;
export const releaseStageSchema = z.enum(RELEASE_STAGES).describe('Release stage of the version.');
export type ReleaseStage = z.output<typeof releaseStageSchema>;

/** Product version (`6.10.140`, `9.0.0.200`): dot-separated numbers, compared numerically per part. */
export const versionSchema = z
  .string()
  .regex(/^\d+(\.\d+){1,4}$/, 'dot-separated numbers, e.g. 9.0.0.200')
  .describe('Version: 2-5 dot-separated numbers (`9.0.0.200`), compared numerically per part.');

/** Database-schema version of a release (`6.10`): a downgrade across it is refused. */
export const schemaVersionSchema = z
  .string()
  .regex(/^\d+\.\d+$/, 'major.minor, e.g. 6.10')
  .describe('Database-schema version `major.minor` (`6.10`), compared numerically per part (6.09 < 6.10).');

/** What an update task does. */
export const TASK_TYPES = ['upgrade-image', 'update-web-apps', 'rollback'] as const;
export const taskTypeSchema = z
  .enum(TASK_TYPES)
  .describe('Upgrade the server image, deploy/update web apps, or roll back.');
export type TaskType = z.output<typeof taskTypeSchema>;

/** A target version of one component. */
export const componentVersionSchema = z
  .object({ component: componentSchema, version: versionSchema })
  .describe('Target version of one component.');
export type ComponentVersion = z.output<typeof componentVersionSchema>;

/** Servers and groups named by the caller; groups are resolved when the task is scheduled. */
export const targetsSchema = z
  .object({
    serverIds: z.array(idSchema).max(10_000).default([]),
    groupIds: z.array(idSchema).max(1_000).default([]),
  })
  .describe('Servers and/or groups; resolved into a frozen server list when the task is scheduled.');
export type Targets = z.output<typeof targetsSchema>;

/** One server of a task's frozen target list. */
export const taskServerSchema = z
  .object({ serverId: idSchema, reseller: idSchema.describe('Reseller owning the server.') })
  .describe('A server of the frozen target list.');
export type TaskServer = z.output<typeof taskServerSchema>;

const timeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 00:00-23:59')
  .describe('Local time of day `HH:MM`.');

/** True when `timeZone` is an IANA time zone the runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Maintenance window: daily, local to `timeZone`; `end` before `start` crosses midnight. */
export const maintenanceWindowSchema = z
  .object({
    start: timeOfDay,
    end: timeOfDay,
    timeZone: z
      .string()
      .min(1)
      .max(64)
      .refine(isTimeZone, 'an IANA time zone, e.g. Europe/Vienna')
      .describe('IANA time zone (`Europe/Vienna`).'),
  })
  .refine((w) => w.start !== w.end, 'start and end must differ')
  .describe('Daily maintenance window in a time zone; `end` before `start` crosses midnight.');
export type MaintenanceWindow = z.output<typeof maintenanceWindowSchema>;

export const isoDateTimeSchema = z.iso.datetime({ offset: true });

/** Default staggered time between two server starts, in seconds. */
export const DEFAULT_STAGGER_SECONDS = 180;

/** Stream of the catalog of one component. */
export const catalogStreamId = (component: Component): string => `catalog-${component}`;
/** Stream of one update task. */
export const taskStreamId = (taskId: string): string => `task-${taskId}`;
