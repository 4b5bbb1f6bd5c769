import { assertNever, type Decider } from '@fleetwarden/shared-domain';
import {
  catalogComponentMismatch,
  catalogInvalidVersion,
  catalogVersionExists,
  catalogVersionNotFound,
  catalogVersionWithdrawn,
} from '../scheduling.errors';
import type { CatalogEntry, Component } from '../scheduling.types';
import { isSchemaVersion, isVersion } from '../versions';
import type { CatalogCommand } from './catalog.commands';
import type { CatalogEvent } from './catalog.events';

/** The released versions of one component, withdrawn ones included (a version is never published twice). */
export interface CatalogState {
  /** Null until the first version is published. */
  component: Component | null;
  /** By version, in publishing order. */
  entries: Record<string, CatalogEntry>;
}

export const initialCatalogState = (): CatalogState => ({ component: null, entries: {} });

/** The catalog of one component: publish and withdraw versions. */
export const catalogDecider: Decider<CatalogCommand, CatalogEvent, CatalogState> = {
  initialState: initialCatalogState,
  decide: decideCatalog,
  evolve: evolveCatalog,
};

export function decideCatalog(command: CatalogCommand, state: CatalogState): CatalogEvent[] {
  const { component, version } = command.data;
  if (state.component !== null && state.component !== component)
    throw catalogComponentMismatch(state.component, component);
  const entry = state.entries[version];
  switch (command.type) {
    case 'PublishVersion': {
      const { schemaVersion } = command.data;
      if (!isVersion(version) || !isSchemaVersion(schemaVersion)) {
        throw catalogInvalidVersion(component, version, schemaVersion);
      }
      if (entry !== undefined) throw catalogVersionExists(component, version);
      return [{ type: 'VersionPublished', data: { ...command.data } }];
    }
    case 'WithdrawVersion':
      if (entry === undefined) throw catalogVersionNotFound(component, version);
      if (entry.withdrawn) throw catalogVersionWithdrawn(component, version);
      return [{ type: 'VersionWithdrawn', data: { ...command.data } }];
    default:
      return assertNever(command, 'catalog command');
  }
}

export function evolveCatalog(state: CatalogState, event: CatalogEvent): CatalogState {
  switch (event.type) {
    case 'VersionPublished':
      return {
        component: event.data.component,
        entries: { ...state.entries, [event.data.version]: { ...event.data, withdrawn: false } },
      };
    case 'VersionWithdrawn': {
      const entry = state.entries[event.data.version];
      if (entry === undefined) return state;
      return { ...state, entries: { ...state.entries, [event.data.version]: { ...entry, withdrawn: true } } };
    }
    default:
      return assertNever(event, 'catalog event');
  }
}

/** The catalog's entries in publishing order, withdrawn ones included. */
export const catalogEntries = (state: CatalogState): CatalogEntry[] => Object.values(state.entries);
