import { z } from 'zod';
import { hostingProviderSchema, idSchema } from '@fleetwarden/inventory-contracts';
import { maintenanceWindowSchema } from '@fleetwarden/scheduling-contracts';

/** Ids of servers, resellers, patch batches, urgent and emergency updates: the inventory's ids (one NATS subject token). */
export { hostingProviderSchema, idSchema, maintenanceWindowSchema };

export const isoDateTimeSchema = z.iso.datetime({ offset: true });

/** One OS patch, as the operating system names it (`KB5034441`, `openssl_3.0.13-0ubuntu3.4`). */
export const patchIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^\S+$/, 'no whitespace')
  .describe('An OS patch as the operating system names it (`KB5034441`, `openssl_3.0.13-0ubuntu3.4`).');

/** At most this many patches in one install, batch or update. */
export const MAX_PATCHES = 1000;
export const patchListSchema = z.array(patchIdSchema).min(1).max(MAX_PATCHES);

/** Who started an OS-patch install. */
export const PATCH_INSTALL_STARTERS = ['reseller', 'automated', 'operations'] as const;
export const patchInstallStarterSchema = z
  .enum(PATCH_INSTALL_STARTERS)
  .describe('Who started the install: the reseller, its automated updates, or operations.');
export type PatchInstallStarter = z.output<typeof patchInstallStarterSchema>;

/** Why it was installed; only a `regular` install by operations on a breached server is charged. */
export const PATCH_INSTALL_KINDS = ['regular', 'urgent', 'emergency'] as const;
export const patchInstallKindSchema = z
  .enum(PATCH_INSTALL_KINDS)
  .describe(
    '`regular` (scheduled or manual), `urgent` (for an urgent update operations declared; never charged), `emergency` (operations patched a server harming others; never charged).',
  );
export type PatchInstallKind = z.output<typeof patchInstallKindSchema>;

/** How the control plane learnt of an install. */
export const PATCH_INSTALL_SOURCES = ['system', 'outside'] as const;
export const patchInstallSourceSchema = z
  .enum(PATCH_INSTALL_SOURCES)
  .describe(
    '`system`: a task of the control plane installed it (patches not approved for customer servers are refused); `outside`: an agent found it installed outside the system (unapproved patches are flagged, the install still counts).',
  );
export type PatchInstallSource = z.output<typeof patchInstallSourceSchema>;

/** A server's patch compliance. */
export const COMPLIANCE_STATES = ['ok', 'alerted', 'breached'] as const;
export const complianceStateSchema = z
  .enum(COMPLIANCE_STATES)
  .describe('`alerted` from 60 days without OS updates, `breached` from 120 (or when no install is known).');
export type ComplianceState = z.output<typeof complianceStateSchema>;

export const CURRENCIES = ['USD'] as const;
export const currencySchema = z.enum(CURRENCIES).describe('ISO 4217 currency code.');

/** An amount of money: integer minor units (cents) and an explicit currency; never negative. */
export const moneySchema = z
  .object({
    value: z.int().nonnegative().describe('Amount in minor units of the currency (cents): 64000 is $640.00.'),
    currency: currencySchema,
  })
  .strict()
  .describe('Money: integer cents and an explicit currency.');
export type Money = z.output<typeof moneySchema>;

/** `daysSinceLastUpdate` at which the reseller is alerted. */
export const ALERT_AFTER_DAYS = 60;
/** `daysSinceLastUpdate` at which the policy is breached and operations takes over. */
export const BREACH_AFTER_DAYS = 120;
/** Charged when operations installs the updates of a breached server, unless configured otherwise. */
export const DEFAULT_BREACH_CHARGE: Readonly<Money> = Object.freeze({ value: 64_000, currency: 'USD' });
/** A piloted patch batch is watched this long on internal servers before it may be approved. */
export const PATCH_WATCH_DAYS = 14;
/** Operations takes the latest patches this often by default. */
export const PATCH_CYCLE_DAYS = 14;
/** Automated updates recur at most this many days apart, so that they keep servers from being alerted. */
export const MAX_AUTOMATION_INTERVAL_DAYS = ALERT_AFTER_DAYS - 1;
export const DEFAULT_AUTOMATION_INTERVAL_DAYS = 7;

/** When a reseller's automated OS updates run. */
export const automationScheduleSchema = z
  .object({
    intervalDays: z
      .int()
      .min(1)
      .max(MAX_AUTOMATION_INTERVAL_DAYS)
      .describe(`Days between two automated updates of a server, 1-${MAX_AUTOMATION_INTERVAL_DAYS} (7: weekly).`),
    window: maintenanceWindowSchema,
  })
  .describe('Every `intervalDays` days, inside the daily maintenance window.');
export type AutomationSchedule = z.output<typeof automationScheduleSchema>;

/** Servers of one reseller that an urgent update concerns. */
export const affectedServersSchema = z
  .object({ reseller: idSchema, serverIds: z.array(idSchema).min(1) })
  .describe("A reseller's servers the urgent update concerns.");

/** Stream of one server's patch compliance. */
export const complianceStreamId = (serverId: string): string => `compliance-${serverId}`;
/** Stream of one patch batch of the approval cycle. */
export const patchBatchStreamId = (batchId: string): string => `patch-batch-${batchId}`;
/** Stream of one urgent update. */
export const urgentUpdateStreamId = (urgentUpdateId: string): string => `urgent-update-${urgentUpdateId}`;
/** Stream of one reseller's automated OS updates. */
export const patchAutomationStreamId = (reseller: string): string => `patch-automation-${reseller}`;
