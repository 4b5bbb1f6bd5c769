import type { MemberRole } from '@fleetwarden/redundancy-contracts';
import { hash32 } from './prng';

/** One redundancy pair of a simulated fleet. */
export interface SimPairSpec {
  /** 1-based pair number. */
  number: number;
  pairId: string;
  primaryServerId: string;
  secondaryServerId: string;
}

const MEMBER_PATTERN = /^srv-p(\d{4,})([ab])$/;

/** `pair-0001` for pair 1. */
export function pairIdOf(pair: number): string {
  return `pair-${String(pair).padStart(4, '0')}`;
}

/** The pair number of a pair id (`pair-0001`), or undefined for any other id. */
export function parsePairId(pairId: string): number | undefined {
  const match = /^pair-(\d{4,})$/.exec(pairId);
  if (!match) return undefined;
  const pair = Number(match[1]);
  return pair >= 1 && Number.isSafeInteger(pair) && pairIdOf(pair) === pairId ? pair : undefined;
}

/** `srv-p0001a` (primary) and `srv-p0001b` (secondary) for pair 1. */
export function pairMemberIdOf(pair: number, role: MemberRole): string {
  return `srv-p${String(pair).padStart(4, '0')}${role === 'primary' ? 'a' : 'b'}`;
}

/** The pair number and role of a member id (`srv-p0001a`), or undefined for any other id. */
export function parsePairMemberId(serverId: string): { pair: number; role: MemberRole } | undefined {
  const match = MEMBER_PATTERN.exec(serverId);
  if (!match) return undefined;
  const pair = Number(match[1]);
  const role: MemberRole = match[2] === 'a' ? 'primary' : 'secondary';
  return pair >= 1 && Number.isSafeInteger(pair) && pairMemberIdOf(pair, role) === serverId
    ? { pair, role }
    : undefined;
}

export function simPairSpec(pair: number): SimPairSpec {
  return {
    number: pair,
    pairId: pairIdOf(pair),
    primaryServerId: pairMemberIdOf(pair, 'primary'),
    secondaryServerId: pairMemberIdOf(pair, 'secondary'),
  };
}

/** The redundancy key the simulator configures a pair with: `sim-key-<seed>-<pairId>`. */
export function simRedundancyKey(seed: number, pairId: string): string {
  return `sim-key-${seed}-${pairId}`;
}

/** Clock seconds a destination takes from `synchronizing` to `updated` (2-6, by seed, member and round). */
export function simSyncSec(seed: number, serverId: string, round: number): number {
  return 2 + (hash32(seed, 'sync', serverId, round) % 5);
}
