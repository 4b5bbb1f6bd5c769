import { z } from 'zod';
import { defineEvent } from '@fleetwarden/contracts';
import {
  affectedServersSchema,
  automationScheduleSchema,
  hostingProviderSchema,
  idSchema,
  isoDateTimeSchema,
  moneySchema,
  patchInstallKindSchema,
  patchInstallSourceSchema,
  patchInstallStarterSchema,
  patchListSchema,
} from './shared';

const actor = z.string().min(1).max(200);
const daysSinceLastUpdate = z
  .int()
  .nonnegative()
  .nullable()
  .describe('Local calendar days since the last install (0 on the install day); null: no install known.');

/** OS updates were installed on a server. */
export const PatchesInstalled = defineEvent({
  context: 'compliance',
  type: 'PatchesInstalled',
  version: 1,
  description:
    'OS updates were installed on a server: its counter restarts at day 1 (`daysSinceLastUpdate` 0) and a new alert cycle begins, whatever the kind. Reports at or before the latest known install are not events. Stream `compliance-<serverId>`.',
  schema: z.object({
    serverId: idSchema,
    reseller: idSchema.describe('Reseller of the server at the install.'),
    hostingProvider: hostingProviderSchema.describe('Only operator-hosted servers are subject to the patch policy.'),
    installedAt: isoDateTimeSchema,
    patches: patchListSchema,
    startedBy: patchInstallStarterSchema,
    kind: patchInstallKindSchema,
    urgentUpdateId: idSchema.nullable().describe('The urgent update the install belongs to; null unless `urgent`.'),
    source: patchInstallSourceSchema,
    outsideApproval: z
      .boolean()
      .describe('Some patches were not approved for customer servers when installed (see `UnapprovedPatchFlagged`).'),
  }),
});

const thresholdSchema = z.object({
  serverId: idSchema,
  reseller: idSchema,
  daysSinceLastUpdate,
  lastInstalledAt: isoDateTimeSchema.nullable().describe('Null: no install known.'),
  at: isoDateTimeSchema,
});

export const ComplianceAlerted = defineEvent({
  context: 'compliance',
  type: 'ComplianceAlerted',
  version: 1,
  description:
    "An operator-hosted server has gone 60 local calendar days (operator's time zone) without OS updates: the reseller is alerted. Once per alert cycle. Stream `compliance-<serverId>`.",
  schema: thresholdSchema,
});

export const ComplianceBreached = defineEvent({
  context: 'compliance',
  type: 'ComplianceBreached',
  version: 1,
  description:
    'An operator-hosted server has gone 120 days without OS updates (or has no known install): the patch policy is breached. Once per alert cycle. Stream `compliance-<serverId>`.',
  schema: thresholdSchema,
});

export const OperationsPatchScheduled = defineEvent({
  context: 'compliance',
  type: 'OperationsPatchScheduled',
  version: 1,
  description:
    'Operations takes over a breached server: an OS-patch task by operations is to be scheduled; its regular install will be charged to the reseller. Once per alert cycle. Stream `compliance-<serverId>`.',
  schema: thresholdSchema,
});

export const ChargeRecorded = defineEvent({
  context: 'compliance',
  type: 'ChargeRecorded',
  version: 1,
  description:
    'The reseller is charged (configurable, $640 by default) because operations installed the regular OS updates of a breached operator-hosted server. Urgent and emergency installs are never charged. Stream `compliance-<serverId>`.',
  schema: z.object({
    serverId: idSchema,
    reseller: idSchema.describe('Reseller charged.'),
    amount: moneySchema,
    reason: z.string().min(1).max(1000),
    daysSinceLastUpdate: daysSinceLastUpdate.describe(
      'Days without updates when operations installed them; null: no earlier install known.',
    ),
    installedAt: isoDateTimeSchema,
    at: isoDateTimeSchema,
  }),
});

export const UnapprovedPatchFlagged = defineEvent({
  context: 'compliance',
  type: 'UnapprovedPatchFlagged',
  version: 1,
  description:
    "An agent reported patches installed outside the system that were not approved for customer servers at the time; the install still counts for the server's counter. Stream `compliance-<serverId>`.",
  schema: z.object({
    serverId: idSchema,
    reseller: idSchema,
    patches: patchListSchema.describe('The unapproved patches of the install.'),
    installedAt: isoDateTimeSchema,
    at: isoDateTimeSchema,
  }),
});

export const EmergencyUpdateRecorded = defineEvent({
  context: 'compliance',
  type: 'EmergencyUpdateRecorded',
  version: 1,
  description:
    'Operations patches a server that harms other customers or the shared infrastructure at once, without waiting for the reseller, who is notified. Its install (`kind` `emergency`) is never charged. Stream `compliance-<serverId>`.',
  schema: z.object({
    serverId: idSchema,
    reseller: idSchema.describe('Reseller to notify.'),
    emergencyUpdateId: idSchema,
    patches: patchListSchema,
    reason: z.string().min(1).max(2000),
    by: actor,
    at: isoDateTimeSchema,
  }),
});

/** The events of a server's compliance stream (`compliance-<serverId>`), in catalogue order. */
export const SERVER_COMPLIANCE_EVENTS = [
  PatchesInstalled,
  ComplianceAlerted,
  ComplianceBreached,
  OperationsPatchScheduled,
  ChargeRecorded,
  UnapprovedPatchFlagged,
  EmergencyUpdateRecorded,
] as const;

