import {
  CLOCK_SKEW_LIMIT_MS,
  REDUNDANCY_SERVICES,
  type MemberRole,
  type MemberState,
  type PairState,
  type RedundancyService,
} from './pair.types';

/** Stream of one pair. */
export const pairStream = (pairId: string): string => `pair-${pairId}`;

export const otherRole = (role: MemberRole): MemberRole => (role === 'primary' ? 'secondary' : 'primary');

/** The member not in control. */
export const standbyRole = (state: PairState): MemberRole => otherRole(state.activeRole);

const SERVICE_NAMES: Record<RedundancyService, string> = {
  switchingService: 'switching',
  ipPhoneService: 'IP-phone',
  keepAliveService: 'keep-alive',
};

/** Names of the member's redundancy services that are down (`switching`, `IP-phone`, `keep-alive`). */
export const servicesDown = (member: MemberState): string[] =>
  REDUNDANCY_SERVICES.filter((s) => member[s] !== 'up').map((s) => SERVICE_NAMES[s]);

/** The skew is at or above the one-minute limit. */
export const isClockSkewExcessive = (clockSkewMs: number): boolean => Math.abs(clockSkewMs) >= CLOCK_SKEW_LIMIT_MS;

/** The members disagree with the control plane: the standby claims control (split view). */
export const isSplitView = (state: PairState): boolean =>
  state.members !== null && state.members[standbyRole(state)].claimsControl;

export type SwitchoverCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether an operator may hand control to the standby now: both members available, all six
 * redundancy services up, and the standby finished replicating (`updated`). The reason lists
 * every unmet condition, separated by `; `. Hold-down does not apply.
 */
export function isSwitchoverPossible(state: PairState): SwitchoverCheck {
  if (!state.exists || state.members === null) return { ok: false, reason: 'pair is not configured' };
  const standby = standbyRole(state);
  const reasons: string[] = [];
  for (const role of [state.activeRole, standby]) {
    if (!state.members[role].available) reasons.push(`${role} is unavailable`);
  }
  for (const role of [state.activeRole, standby]) {
    const member = state.members[role];
    if (!member.available) continue;
    for (const service of servicesDown(member)) reasons.push(`${service} service of the ${role} is down`);
  }
  const replication = state.members[standby].replicationStatus;
  if (state.members[standby].available && replication !== 'updated') {
    reasons.push(
      replication === 'synchronizing'
        ? `standby ${standby} is still synchronizing`
        : `standby ${standby} has not finished replicating (reports ${replication})`,
    );
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reason: reasons.join('; ') };
}
