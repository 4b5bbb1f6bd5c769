import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/jwt-tokens';
import { ReadModelDb } from '../read-model/read-model-db';
import type { Group } from './models/group.model';
import { HostingProvider, Stage } from './models/inventory.enums';
import type { InstalledFile, Server } from './models/server.model';
import { type ServerOrder } from './server-cursor';
import {
  SERVER_COLUMNS,
  buildServerCountQuery,
  buildServerPageQuery,
  cursorKeyOf,
  serversWithPresence,
  type ReadScope,
  type ServerListArgs,
  type ServerListFilter,
} from './server-list.sql';

/** A row of `rm_servers` (with presence) as selected by {@link SERVER_COLUMNS}. */
export interface ServerRow {
  id: string;
  reseller_id: string;
  reseller_name: string;
  company_id: string;
  company_name: string;
  address: string;
  server_version: string;
  web_apps_version: string | null;
  stage: string;
  hosting_provider: string;
  connected: boolean;
  heartbeat_interval_sec: number | null;
  fqdn: string | null;
  host_name: string | null;
  public_ip: string | null;
  private_ip: string | null;
  decommissioned: boolean;
  registered_at: Date | string;
  last_seen_at: Date | string | null;
  sort_key?: string;
  files?: unknown;
}

interface GroupRow {
  id: string;
  name: string;
  reseller_id: string | null;
  reseller_name: string | null;
  server_count: number;
  created_at: Date | string;
}

/** A page of servers with each row's cursor key. */
export interface ServerPage {
  servers: Server[];
  keys: string[][];
  hasNextPage: boolean;
  totalCount?: number;
}

/** What a principal may read. */
export function scopeOf(principal: Principal): ReadScope {
  return principal.role === 'reseller'
    ? { reseller: principal.reseller, seesDecommissioned: false }
    : { reseller: null, seesDecommissioned: true };
}

const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

/** Maps a read-model row to the GraphQL `Server` (files only when selected in the row). */
export function toServer(row: ServerRow): Server {
  const server: Server = {
    id: row.id,
    reseller: { id: row.reseller_id, name: row.reseller_name },
    company: { id: row.company_id, name: row.company_name },
    address: row.address,
    serverVersion: row.server_version,
    webAppsVersion: row.web_apps_version,
    stage: row.stage as Stage,
    connected: row.connected,
    lastSeenAt: row.last_seen_at === null ? null : toDate(row.last_seen_at),
    heartbeatIntervalSec: row.heartbeat_interval_sec === null ? null : Number(row.heartbeat_interval_sec),
    hostingProvider: row.hosting_provider as HostingProvider,
    config:
      row.fqdn === null
        ? null
        : { fqdn: row.fqdn, hostName: row.host_name ?? '', publicIp: row.public_ip, privateIp: row.private_ip },
    registeredAt: toDate(row.registered_at),
    decommissioned: row.decommissioned,
  };
  if (row.files !== undefined) server.files = toFiles(row.files);
  return server;
}

type StoredFile = Omit<InstalledFile, 'lastModified'> & { lastModified: string };

function toFiles(raw: unknown): InstalledFile[] {
  const list = (typeof raw === 'string' ? JSON.parse(raw) : raw) as StoredFile[] | null;
  return (list ?? []).map((f) => ({ ...f, lastModified: new Date(f.lastModified) }));
}

function toGroup(row: GroupRow): Group {
  return {
    id: row.id,
    name: row.name,
    reseller: row.reseller_id === null ? null : { id: row.reseller_id, name: row.reseller_name ?? row.reseller_id },
    serverCount: Number(row.server_count),
    createdAt: toDate(row.created_at),
  };
}

/** Queries of the inventory read models, always within a caller's {@link ReadScope}. */
@Injectable()
export class InventoryReadModel {
  private readonly s: string;

  constructor(private readonly db: ReadModelDb) {
    this.s = db.schema;
  }

  /** A page in order after the cursor; the total too when asked (both queries run in parallel). */
  async listServers(scope: ReadScope, args: ServerListArgs, withTotal: boolean): Promise<ServerPage> {
    const page = buildServerPageQuery(this.s, scope, args);
    const count = withTotal ? buildServerCountQuery(this.s, scope, args.filter) : undefined;
    const [rows, total] = await Promise.all([
      this.db.query<ServerRow>(page.sql, page.params),
      count ? this.db.query<{ n: number }>(count.sql, count.params) : undefined,
    ]);
    const hasNextPage = rows.rows.length > args.first;
    const visible = rows.rows.slice(0, args.first);
    return {
      servers: visible.map(toServer),
      keys: visible.map((r) => cursorKeyOf(args.order as ServerOrder, r)),
      hasNextPage,
      totalCount: total ? Number(total.rows[0].n) : undefined,
    };
  }