export const PatchBatchDownloaded = defineEvent({
  context: 'compliance',
  type: 'PatchBatchDownloaded',
  version: 1,
  description:
    'Operations took the latest OS patches (every 14 days by default): a new batch of the approval cycle. Stream `patch-batch-<batchId>`.',
  schema: z.object({ batchId: idSchema, patches: patchListSchema, by: actor, at: isoDateTimeSchema }),
});

export const PatchBatchPiloted = defineEvent({
  context: 'compliance',
  type: 'PatchBatchPiloted',
  version: 1,
  description:
    'The batch was installed on internal servers; it is watched there for 14 days (until `watchEndsAt`) before it may be approved. Stream `patch-batch-<batchId>`.',
  schema: z.object({
    batchId: idSchema,
    internalServerIds: z.array(idSchema).min(1),
    watchEndsAt: isoDateTimeSchema.describe('14 days after the pilot: the approval is refused before.'),
    by: actor,
    at: isoDateTimeSchema,
  }),
});

export const PatchBatchApproved = defineEvent({
  context: 'compliance',
  type: 'PatchBatchApproved',
  version: 1,
  description:
    'After its 14-day watch on internal servers, the batch is approved for customer servers: from `at`, its patches may be installed on them. Stream `patch-batch-<batchId>`.',
  schema: z.object({
    batchId: idSchema,
    patches: patchListSchema,
    pilotedAt: isoDateTimeSchema,
    watchEndsAt: isoDateTimeSchema,
    by: actor,
    at: isoDateTimeSchema,
  }),
});

/** The events of a patch batch stream (`patch-batch-<batchId>`), in catalogue order. */
export const PATCH_BATCH_EVENTS = [PatchBatchDownloaded, PatchBatchPiloted, PatchBatchApproved] as const;

export const UrgentUpdateDeclared = defineEvent({
  context: 'compliance',
  type: 'UrgentUpdateDeclared',
  version: 1,
  description:
    'Operations asks every reseller with affected servers to install `patches` as soon as possible; each reseller in `resellers` is notified. Declaring approves the patches for customer servers. Urgent installs do not count as regularly scheduled and are never charged. Stream `urgent-update-<urgentUpdateId>`.',
  schema: z.object({
    urgentUpdateId: idSchema,
    patches: patchListSchema,
    reason: z.string().min(1).max(2000),
    resellers: z.array(affectedServersSchema).describe('Every reseller with affected servers, each server once.'),
    by: actor,
    at: isoDateTimeSchema,
  }),
});

export const UrgentUpdateServerPatched = defineEvent({
  context: 'compliance',
  type: 'UrgentUpdateServerPatched',
  version: 1,
  description: 'An affected server installed the urgent update. Stream `urgent-update-<urgentUpdateId>`.',
  schema: z.object({
    urgentUpdateId: idSchema,
    reseller: idSchema,
    serverId: idSchema,
    installedAt: isoDateTimeSchema,
    at: isoDateTimeSchema,
  }),
});

export const UrgentUpdateResellerCompleted = defineEvent({
  context: 'compliance',
  type: 'UrgentUpdateResellerCompleted',
  version: 1,
  description:
    'Every affected server of the reseller installed the urgent update. Stream `urgent-update-<urgentUpdateId>`.',
  schema: z.object({ urgentUpdateId: idSchema, reseller: idSchema, at: isoDateTimeSchema }),
});

export const UrgentUpdateCompleted = defineEvent({
  context: 'compliance',
  type: 'UrgentUpdateCompleted',
  version: 1,
  description:
    'Every affected server of every reseller installed the urgent update (at once when none was affected). Stream `urgent-update-<urgentUpdateId>`.',
  schema: z.object({ urgentUpdateId: idSchema, at: isoDateTimeSchema }),
});

/** The events of an urgent update stream (`urgent-update-<urgentUpdateId>`), in catalogue order. */
export const URGENT_UPDATE_EVENTS = [
  UrgentUpdateDeclared,
  UrgentUpdateServerPatched,
  UrgentUpdateResellerCompleted,
  UrgentUpdateCompleted,
] as const;

export const AutomatedUpdatesSet = defineEvent({
  context: 'compliance',
  type: 'AutomatedUpdatesSet',
  version: 1,
  description:
    'A reseller turned automated OS updates of its servers on or off; while on, the scheduler creates the OS-patch tasks itself (every `intervalDays` days in the maintenance window). Stream `patch-automation-<reseller>`.',
  schema: z.object({
    reseller: idSchema,
    enabled: z.boolean(),
    schedule: automationScheduleSchema.nullable().describe('Null only while off.'),
    by: actor,
    at: isoDateTimeSchema,
  }),
});

/** Every compliance event, in catalogue order. */
export const COMPLIANCE_EVENTS = [
  ...SERVER_COMPLIANCE_EVENTS,
  ...PATCH_BATCH_EVENTS,
  ...URGENT_UPDATE_EVENTS,
  AutomatedUpdatesSet,
] as const;

type DataOf<C> = C extends { parse(data: unknown): infer D } ? D : never;
type EventOf<C> = C extends { type: infer T } ? { type: T; data: DataOf<C> } : never;

/** The `{ type, data }` union of a server's compliance stream. */
export type ServerComplianceEventContract = EventOf<(typeof SERVER_COMPLIANCE_EVENTS)[number]>;
/** The `{ type, data }` union of a patch batch stream. */
export type PatchBatchEventContract = EventOf<(typeof PATCH_BATCH_EVENTS)[number]>;
/** The `{ type, data }` union of an urgent update stream. */
export type UrgentUpdateEventContract = EventOf<(typeof URGENT_UPDATE_EVENTS)[number]>;
