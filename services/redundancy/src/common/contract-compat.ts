import type { AgentKeepAliveMessage, PairEventContract } from '@fleetwarden/redundancy-contracts';
import type { MemberReport, PairEvent } from '@fleetwarden/redundancy-domain';

type Fits<A, B> = [A] extends [B] ? true : false;

/**
 * Compile-time proof that every event the pair decider decides fits the published contract of
 * its type, that the decider knows every published event type, and that an agent's keep-alive
 * is a {@link MemberReport}: a change that would break the contracts fails to compile here.
 */
export const PAIR_EVENTS_FIT_CONTRACTS: [
  Fits<PairEvent, PairEventContract>,
  Fits<PairEventContract['type'], PairEvent['type']>,
  Fits<Omit<AgentKeepAliveMessage, 'serverId'>, MemberReport>,
] = [true, true, true];
