import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/jwt-tokens';
import { toServer, type ServerRow } from '../inventory/inventory.read-model';
import type { Server } from '../inventory/models/server.model';
import { SERVER_COLUMNS, serversWithPresence } from '../inventory/server-list.sql';
import { ReadModelDb } from '../read-model/read-model-db';
import {
  PairRole,
  type NotificationTargetKind,
  type ReplicationStatus,
  type ServiceState,
  type SwitchoverKind,
} from './models/redundancy.enums';
import type {
  Member,
  NotificationTarget,
  RedundancyPair,
  SwitchoverNotification,
} from './models/redundancy-pair.model';

/** Whose pairs a caller sees: a reseller its own (tenant), operators and auditors all. */
export interface PairScope {
  tenant: string | null;
}

export const pairScopeOf = (principal: Principal): PairScope => ({
  tenant: principal.role === 'reseller' ? principal.reseller : null,
});

type Time = Date | string;

/** A row of `rm_pairs` (or its jsonb snapshot in `rm_pair_changes`). */
export interface PairRow {
  id: string;
  tenant: string | null;
  active_role: string;
  auto_failover: boolean;
  keep_alive_interval_sec: number;
  failover_threshold_sec: number;
  hold_down_sec: number;
  switch_address: string;
  notification_targets: unknown;
  configured_at: Time;
  configured_by: string;
  last_switchover_at: Time | null;
  last_switchover_reason: string | null;
  last_switchover_kind: string | null;
  last_switchover_by: string | null;
  failover_blocked_reason: string | null;
  failover_blocked_at: Time | null;
  secondary_unreachable_since: Time | null;
  isolation_warning_days_left: number | null;
  secondary_function_lost: boolean;
  notifications: unknown;
  notification_count: number;
}

/** A row of `rm_pair_members` (or its jsonb snapshot in `rm_pair_changes`). */
export interface MemberRow {
  pair_id: string;
  role: string;
  server_id: string;
  address: string;
  claims_control: boolean;
  switching_service: string | null;
  ip_phone_service: string | null;
  keep_alive_service: string | null;
  replication_status: string | null;
  peer_reachable: boolean | null;
  clock_skew_ms: number | null;
  available: boolean;
  unavailable_since: Time | null;
  last_keep_alive_at: Time | null;
}

interface StoredTarget {
  kind: string;
  subject?: string;
  url?: string;
}

interface StoredAttempt {
  switchId: string;
  target: StoredTarget;
  attempt: number;
  delivered: boolean;
  error: string | null;
  at: string;
}

const toDate = (value: Time): Date => (value instanceof Date ? value : new Date(value));
const toDateOrNull = (value: Time | null): Date | null => (value === null ? null : toDate(value));
const json = <T>(raw: unknown): T => (typeof raw === 'string' ? JSON.parse(raw) : raw) as T;
const numberOrNull = (value: number | string | null): number | null => (value === null ? null : Number(value));

const PAIR_COLUMNS = `p.id, p.tenant, p.active_role, p.auto_failover, p.keep_alive_interval_sec,
  p.failover_threshold_sec, p.hold_down_sec, p.switch_address, p.notification_targets, p.configured_at,
  p.configured_by, p.last_switchover_at, p.last_switchover_reason, p.last_switchover_kind, p.last_switchover_by,
  p.failover_blocked_reason, p.failover_blocked_at, p.secondary_unreachable_since, p.isolation_warning_days_left,
  p.secondary_function_lost, p.notifications, p.notification_count`;

const MEMBER_COLUMNS = `pair_id, role, server_id, address, claims_control, switching_service, ip_phone_service,
  keep_alive_service, replication_status, peer_reachable, clock_skew_ms, available, unavailable_since,
  last_keep_alive_at`;

function toTarget(t: StoredTarget): NotificationTarget {
  return { kind: t.kind as NotificationTargetKind, subject: t.subject ?? null, url: t.url ?? null };
}

function toNotification(a: StoredAttempt): SwitchoverNotification {
  return {
    switchId: a.switchId,
    target: toTarget(a.target),
    attempt: Number(a.attempt),
    delivered: a.delivered,
    error: a.error,
    at: toDate(a.at),
  };
}

/** The control plane alone says who is in control: the member whose role is the active one. */
function toMember(row: MemberRow, activeRole: PairRole): Member {
  return {
    role: row.role as PairRole,
    serverId: row.server_id,
    address: row.address,
    inControl: row.role === activeRole,
    claimsControl: row.claims_control,
    switchingService: row.switching_service as ServiceState | null,
    ipPhoneService: row.ip_phone_service as ServiceState | null,
    keepAliveService: row.keep_alive_service as ServiceState | null,
    replicationStatus: row.replication_status as ReplicationStatus | null,
    peerReachable: row.peer_reachable,
    clockSkewMs: numberOrNull(row.clock_skew_ms),
    available: row.available,
    unavailableSince: toDateOrNull(row.unavailable_since),
    lastKeepAliveAt: toDateOrNull(row.last_keep_alive_at),
  };
}

