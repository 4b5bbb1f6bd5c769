import type {
  AgentHaPeerResult,
  HaClusterEventContract,
  HaComponent as HaComponentContract,
} from '@fleetwarden/redundancy-contracts';
import type { HaClusterEvent, HaComponent, HaPeerMeasurement } from '@fleetwarden/redundancy-domain';

type Fits<A, B> = [A] extends [B] ? true : false;

/**
 * Compile-time proof that every event the HA cluster decider decides fits the published contract
 * of its type, that the decider knows every published type, and that configured components and
 * an agent's measurements fit the domain's shapes.
 */
export const HA_EVENTS_FIT_CONTRACTS: [
  Fits<HaClusterEvent, HaClusterEventContract>,
  Fits<HaClusterEventContract['type'], HaClusterEvent['type']>,
  Fits<HaComponentContract, HaComponent>,
  Fits<Omit<AgentHaPeerResult, 'error'> & { error: string | null }, HaPeerMeasurement>,
] = [true, true, true, true];
