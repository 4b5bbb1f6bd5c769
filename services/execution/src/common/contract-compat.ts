import type { RolloutEventContract } from '@fleetwarden/execution-contracts';
import type { RolloutEvent } from '@fleetwarden/execution-domain';

type Fits<A, B> = [A] extends [B] ? true : false;

/**
 * Compile-time proof that every event the rollout decider decides fits the published contract of
 * its type, and that it knows every published type: a change that would break `docs/events.md`
 * fails to compile here.
 */
export const ROLLOUT_EVENTS_FIT_CONTRACTS: [
  Fits<RolloutEvent, RolloutEventContract>,
  Fits<RolloutEventContract['type'], RolloutEvent['type']>,
] = [true, true];
