import { ServerOrder, type CursorKey } from './server-cursor';

/** What a caller may see: one reseller's servers or all; decommissioned servers or not. */
export interface ReadScope {
  /** Only this reseller's servers and groups; null: everything. */
  reseller: string | null;
  /** `server(id)` also returns decommissioned servers. */
  seesDecommissioned: boolean;
}

/** Conditions of the server list, already validated. */
export interface ServerListFilter {
  reseller?: string | null;
  company?: string | null;
  connected?: boolean | null;
  stage?: string | null;
  /** Dot-separated numbers without a trailing dot. */
  versionPrefix?: string | null;
  search?: string | null;
  /** Only members of this group. */
  groupId?: string | null;
}

export interface ServerListArgs {
  filter: ServerListFilter;
  order: ServerOrder;
  /** Page size; the query fetches one more row to tell whether a next page exists. */
  first: number;
  after: CursorKey | null;
}

export interface BuiltQuery {
  sql: string;
  params: unknown[];
}

/** Columns of a server row as the GraphQL layer maps them. */
export const SERVER_COLUMNS = `s.id, s.reseller_id, s.reseller_name, s.company_id, s.company_name, s.address,
  s.server_version, s.web_apps_version, s.stage, s.hosting_provider, s.connected, s.heartbeat_interval_sec,
  s.fqdn, s.host_name, s.public_ip, s.private_ip, s.decommissioned, s.registered_at,
  greatest(p.last_seen_at, s.last_seen_at) AS last_seen_at`;

/** `rm_servers s` with the inventory service's presence record of each server. */
export const serversWithPresence = (schema: string) =>
  // The presence table's ids have the default collation: compare in it, so that its primary key serves the join.
  `${schema}.rm_servers s LEFT JOIN ${schema}.inventory_presence p ON p.server_id = (s.id COLLATE "default")`;

interface OrderSpec {
  /** Sort expressions, the server id last. */
  exprs: [string, ...string[]];
  direction: 'ASC' | 'DESC';
  /** SQL of the cursor's key parts, given their parameter placeholders. */
  keyParams: Array<(placeholder: string) => string>;
  /** Selects the row's first key part as text (`sort_key`), when it is not a plain column. */
  sortKeyText?: string;
}

const LAST_SEEN = `coalesce(greatest(p.last_seen_at, s.last_seen_at), '-infinity'::timestamptz)`;

const ORDERS: Record<ServerOrder, OrderSpec> = {
  [ServerOrder.ID_ASC]: { exprs: ['s.id'], direction: 'ASC', keyParams: [(p) => p] },
  [ServerOrder.COMPANY_ASC]: {
    exprs: ['s.company_name', 's.id'],
    direction: 'ASC',
    keyParams: [(p) => p, (p) => p],
  },
  [ServerOrder.LAST_SEEN_DESC]: {
    exprs: [LAST_SEEN, 's.id'],
    direction: 'DESC',
    keyParams: [(p) => `${p}::timestamptz`, (p) => p],
    sortKeyText: `${LAST_SEEN}::text`,
  },
  [ServerOrder.SERVER_VERSION_DESC]: {
    exprs: ['s.server_version_key', 's.id'],
    direction: 'DESC',
    keyParams: [(p) => `string_to_array(${p}, '.')::numeric[]`, (p) => p],
  },
};

/** Escapes `%`, `_` and `\` for a LIKE pattern (default escape character `\`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function whereClause(schema: string, scope: ReadScope, filter: ServerListFilter, params: unknown[]): string[] {
  const add = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where = ['NOT s.decommissioned'];
  if (scope.reseller !== null) where.push(`s.reseller_id = ${add(scope.reseller)}`);
  if (filter.reseller != null) where.push(`s.reseller_id = ${add(filter.reseller)}`);
  if (filter.company != null) where.push(`s.company_id = ${add(filter.company)}`);
  if (filter.connected != null) where.push(`s.connected = ${add(filter.connected)}`);
  if (filter.stage != null) where.push(`s.stage = ${add(filter.stage)}`);
  if (filter.versionPrefix != null) {
    where.push(
      `(s.server_version = ${add(filter.versionPrefix)} OR s.server_version LIKE ${add(`${escapeLike(filter.versionPrefix)}.%`)})`,
    );
  }
  if (filter.search != null) where.push(`s.search_text LIKE ${add(`%${escapeLike(filter.search.toLowerCase())}%`)}`);
  if (filter.groupId != null) {
    where.push(
      `s.id IN (SELECT gs.server_id FROM ${schema}.rm_group_servers gs WHERE gs.group_id = ${add(filter.groupId)})`,
    );
  }
  return where;
}

/** One page of servers (`first + 1` rows, in order, after the cursor) with the key of each row. */
export function buildServerPageQuery(schema: string, scope: ReadScope, args: ServerListArgs): BuiltQuery {
  const params: unknown[] = [];
  const where = whereClause(schema, scope, args.filter, params);
  const order = ORDERS[args.order];
  if (args.after) {
    const placeholders = args.after.map((value, i) => {
      params.push(value);
      return order.keyParams[i](`$${params.length}`);
    });
    const op = order.direction === 'ASC' ? '>' : '<';
    where.push(
      order.exprs.length === 1
        ? `${order.exprs[0]} ${op} ${placeholders[0]}`
        : `(${order.exprs.join(', ')}) ${op} (${placeholders.join(', ')})`,
    );
  }
  params.push(args.first + 1);
  const sortKey = order.sortKeyText ? `, ${order.sortKeyText} AS sort_key` : '';
  return {
    sql: `SELECT ${SERVER_COLUMNS}${sortKey}
  FROM ${serversWithPresence(schema)}
 WHERE ${where.join(' AND ')}
 ORDER BY ${order.exprs.map((e) => `${e} ${order.direction}`).join(', ')}
 LIMIT $${params.length}`,
    params,
  };
}

/** The number of servers matching the filter (every page). */
export function buildServerCountQuery(schema: string, scope: ReadScope, filter: ServerListFilter): BuiltQuery {
  const params: unknown[] = [];
  const where = whereClause(schema, scope, filter, params);
  return { sql: `SELECT count(*)::int AS n FROM ${schema}.rm_servers s WHERE ${where.join(' AND ')}`, params };
}

/** The cursor key of a row in an order. */
export function cursorKeyOf(
  order: ServerOrder,
  row: { id: string; company_name: string; server_version: string; sort_key?: string },
): CursorKey {
  switch (order) {
    case ServerOrder.ID_ASC:
      return [row.id];
    case ServerOrder.COMPANY_ASC:
      return [row.company_name, row.id];
    case ServerOrder.LAST_SEEN_DESC:
      return [row.sort_key!, row.id];
    case ServerOrder.SERVER_VERSION_DESC:
      return [row.server_version, row.id];
    default: {
      const unknown: never = order;
      throw new Error(`unknown order ${String(unknown)}`);
    }
  }
}
