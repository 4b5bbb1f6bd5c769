import type { EventStore } from '@fleetwarden/eventstore';
import {
  ALERT_AFTER_DAYS,
  BREACH_AFTER_DAYS,
  complianceOf,
  localDayNumber,
  startOfLocalDay,
  type ComplianceStatus,
} from '@fleetwarden/compliance-domain';
import type { ServerComplianceBook } from '../common/compliance-books';
import { complianceTables } from '../view/compliance-view';

/** A server as the evaluation sees it (a row of the view). */
export interface EvaluationRow {
  serverId: string;
  reseller: string;
  /** ISO instant; null: no install known. */
  lastInstalledAt: string | null;
  alerted: boolean;
  breached: boolean;
  opsScheduled: boolean;
}

/** What is due for a server: the alert, the breach, the operations take-over. */
export type DueStep = 'alert' | 'breach' | 'operations';

export interface EvaluationDecision {
  serverId: string;
  reseller: string;
  status: ComplianceStatus;
  due: DueStep[];
}

export interface EvaluationPlan {
  /** Rows looked at. */
  examined: number;
  /** Servers with at least one step due. */
  decisions: EvaluationDecision[];
  /** States of the rows looked at. */
  states: { ok: number; alerted: number; breached: number };
}

/**
 * The in-memory part of an evaluation pass, without I/O: the counter of every row at `now`
 * (`complianceOf`, local calendar days in `timeZone`) and the steps due for it (alert from 60
 * days, breach and operations take-over from 120 or without a known install), each unless the
 * row's flag says it was done in this alert cycle. Rows whose install lies after `now` (a clock
 * behind the agents') are skipped. The pass feeds it the candidates its SQL picked; a benchmark of
 * the daily recomputation feeds it every server (100,000 rows: one `complianceOf` per row).
 */
export function planEvaluations(rows: readonly EvaluationRow[], now: string, timeZone: string): EvaluationPlan {
  const nowMs = Date.parse(now);
  const decisions: EvaluationDecision[] = [];
  const states = { ok: 0, alerted: 0, breached: 0 };
  for (const row of rows) {
    if (row.lastInstalledAt !== null && Date.parse(row.lastInstalledAt) > nowMs) continue;
    const status = complianceOf(row.lastInstalledAt, now, timeZone);
    states[status.state]++;
    if (status.state === 'ok') continue;
    const due: DueStep[] = [];
    if (!row.alerted) due.push('alert');
    if (status.state === 'breached') {
      if (!row.breached) due.push('breach');
      if (!row.opsScheduled) due.push('operations');
    }
    if (due.length > 0) decisions.push({ serverId: row.serverId, reseller: row.reseller, status, due });
  }
  return { examined: rows.length, decisions, states };
}

/** Counts of one evaluation pass. */
export interface EvaluationPassResult {
  /** Servers the SQL picked as candidates (operator-hosted, not decommissioned, a threshold reached without its flag). */
  examined: number;
  alerted: number;
  breached: number;
  operationsScheduled: number;
  /** Evaluations refused or failed (logged). */
  failed: number;
  /** Real ms the pass took. */
  ms: number;
}

const CHUNK = 1000;

/** A row of the view's servers table, as the evaluation reads it. */
export interface ViewServerRow {
  server_id: string;
  reseller_id: string;
  last_installed_at: Date | null;
  alerted: boolean;
  breached: boolean;
  ops_scheduled: boolean;
}

interface CandidateRow extends ViewServerRow {
  stream_version: number;
}

/** A view row as {@link planEvaluations} takes it. */
export function toEvaluationRow(r: ViewServerRow): EvaluationRow {
  return {
    serverId: r.server_id,
    reseller: r.reseller_id,
    lastInstalledAt: r.last_installed_at === null ? null : new Date(r.last_installed_at).toISOString(),
    alerted: r.alerted,
    breached: r.breached,
    opsScheduled: r.ops_scheduled,
  };
}

/**
 * One evaluation pass: one SQL query picks the operator-hosted, not decommissioned servers whose
 * local day count reaches 60 (or 120) without the matching flag, or that have no known install;
 * {@link planEvaluations} decides what is due; the domain's `Evaluate` runs for each through the
 * server book (in parallel, chunks of 1000), which appends each step once per alert cycle even
 * when the view lags behind.
 */
/**
 * A server with no known install counts as breached, but is handed to operations only once it has
 * been registered this long: its agent reports its last install after its first hello, and that
 * report may reach the service after the registration.
 */
export const NEVER_INSTALLED_GRACE_MS = 86_400_000;

export async function runEvaluationPass(deps: {
  store: EventStore;
  schema: string;
  book: ServerComplianceBook;
  now: string;
  timeZone: string;
  onError: (serverId: string, err: unknown) => void;
}): Promise<EvaluationPassResult> {
  const started = performance.now();
  const { store, schema, book, now, timeZone } = deps;
  const t = complianceTables(schema);
  const today = localDayNumber(Date.parse(now), timeZone);
  const alertBefore = new Date(startOfLocalDay(today - ALERT_AFTER_DAYS + 1, timeZone)).toISOString();
  const breachBefore = new Date(startOfLocalDay(today - BREACH_AFTER_DAYS + 1, timeZone)).toISOString();
  const registeredBefore = new Date(Date.parse(now) - NEVER_INSTALLED_GRACE_MS).toISOString();
  const { rows } = await store.transaction((tx) =>
    tx.query<CandidateRow>(
      `SELECT server_id, reseller_id, last_installed_at, alerted, breached, ops_scheduled, stream_version
       FROM ${t.servers}
       WHERE hosting_provider = 'operator' AND NOT decommissioned
         AND (last_installed_at IS NULL OR last_installed_at < $1)
         AND (last_installed_at IS NOT NULL OR registered_at IS NULL OR registered_at <= $3)
         AND (NOT alerted OR ((NOT breached OR NOT ops_scheduled)
                              AND (last_installed_at IS NULL OR last_installed_at < $2)))`,
      [alertBefore, breachBefore, registeredBefore],
    ),
  );
  const versions = new Map(rows.map((r) => [r.server_id, r.stream_version]));
  const plan = planEvaluations(rows.map(toEvaluationRow), now, timeZone);
  const result: EvaluationPassResult = {
    examined: plan.examined,
    alerted: 0,
    breached: 0,
    operationsScheduled: 0,
    failed: 0,
    ms: 0,
  };
  for (let i = 0; i < plan.decisions.length; i += CHUNK) {
    await Promise.all(
      plan.decisions.slice(i, i + CHUNK).map(async ({ serverId, reseller }) => {
        try {
          book.invalidate(serverId, versions.get(serverId) ?? 0);
          const events = await book.run(serverId, reseller, () => ({
            type: 'Evaluate',
            data: { serverId, now, timeZone },
            resolved: { serverKnown: true, reseller, hostingProvider: 'operator' },
          }));
          for (const e of events) {
            if (e.type === 'ComplianceAlerted') result.alerted++;
            else if (e.type === 'ComplianceBreached') result.breached++;
            else if (e.type === 'OperationsPatchScheduled') result.operationsScheduled++;
          }
        } catch (err) {
          result.failed++;
          deps.onError(serverId, err);
        }
      }),
    );
  }
  result.ms = Math.round(performance.now() - started);
  return result;
}