/** A pair and its members, from table rows or their jsonb snapshot. */
export function toPair(row: PairRow, members: readonly MemberRow[]): RedundancyPair {
  const activeRole = row.active_role as PairRole;
  const member = (role: PairRole): Member | null => {
    const found = members.find((m) => m.role === role);
    return found ? toMember(found, activeRole) : null;
  };
  return {
    id: row.id,
    tenant: row.tenant,
    activeSystem: activeRole,
    autoFailover: row.auto_failover,
    lastSwitchoverAt: toDateOrNull(row.last_switchover_at),
    lastSwitchoverReason: row.last_switchover_reason,
    lastSwitchoverKind: row.last_switchover_kind as SwitchoverKind | null,
    lastSwitchoverBy: row.last_switchover_by,
    failoverBlockedReason: row.failover_blocked_reason,
    failoverBlockedAt: toDateOrNull(row.failover_blocked_at),
    secondaryUnreachableSince: toDateOrNull(row.secondary_unreachable_since),
    isolationWarningDaysLeft: numberOrNull(row.isolation_warning_days_left),
    secondaryFunctionLost: row.secondary_function_lost,
    keepAliveIntervalSec: Number(row.keep_alive_interval_sec),
    failoverThresholdSec: Number(row.failover_threshold_sec),
    holdDownSec: Number(row.hold_down_sec),
    switchAddress: row.switch_address,
    notificationTargets: json<StoredTarget[]>(row.notification_targets).map(toTarget),
    notifications: json<StoredAttempt[]>(row.notifications).map(toNotification),
    notificationCount: Number(row.notification_count),
    configuredAt: toDate(row.configured_at),
    configuredBy: row.configured_by,
    primary: member(PairRole.PRIMARY),
    secondary: member(PairRole.SECONDARY),
  };
}

/** Queries of the pair read model, always within a caller's {@link PairScope}. */
@Injectable()
export class RedundancyReadModel {
  private readonly s: string;

  constructor(private readonly db: ReadModelDb) {
    this.s = db.schema;
  }

  /** Every pair the scope can see, by id. */
  async listPairs(scope: PairScope): Promise<RedundancyPair[]> {
    const params: unknown[] = [];
    let where = 'true';
    if (scope.tenant !== null) {
      params.push(scope.tenant);
      where = 'p.tenant = $1';
    }
    const { rows } = await this.db.query<PairRow>(
      `SELECT ${PAIR_COLUMNS} FROM ${this.s}.rm_pairs p WHERE ${where} ORDER BY p.id`,
      params,
    );
    return this.withMembers(rows);
  }

  /** One pair the scope can see; null otherwise. */
  async getPair(scope: PairScope, id: string): Promise<RedundancyPair | null> {
    const params: unknown[] = [id];
    let where = 'p.id = $1';
    if (scope.tenant !== null) {
      params.push(scope.tenant);
      where += ' AND p.tenant = $2';
    }
    const { rows } = await this.db.query<PairRow>(
      `SELECT ${PAIR_COLUMNS} FROM ${this.s}.rm_pairs p WHERE ${where}`,
      params,
    );
    return (await this.withMembers(rows))[0] ?? null;
  }

  /** Servers by id as the inventory shows them to the scope (a reseller: its own, live ones). */
  async serversById(scope: PairScope, ids: readonly string[]): Promise<Map<string, Server>> {
    const params: unknown[] = [ids];
    let where = 's.id = ANY($1::text[])';
    if (scope.tenant !== null) {
      params.push(scope.tenant);
      where += ' AND s.reseller_id = $2 AND NOT s.decommissioned';
    }
    const { rows } = await this.db.query<ServerRow>(
      `SELECT ${SERVER_COLUMNS} FROM ${serversWithPresence(this.s)} WHERE ${where}`,
      params,
    );
    return new Map(rows.map((r) => [r.id, toServer(r)]));
  }

  private async withMembers(rows: PairRow[]): Promise<RedundancyPair[]> {
    if (rows.length === 0) return [];
    const { rows: members } = await this.db.query<MemberRow>(
      `SELECT ${MEMBER_COLUMNS} FROM ${this.s}.rm_pair_members WHERE pair_id = ANY($1::text[])`,
      [rows.map((r) => r.id)],
    );
    const byPair = new Map<string, MemberRow[]>();
    for (const m of members) byPair.set(m.pair_id, [...(byPair.get(m.pair_id) ?? []), m]);
    return rows.map((r) => toPair(r, byPair.get(r.id) ?? []));
  }
}
