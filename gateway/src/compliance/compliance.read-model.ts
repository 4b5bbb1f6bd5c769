import { Inject, Injectable } from '@nestjs/common';
import { ALERT_AFTER_DAYS, BREACH_AFTER_DAYS } from '@fleetwarden/compliance-contracts';
import { PLATFORM_CONFIG, type FleetwardenConfig } from '@fleetwarden/platform';
import type { Principal } from '../auth/jwt-tokens';
import { forbidden } from '../graphql/graphql-errors';
import { ReadModelDb } from '../read-model/read-model-db';
import { ComplianceState, type PatchBatchState } from './models/compliance.enums';
import type {
  Charge,
  ChargeList,
  ComplianceSummary,
  Money,
  PatchAutomation,
  PatchBatch,
  ServerCompliance,
  UrgentUpdate,
} from './models/compliance.model';

/** Charge forecast windows, in local days after today. */
export const FORECAST_WINDOWS_DAYS = [30, 60, 90] as const;

/**
 * The reseller whose data a caller asks for: a reseller its own (FORBIDDEN for another one),
 * operators and auditors the one given, or every one (null).
 */
export function resellerScope(principal: Principal, reseller: string | null | undefined): string | null {
  if (principal.role !== 'reseller') return reseller ?? null;
  if (reseller !== null && reseller !== undefined && reseller !== principal.reseller) {
    throw forbidden(`A reseller sees its own compliance only (argument "reseller" must be ${principal.reseller})`);
  }
  return principal.reseller;
}

/**
 * SQL of the compliance counters of `c.last_installed_at` at `$1` (now) in time zone `$2`: whole
 * local calendar days, 0 on the install day (an install after `now`, from a clock ahead of ours,
 * counts as today). Null when no install is known.
 */
const LOCAL_INSTALL_DATE = `(c.last_installed_at AT TIME ZONE $2)::date`;
const DAYS = `(CASE WHEN c.last_installed_at IS NOT NULL
  THEN greatest(0, ($1::timestamptz AT TIME ZONE $2)::date - ${LOCAL_INSTALL_DATE}) END)`;
/** The local midnight starting day `n` after the install, as an instant. */
const reaches = (n: number) => `((${LOCAL_INSTALL_DATE} + ${n})::timestamp AT TIME ZONE $2)`;
const stateOf = (days: string) =>
  `CASE WHEN ${days} IS NULL OR ${days} >= ${BREACH_AFTER_DAYS} THEN '${ComplianceState.BREACHED}'
        WHEN ${days} >= ${ALERT_AFTER_DAYS} THEN '${ComplianceState.ALERTED}' ELSE '${ComplianceState.OK}' END`;
/** Servers subject to the patch policy. */
const SUBJECT_TO_POLICY = `sv.hosting_provider = 'operator' AND NOT sv.decommissioned`;

type Time = Date | string;
const toDate = (value: Time): Date => (value instanceof Date ? value : new Date(value));
const toDateOrNull = (value: Time | null): Date | null => (value === null ? null : toDate(value));
const json = <T>(raw: unknown): T => (typeof raw === 'string' ? JSON.parse(raw) : raw) as T;

interface ServerComplianceRow {
  id: string;
  subject: boolean;
  last_installed_at: Time | null;
  days: number | null;
  state: string;
  reaches60_at: Time | null;
  reaches120_at: Time | null;
}

interface ChargeRow {
  server_id: string;
  reseller_id: string;
  amount_cents: string;
  currency: string;
  reason: string;
  days_since_last_update: number | null;
  installed_at: Time;
  at: Time;
}

interface BatchRow {
  id: string;
  state: string;
  patches: unknown;
  downloaded_at: Time;
  piloted_at: Time | null;
  watch_ends_at: Time | null;
  approved_at: Time | null;
}

interface AutomationRow {
  reseller_id: string;
  enabled: boolean;
  schedule: unknown;
  set_at: Time;
}

/** Queries of the compliance read model at an instant, with days in the operator's time zone. */
@Injectable()
export class ComplianceReadModel {
  private readonly s: string;
  private readonly timeZone: string;
  private readonly charge: Money;

  constructor(
    private readonly db: ReadModelDb,
    @Inject(PLATFORM_CONFIG) config: FleetwardenConfig,
  ) {
    this.s = db.schema;
    this.timeZone = config.operatorTimeZone;
    this.charge = config.breachCharge;
  }