  async getServer(scope: ReadScope, id: string): Promise<Server | null> {
    const params: unknown[] = [id];
    let where = 's.id = $1';
    if (scope.reseller !== null) {
      params.push(scope.reseller);
      where += ` AND s.reseller_id = $${params.length}`;
    }
    if (!scope.seesDecommissioned) where += ' AND NOT s.decommissioned';
    const { rows } = await this.db.query<ServerRow>(
      `SELECT ${SERVER_COLUMNS}, s.files FROM ${serversWithPresence(this.s)} WHERE ${where}`,
      params,
    );
    return rows.length ? toServer(rows[0]) : null;
  }

  /** Installed files of servers, by server id. */
  async filesOf(ids: readonly string[]): Promise<Map<string, InstalledFile[]>> {
    const { rows } = await this.db.query<{ id: string; files: unknown }>(
      `SELECT id, files FROM ${this.s}.rm_servers WHERE id = ANY($1::text[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, toFiles(r.files)]));
  }

  /** The ids among `ids` of servers the scope can act on (registered, not decommissioned, own tenant). */
  async visibleServerIds(scope: ReadScope, ids: readonly string[]): Promise<Set<string>> {
    const params: unknown[] = [ids];
    let where = 'id = ANY($1::text[]) AND NOT decommissioned';
    if (scope.reseller !== null) {
      params.push(scope.reseller);
      where += ` AND reseller_id = $2`;
    }
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM ${this.s}.rm_servers WHERE ${where}`, params);
    return new Set(rows.map((r) => r.id));
  }

  private groupSelect(where: string): string {
    return `SELECT g.id, g.name, g.reseller_id, r.name AS reseller_name, g.created_at,
       (SELECT count(*)::int FROM ${this.s}.rm_group_servers gs
          JOIN ${this.s}.rm_servers s ON s.id = gs.server_id AND NOT s.decommissioned
         WHERE gs.group_id = g.id) AS server_count
  FROM ${this.s}.rm_groups g LEFT JOIN ${this.s}.rm_resellers r ON r.id = g.reseller_id
 WHERE ${where}`;
  }

  /** Groups in the scope by name: a reseller sees its own groups, not the operator's. */
  async listGroups(scope: ReadScope): Promise<Group[]> {
    const { rows } =
      scope.reseller === null
        ? await this.db.query<GroupRow>(`${this.groupSelect('true')} ORDER BY g.name, g.id`)
        : await this.db.query<GroupRow>(`${this.groupSelect('g.reseller_id = $1')} ORDER BY g.name, g.id`, [
            scope.reseller,
          ]);
    return rows.map(toGroup);
  }

  async getGroup(scope: ReadScope, id: string): Promise<Group | null> {
    const { rows } =
      scope.reseller === null
        ? await this.db.query<GroupRow>(this.groupSelect('g.id = $1'), [id])
        : await this.db.query<GroupRow>(this.groupSelect('g.id = $1 AND g.reseller_id = $2'), [id, scope.reseller]);
    return rows.length ? toGroup(rows[0]) : null;
  }

  /** Groups of each server (in the scope), by server id. */
  async groupsOfServers(scope: ReadScope, serverIds: readonly string[]): Promise<Map<string, Group[]>> {
    const params: unknown[] = [serverIds];
    let where = `g.id IN (SELECT group_id FROM ${this.s}.rm_group_servers WHERE server_id = ANY($1::text[]))`;
    if (scope.reseller !== null) {
      params.push(scope.reseller);
      where += ' AND g.reseller_id = $2';
    }
    const [groups, members] = await Promise.all([
      this.db.query<GroupRow>(`${this.groupSelect(where)} ORDER BY g.name, g.id`, params),
      this.db.query<{ group_id: string; server_id: string }>(
        `SELECT group_id, server_id FROM ${this.s}.rm_group_servers WHERE server_id = ANY($1::text[])`,
        [serverIds],
      ),
    ]);
    const serversOf = new Map<string, string[]>();
    for (const m of members.rows) serversOf.set(m.group_id, [...(serversOf.get(m.group_id) ?? []), m.server_id]);
    const result = new Map<string, Group[]>();
    for (const row of groups.rows) {
      const group = toGroup(row);
      for (const serverId of serversOf.get(row.id) ?? [])
        result.set(serverId, [...(result.get(serverId) ?? []), group]);
    }
    return result;
  }

  /** Ids of the visible, not decommissioned servers of each group, in id order. */
  async serverIdsOfGroups(scope: ReadScope, groupIds: readonly string[]): Promise<Map<string, string[]>> {
    const params: unknown[] = [groupIds];
    let where = 'gs.group_id = ANY($1::text[]) AND NOT s.decommissioned';
    if (scope.reseller !== null) {
      params.push(scope.reseller);
      where += ' AND s.reseller_id = $2';
    }
    const { rows } = await this.db.query<{ group_id: string; server_id: string }>(
      `SELECT gs.group_id, gs.server_id FROM ${this.s}.rm_group_servers gs
         JOIN ${this.s}.rm_servers s ON s.id = gs.server_id
        WHERE ${where} ORDER BY gs.server_id`,
      params,
    );
    const result = new Map<string, string[]>();
    for (const r of rows) result.set(r.group_id, [...(result.get(r.group_id) ?? []), r.server_id]);
    return result;
  }
}

export type { ServerListArgs, ServerListFilter, ReadScope };
