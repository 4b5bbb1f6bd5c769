import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { badUserInput } from '../graphql/graphql-errors';
import type { ServerFilter } from './models/inventory.inputs';
import type { ServerConnection } from './models/server.model';
import type { ServerPage } from './inventory.read-model';
import { CursorError, ServerOrder, decodeCursor, encodeCursor } from './server-cursor';
import type { ServerListArgs, ServerListFilter } from './server-list.sql';

/** Default and largest page size of server lists. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
const MAX_SEARCH_LENGTH = 200;
const VERSION_PREFIX = /^\d+(\.\d+)*\.?$/;

/** Checks `first` and `after` (BAD_USER_INPUT naming the argument). */
export function pageArgs(
  first: number | null | undefined,
  after: string | null | undefined,
  order: ServerOrder,
): Pick<ServerListArgs, 'first' | 'after' | 'order'> {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw badUserInput('first', `must be between 1 and ${MAX_PAGE_SIZE}, got ${size}`);
  }
  if (after === null || after === undefined) return { first: size, after: null, order };
  try {
    return { first: size, after: decodeCursor(order, after), order };
  } catch (err) {
    if (err instanceof CursorError) throw badUserInput('after', err.message);
    throw err;
  }
}

/** Checks and normalises the filter (BAD_USER_INPUT naming `filter.<field>`). */
export function listFilter(filter: ServerFilter | null | undefined): ServerListFilter {
  if (!filter) return {};
  const result: ServerListFilter = {
    reseller: filter.reseller ?? null,
    company: filter.company ?? null,
    connected: filter.connected ?? null,
    stage: filter.stage ?? null,
  };
  if (filter.versionPrefix != null) {
    const prefix = filter.versionPrefix.trim();
    if (!VERSION_PREFIX.test(prefix)) {
      throw badUserInput('filter.versionPrefix', `must be dot-separated numbers such as 9.0, got "${prefix}"`);
    }
    result.versionPrefix = prefix.replace(/\.$/, '');
  }
  if (filter.search != null) {
    const search = filter.search.trim();
    if (search.length > MAX_SEARCH_LENGTH) {
      throw badUserInput('filter.search', `must be at most ${MAX_SEARCH_LENGTH} characters`);
    }
    if (search.length > 0) result.search = search;
  }
  return result;
}

/** The Relay connection of a page. */
export function toConnection(page: ServerPage, order: ServerOrder, after: unknown): ServerConnection {
  const edges = page.servers.map((node, i) => ({ cursor: encodeCursor(order, page.keys[i]), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: after !== null && after !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    totalCount: page.totalCount ?? 0,
  };
}

/** Whether the query selects `field` directly under the current field (fragments included). */
export function selectsField(info: GraphQLResolveInfo, field: string): boolean {
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode | undefined): boolean =>
    (set?.selections ?? []).some((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === field;
      if (s.kind === Kind.INLINE_FRAGMENT) return visit(s.selectionSet);
      if (seen.has(s.name.value)) return false;
      seen.add(s.name.value);
      return visit(info.fragments[s.name.value]?.selectionSet);
    });
  return info.fieldNodes.some((node) => visit(node.selectionSet));
}