  /**
   * Counts per state and bucket and the charge forecast, in one aggregate over the operator-hosted,
   * live servers of the inventory (of `reseller`, or all when null); servers without an install
   * count as breached.
   */
  async summary(reseller: string | null, now: Date): Promise<ComplianceSummary> {
    const params: unknown[] = [now.toISOString(), this.timeZone];
    let where = SUBJECT_TO_POLICY;
    if (reseller !== null) {
      params.push(reseller);
      where += ' AND sv.reseller_id = $3';
    }
    // days >= n  <=>  installed before the local midnight starting day (today - n + 1): comparing
    // instants with a few bounds computed once, instead of converting every install to a local date.
    const bounds = [30, ALERT_AFTER_DAYS, 90, BREACH_AFTER_DAYS];
    const atLeast = (n: number) => `(i IS NULL OR i < b${n})`;
    const below = (n: number) => `i >= b${n}`;
    const { rows } = await this.db.query<Record<string, number>>(
      `WITH t AS (SELECT ($1::timestamptz AT TIME ZONE $2)::date AS today),
            b AS (SELECT ${bounds.map((n) => `((today - ${n - 1})::timestamp AT TIME ZONE $2) AS b${n}`).join(', ')}
                    FROM t),
            d AS (SELECT c.last_installed_at AS i, b.*
                    FROM ${this.s}.rm_servers sv
                    LEFT JOIN ${this.s}.rm_compliance_servers c ON c.server_id = sv.id
                    CROSS JOIN b
                   WHERE ${where})
       SELECT count(*)::int AS total,
              count(*) FILTER (WHERE ${below(ALERT_AFTER_DAYS)})::int AS ok,
              count(*) FILTER (WHERE ${atLeast(ALERT_AFTER_DAYS)} AND ${below(BREACH_AFTER_DAYS)})::int AS alerted,
              count(*) FILTER (WHERE ${atLeast(BREACH_AFTER_DAYS)})::int AS breached,
              count(*) FILTER (WHERE ${below(30)})::int AS b0,
              count(*) FILTER (WHERE ${atLeast(30)} AND ${below(60)})::int AS b30,
              count(*) FILTER (WHERE ${atLeast(60)} AND ${below(90)})::int AS b60,
              count(*) FILTER (WHERE ${atLeast(90)} AND ${below(120)})::int AS b90,
              count(*) FILTER (WHERE ${atLeast(120)})::int AS b120
         FROM d`,
      params,
    );
    const r = rows[0];
    // Breached by the window's last day (today + w)  <=>  days >= 120 - w today.
    const breachedWithin: Record<number, number> = {
      30: r.b90 + r.b120,
      60: r.alerted + r.breached,
      90: r.total - r.b0,
    };
    return {
      total: r.total,
      ok: r.ok,
      alerted: r.alerted,
      breached: r.breached,
      buckets: { days0to29: r.b0, days30to59: r.b30, days60to89: r.b60, days90to119: r.b90, days120plus: r.b120 },
      chargeForecast: FORECAST_WINDOWS_DAYS.map((days) => ({
        days,
        servers: breachedWithin[days],
        amount: { value: breachedWithin[days] * this.charge.value, currency: this.charge.currency },
      })),
    };
  }

  /** Compliance of servers by id; null for a partner-hosted or decommissioned one (absent: unknown). */
  async ofServers(ids: readonly string[], now: Date): Promise<Map<string, ServerCompliance | null>> {
    const { rows } = await this.db.query<ServerComplianceRow>(
      `SELECT sv.id, (${SUBJECT_TO_POLICY}) AS subject, c.last_installed_at, ${DAYS} AS days,
              ${stateOf(DAYS)} AS state, ${reaches(ALERT_AFTER_DAYS)} AS reaches60_at,
              ${reaches(BREACH_AFTER_DAYS)} AS reaches120_at
         FROM ${this.s}.rm_servers sv LEFT JOIN ${this.s}.rm_compliance_servers c ON c.server_id = sv.id
        WHERE sv.id = ANY($3::text[])`,
      [now.toISOString(), this.timeZone, ids],
    );
    return new Map(
      rows.map((r) => [
        r.id,
        r.subject
          ? {
              daysSinceLastUpdate: r.days,
              dayCounter: r.days === null ? null : r.days + 1,
              state: r.state as ComplianceState,
              lastInstalledAt: toDateOrNull(r.last_installed_at),
              reaches60At: toDateOrNull(r.reaches60_at),
              reaches120At: toDateOrNull(r.reaches120_at),
            }
          : null,
      ]),
    );
  }

