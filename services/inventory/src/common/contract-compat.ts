import type {
  GroupEvent as PublishedGroupEvent,
  ServerEvent as PublishedServerEvent,
} from '@fleetwarden/inventory-contracts';
import type { GroupEvent, ServerEvent } from '@fleetwarden/inventory-domain';

type Fits<A, B> = [A] extends [B] ? true : false;

/**
 * Compile-time proof that every event the domain decides fits the published contract of its
 * type: a domain change that would break `docs/events.md` fails to compile here.
 */
export const DOMAIN_EVENTS_FIT_CONTRACTS: [
  Fits<ServerEvent, PublishedServerEvent>,
  Fits<GroupEvent, PublishedGroupEvent>,
] = [true, true];
