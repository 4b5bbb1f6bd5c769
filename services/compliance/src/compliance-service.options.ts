import type { Clock } from '@fleetwarden/shared-domain';

/** Injection token of {@link ComplianceServiceOptions} (optional; tests pass a manual clock and shorter timings). */
export const COMPLIANCE_SERVICE_OPTIONS = Symbol.for('fleetwarden.compliance.options');

/** Tuning of the compliance service's background work; the defaults suit production. */
export interface ComplianceServiceOptions {
  /** Overrides the platform `CLOCK` for every decision of the service (tests pass a `ManualClock`). */
  clock?: Clock;
  /** Real ms between two evaluation passes (alerts, breaches, automation, pending operations patches); default 60000. */
  evaluateMs?: number;
  /** How often the view and the reactions look for new events, in ms (default 100). */
  pollMs?: number;
  /** How often a follower tries to take over the leader's work, and the patch dispatcher's resend delay, in ms (default 2000). */
  retryMs?: number;
  /** Deliveries of an agent report for a server not known yet before it is dropped (default 30, about two minutes). */
  unknownServerDeliveries?: number;
}
