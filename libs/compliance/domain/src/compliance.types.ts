/** Who started an OS-patch install. */
export type PatchInstallStarter = 'reseller' | 'automated' | 'operations';

/**
 * Why it was installed: `regular` (a scheduled or manual update), `urgent` (for an urgent update
 * operations declared), `emergency` (operations patched a server that harms others). Only a
 * `regular` install by operations on a breached server carries a charge.
 */
export type PatchInstallKind = 'regular' | 'urgent' | 'emergency';

/**
 * How the control plane learnt of an install: `system` (a task of the control plane installed it:
 * unapproved patches are refused) or `outside` (an agent found it installed outside the system:
 * unapproved patches are flagged, the install still counts).
 */
export type PatchInstallSource = 'system' | 'outside';

/** Who hosts a server: the operator (the patch policy applies) or a partner (it does not). */
export type HostingProvider = 'operator' | 'partner';

/** `alerted` from {@link ALERT_AFTER_DAYS} days without updates, `breached` from {@link BREACH_AFTER_DAYS}. */
export type ComplianceState = 'ok' | 'alerted' | 'breached';

export type Currency = 'USD';

/** An amount of money in integer minor units (cents) of an explicit currency; never negative. */
export interface Money {
  value: number;
  currency: Currency;
}

/** What the service looked up about a server in the inventory: unknown, or its reseller and host. */
export type ResolvedServer =
  { serverKnown: false } | { serverKnown: true; reseller: string; hostingProvider: HostingProvider };

/** `daysSinceLastUpdate` at which the reseller is alerted. */
export const ALERT_AFTER_DAYS = 60;
/** `daysSinceLastUpdate` at which the policy is breached and operations takes over. */
export const BREACH_AFTER_DAYS = 120;
/** Charged to the reseller when operations installs the updates of a breached server ($640). */
export const DEFAULT_BREACH_CHARGE: Readonly<Money> = Object.freeze({ value: 64_000, currency: 'USD' });
/** A piloted patch batch is watched this long on internal servers before it may be approved. */
export const PATCH_WATCH_DAYS = 14;
/** Operations takes the latest patches this often. */
export const PATCH_CYCLE_DAYS = 14;
/** Automated updates must recur more often than the alert threshold. */
export const MAX_AUTOMATION_INTERVAL_DAYS = ALERT_AFTER_DAYS - 1;
/** Actor of decisions the control plane takes by itself. */
export const SYSTEM_ACTOR = 'system:compliance';

export const DAY_MS = 86_400_000;
