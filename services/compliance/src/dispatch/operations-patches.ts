import type { LoggerService } from '@nestjs/common';
import type { EventStore, RecordedEvent } from '@fleetwarden/eventstore';
import type { PatchDispatcher, PatchJob } from '../effects/patch-dispatcher';
import { patchJobId, patchJobReason } from '../common/job-ids';
import { complianceTables, latestApprovedBatch } from '../view/compliance-view';

/** The events the operations dispatch reacts to. */
export const OPERATIONS_DISPATCH_EVENTS = [
  'OperationsPatchScheduled',
  'EmergencyUpdateRecorded',
  'PatchBatchApproved',
] as const;

/**
 * The OS-patch jobs operations sends (the leader's): for an emergency update at once (its
 * patches, kind `emergency`); for a breached server operations takes over (`OperationsPatchScheduled`)
 * the patches of the latest approved batch, kind `regular`. While no batch is approved the take-over
 * is kept pending (`compliance_operations_jobs`, state `pending`; logged) and sent once one is, at
 * the next approval or evaluation pass; a server patched since the take-over is dropped
 * (`obsolete`). Job ids derive from the event (`ops-<eventId>`, `emg-<eventId>`), and the
 * dispatcher ignores a job id it knows, so handling an event twice sends nothing twice.
 */
export class OperationsPatches {
  private warnedNoBatch = false;
  private sending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: {
      store: EventStore;
      schema: string;
      dispatcher: Pick<PatchDispatcher, 'enqueue'>;
      logger: Pick<LoggerService, 'log' | 'warn'>;
    },
  ) {}

  async handleBatch(events: readonly RecordedEvent[]): Promise<void> {
    const { store, schema, dispatcher } = this.deps;
    const t = complianceTables(schema);
    const emergencies: PatchJob[] = [];
    const scheduled: Array<[string, string, string, string]> = [];
    for (const event of events) {
      const d = event.data as Record<string, unknown>;
      if (event.type === 'EmergencyUpdateRecorded') {
        emergencies.push({
          jobId: patchJobId('emg', event.eventId),
          serverId: String(d.serverId),
          patches: d.patches as string[],
          startedBy: 'operations',
          kind: 'emergency',
          urgentUpdateId: null,
          reason: patchJobReason(`emergency update ${String(d.emergencyUpdateId)}: ${String(d.reason)}`),
        });
      } else if (event.type === 'OperationsPatchScheduled') {
        scheduled.push([event.eventId, String(d.serverId), String(d.reseller), String(d.at)]);
      }
    }
    if (emergencies.length > 0) await dispatcher.enqueue(emergencies);
    if (scheduled.length > 0) {
      await store.transaction((tx) =>
        tx.query(
          `INSERT INTO ${t.operationsJobs} (event_id, server_id, reseller_id, scheduled_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
           ON CONFLICT (event_id) DO NOTHING`,
          [
            scheduled.map((s) => s[0]),
            scheduled.map((s) => s[1]),
            scheduled.map((s) => s[2]),
            scheduled.map((s) => s[3]),
          ],
        ),
      );
    }
    if (scheduled.length > 0 || events.some((e) => e.type === 'PatchBatchApproved')) await this.sendPending();
  }

  /** Sends the pending take-overs when a batch is approved; returns how many jobs were sent. One call at a time. */
  sendPending(): Promise<number> {
    const run = this.sending.then(() => this.sendPendingNow());
    this.sending = run.catch(() => undefined);
    return run;
  }

  private async sendPendingNow(): Promise<number> {
    const { store, schema, dispatcher, logger } = this.deps;
    const t = complianceTables(schema);
    await store.transaction((tx) =>
      tx.query(
        `UPDATE ${t.operationsJobs} o SET state = 'obsolete' FROM ${t.servers} s
         WHERE o.state = 'pending' AND s.server_id = o.server_id
           AND (s.decommissioned OR s.last_installed_at > o.scheduled_at)`,
      ),
    );
    const { rows } = await store.transaction((tx) =>
      tx.query<{ event_id: string; server_id: string }>(
        `SELECT event_id, server_id FROM ${t.operationsJobs} WHERE state = 'pending' ORDER BY scheduled_at LIMIT 10000`,
      ),
    );
    if (rows.length === 0) return 0;
    const batch = await latestApprovedBatch(store, schema);
    if (batch === null) {
      if (!this.warnedNoBatch) {
        logger.warn(`${rows.length} operations patch(es) of breached servers wait for the first approved patch batch`);
      }
      this.warnedNoBatch = true;
      return 0;
    }
    this.warnedNoBatch = false;
    const jobs: PatchJob[] = rows.map((r) => ({
      jobId: patchJobId('ops', r.event_id),
      serverId: r.server_id,
      patches: batch.patches,
      startedBy: 'operations',
      kind: 'regular',
      urgentUpdateId: null,
      reason: `breached: operations installs patch batch ${batch.batchId}`,
    }));
    await dispatcher.enqueue(jobs);
    await store.transaction((tx) =>
      tx.query(
        `UPDATE ${t.operationsJobs} o SET state = 'sent', job_id = j.job_id
         FROM unnest($1::text[], $2::text[]) AS j(event_id, job_id) WHERE o.event_id = j.event_id`,
        [rows.map((r) => r.event_id), jobs.map((j) => j.jobId)],
      ),
    );
    logger.log(`sent ${jobs.length} operations patch job(s) of breached servers (batch ${batch.batchId})`);
    return jobs.length;
  }
}