  /** Charges recorded in `[from, to)`, oldest first, of `reseller` or all (null), and their sum. */
  async charges(reseller: string | null, from: Date, to: Date): Promise<ChargeList> {
    const params: unknown[] = [from.toISOString(), to.toISOString()];
    let where = 'at >= $1 AND at < $2';
    if (reseller !== null) {
      params.push(reseller);
      where += ' AND reseller_id = $3';
    }
    const { rows } = await this.db.query<ChargeRow>(
      `SELECT server_id, reseller_id, amount_cents::text AS amount_cents, currency, reason, days_since_last_update,
              installed_at, at
         FROM ${this.s}.rm_compliance_charges WHERE ${where} ORDER BY at, event_id`,
      params,
    );
    const items: Charge[] = rows.map((r) => ({
      serverId: r.server_id,
      reseller: r.reseller_id,
      amount: { value: Number(r.amount_cents), currency: r.currency },
      reason: r.reason,
      daysSinceLastUpdate: r.days_since_last_update,
      installedAt: toDate(r.installed_at),
      at: toDate(r.at),
    }));
    // One currency today (USD); the configured charge's when there is none.
    const currency = items[0]?.amount.currency ?? this.charge.currency;
    const value = items.reduce((sum, c) => sum + c.amount.value, 0);
    return { items, total: { value, currency } };
  }

  /** Urgent updates, newest first: a reseller sees those that affect it, with its own progress only. */
  async urgentUpdates(reseller: string | null): Promise<UrgentUpdate[]> {
    const params: unknown[] = [];
    let where = 'true';
    if (reseller !== null) {
      params.push(reseller);
      where = 'r.reseller_id = $1';
    }
    const { rows } = await this.db.query<{
      id: string;
      patches: unknown;
      reason: string;
      declared_at: Time;
      completed: boolean;
      resellers: unknown;
    }>(
      `SELECT u.id, u.patches, u.reason, u.declared_at, u.completed,
              coalesce(jsonb_agg(jsonb_build_object('reseller', r.reseller_id, 'affected', r.affected,
                'patched', r.patched, 'completed', r.completed) ORDER BY r.reseller_id)
                FILTER (WHERE r.reseller_id IS NOT NULL), '[]'::jsonb) AS resellers
         FROM ${this.s}.rm_urgent_updates u
         ${reseller === null ? 'LEFT' : ''} JOIN ${this.s}.rm_urgent_update_resellers r
           ON r.urgent_update_id = u.id AND ${where}
        GROUP BY u.id ORDER BY u.declared_at DESC, u.id DESC`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      patches: json<string[]>(r.patches),
      reason: r.reason,
      declaredAt: toDate(r.declared_at),
      completed: r.completed,
      resellers: json<UrgentUpdate['resellers']>(r.resellers),
    }));
  }

  /** One urgent update as {@link urgentUpdates} shows it; null when unknown or not the reseller's. */
  async urgentUpdate(reseller: string | null, id: string): Promise<UrgentUpdate | null> {
    return (await this.urgentUpdates(reseller)).find((u) => u.id === id) ?? null;
  }

  /** Patch batches, newest first (or the one with `id`). */
  async patchBatches(id?: string): Promise<PatchBatch[]> {
    const { rows } = await this.db.query<BatchRow>(
      `SELECT id, state, patches, downloaded_at, piloted_at, watch_ends_at, approved_at
         FROM ${this.s}.rm_patch_batches ${id === undefined ? '' : 'WHERE id = $1'}
        ORDER BY downloaded_at DESC, id DESC`,
      id === undefined ? [] : [id],
    );
    return rows.map((r) => ({
      id: r.id,
      state: r.state as PatchBatchState,
      patches: json<string[]>(r.patches),
      downloadedAt: toDate(r.downloaded_at),
      pilotedAt: toDateOrNull(r.piloted_at),
      watchEndsAt: toDateOrNull(r.watch_ends_at),
      approvedAt: toDateOrNull(r.approved_at),
    }));
  }

  /** A reseller's automated updates; null when never set. */
  async automation(reseller: string): Promise<PatchAutomation | null> {
    const { rows } = await this.db.query<AutomationRow>(
      `SELECT reseller_id, enabled, schedule, set_at FROM ${this.s}.rm_patch_automation WHERE reseller_id = $1`,
      [reseller],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      reseller: r.reseller_id,
      enabled: r.enabled,
      schedule: json<PatchAutomation['schedule']>(r.schedule),
      setAt: toDate(r.set_at),
    };
  }
}
