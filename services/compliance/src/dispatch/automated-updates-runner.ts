import type { LoggerService } from '@nestjs/common';
import type { EventStore } from '@fleetwarden/eventstore';
import { localDate, localDayNumber, startOfLocalDay } from '@fleetwarden/compliance-domain';
import type { PatchDispatcher, PatchJob } from '../effects/patch-dispatcher';
import { patchJobId } from '../common/job-ids';
import { complianceTables, latestApprovedBatch } from '../view/compliance-view';

/** A daily local window `HH:MM`-`HH:MM`; an end before the start crosses midnight. */
export interface LocalWindow {
  start: string;
  end: string;
  timeZone: string;
}

const minuteFormatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes since local midnight at `epochMs` in `timeZone`. */
export function localMinuteOfDay(epochMs: number, timeZone: string): number {
  let f = minuteFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    minuteFormatters.set(timeZone, f);
  }
  let hour = 0;
  let minute = 0;
  for (const part of f.formatToParts(epochMs)) {
    if (part.type === 'hour') hour = Number(part.value) % 24;
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return hour * 60 + minute;
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** True when `epochMs` lies inside the daily window (start inclusive, end exclusive). */
export function insideWindow(epochMs: number, window: LocalWindow): boolean {
  const m = localMinuteOfDay(epochMs, window.timeZone);
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  return start < end ? m >= start && m < end : m >= start || m < end;
}

interface AutomationRow {
  reseller_id: string;
  interval_days: number;
  window_start: string;
  window_end: string;
  time_zone: string;
}

/**
 * Automated OS updates (the leader's, once per evaluation pass): for each reseller with them on,
 * while `now` lies in the schedule's maintenance window, sends `install-patches` (started by
 * `automated`, kind `regular`, the latest approved batch) to each of its servers, operator- or
 * partner-hosted, whose last install is `intervalDays` or more local days ago (days of the
 * schedule's time zone) or unknown — at most once per server per interval: the day of the last
 * job sent is kept in `compliance_automation_jobs`, written after the jobs were handed to the
 * dispatcher (a crash in between resends the same job ids, `auto-<serverId>-<YYYYMMDD>`, which
 * the dispatcher ignores).
 */
export class AutomatedUpdatesRunner {
  constructor(
    private readonly deps: {
      store: EventStore;
      schema: string;
      dispatcher: Pick<PatchDispatcher, 'enqueue'>;
      logger: Pick<LoggerService, 'log' | 'warn'>;
    },
  ) {}

  /** Returns the number of jobs handed to the dispatcher. */
  async run(now: Date): Promise<number> {
    const { store, schema, dispatcher, logger } = this.deps;
    const t = complianceTables(schema);
    const { rows: resellers } = await store.transaction((tx) =>
      tx.query<AutomationRow>(
        `SELECT reseller_id, interval_days, window_start, window_end, time_zone FROM ${t.automation}
         WHERE enabled AND interval_days IS NOT NULL`,
      ),
    );
    const nowMs = now.getTime();
    const open = resellers.filter((r) =>
      insideWindow(nowMs, { start: r.window_start, end: r.window_end, timeZone: r.time_zone }),
    );
    if (open.length === 0) return 0;
    const batch = await latestApprovedBatch(store, schema);
    if (batch === null) {
      logger.warn(`automated updates of ${open.length} reseller(s) wait for the first approved patch batch`);
      return 0;
    }
    let sent = 0;
    for (const r of open) {
      const today = localDayNumber(nowMs, r.time_zone);
      const installedBefore = new Date(startOfLocalDay(today - r.interval_days + 1, r.time_zone)).toISOString();
      const { rows } = await store.transaction((tx) =>
        tx.query<{ server_id: string }>(
          `SELECT s.server_id FROM ${t.servers} s LEFT JOIN ${t.automationJobs} j ON j.server_id = s.server_id
           WHERE s.reseller_id = $1 AND NOT s.decommissioned
             AND (s.last_installed_at IS NULL OR s.last_installed_at < $2)
             AND (j.local_day IS NULL OR j.local_day <= $3)`,
          [r.reseller_id, installedBefore, today - r.interval_days],
        ),
      );
      if (rows.length === 0) continue;
      const day = localDate(nowMs, r.time_zone).replaceAll('-', '');
      const jobs: PatchJob[] = rows.map(({ server_id }) => ({
        jobId: patchJobId('auto', server_id, day),
        serverId: server_id,
        patches: batch.patches,
        startedBy: 'automated',
        kind: 'regular',
        urgentUpdateId: null,
        reason: `automated updates every ${r.interval_days} day(s): patch batch ${batch.batchId}`,
      }));
      await dispatcher.enqueue(jobs);
      await store.transaction((tx) =>
        tx.query(
          `INSERT INTO ${t.automationJobs} (server_id, local_day, job_id, sent_at)
           SELECT server_id, $3, job_id, $4 FROM unnest($1::text[], $2::text[]) AS j(server_id, job_id)
           ON CONFLICT (server_id) DO UPDATE SET local_day = EXCLUDED.local_day, job_id = EXCLUDED.job_id,
             sent_at = EXCLUDED.sent_at`,
          [jobs.map((j) => j.serverId), jobs.map((j) => j.jobId), today, now.toISOString()],
        ),
      );
      sent += jobs.length;
      logger.log(`automated updates of reseller ${r.reseller_id}: ${jobs.length} install job(s) sent`);
    }
    return sent;
  }
}
