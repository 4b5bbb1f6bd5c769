import type {
  CatalogEvent as PublishedCatalogEvent,
  UpdateTaskEvent as PublishedUpdateTaskEvent,
} from '@fleetwarden/scheduling-contracts';
import type { CatalogEvent, UpdateTaskEvent } from '@fleetwarden/scheduling-domain';

type Fits<A, B> = [A] extends [B] ? true : false;

/**
 * Compile-time proof that every event the domain decides fits the published contract of its
 * type: a domain change that would break `docs/events.md` fails to compile here.
 */
export const DOMAIN_EVENTS_FIT_CONTRACTS: [
  Fits<CatalogEvent, PublishedCatalogEvent>,
  Fits<UpdateTaskEvent, PublishedUpdateTaskEvent>,
] = [true, true];
