import type { EventStore, RecordedEvent, SqlExecutor, Subscription } from '@fleetwarden/eventstore';

/** Checkpoint name of the projection. */
export const COMPLIANCE_VIEW_PROJECTION = 'compliance-view';

/** Names of the compliance service's own tables in `schema`. */
export function complianceTables(schema: string) {
  return {
    /** Servers (inventory) with their alert cycle (compliance events) and their stream's version. */
    servers: `${schema}.compliance_servers`,
    /** Patches approved for customer servers: by an approved batch or a declared urgent update. */
    approvals: `${schema}.compliance_approvals`,
    /** Approved batches with their patches: the latest is what operations and automation install. */
    batches: `${schema}.compliance_batches`,
    /** Automated updates per reseller. */
    automation: `${schema}.compliance_automation`,
    /** Last automated install job sent per server (local day of the schedule's time zone). */
    automationJobs: `${schema}.compliance_automation_jobs`,
    /** Operations patches to send per `OperationsPatchScheduled`; `job_id` null while no batch is approved. */
    operationsJobs: `${schema}.compliance_operations_jobs`,
  };
}

/** Creates the tables when missing (every instance, at start). */
export async function ensureComplianceTables(store: EventStore, schema: string): Promise<void> {
  const t = complianceTables(schema);
  await store.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${schema}:compliance-tables`]);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${t.servers} (
      server_id text PRIMARY KEY,
      reseller_id text NOT NULL,
      hosting_provider text NOT NULL,
      decommissioned boolean NOT NULL DEFAULT false,
      last_installed_at timestamptz NULL,
      alerted boolean NOT NULL DEFAULT false,
      breached boolean NOT NULL DEFAULT false,
      ops_scheduled boolean NOT NULL DEFAULT false,
      stream_version int NOT NULL DEFAULT 0
    )`);
    await tx.query(`ALTER TABLE ${t.servers} ADD COLUMN IF NOT EXISTS registered_at timestamptz NULL`);
    await tx.query(`CREATE INDEX IF NOT EXISTS compliance_servers_due ON ${t.servers} (last_installed_at)
      WHERE hosting_provider = 'operator' AND NOT decommissioned`);
    await tx.query(`CREATE INDEX IF NOT EXISTS compliance_servers_reseller ON ${t.servers} (reseller_id)`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${t.approvals} (
      patch text NOT NULL,
      source text NOT NULL,
      approved_at timestamptz NOT NULL,
      PRIMARY KEY (patch, source)
    )`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${t.batches} (
      batch_id text PRIMARY KEY,
      patches text[] NOT NULL,
      approved_at timestamptz NOT NULL
    )`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${t.automation} (
      reseller_id text PRIMARY KEY,
      enabled boolean NOT NULL,
      interval_days int NULL,
      window_start text NULL,
      window_end text NULL,
      time_zone text NULL
    )`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${t.automationJobs} (
      server_id text PRIMARY KEY,
      local_day int NOT NULL,
      job_id text NOT NULL,
      sent_at timestamptz NOT NULL
    )`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${t.operationsJobs} (
      event_id text PRIMARY KEY,
      server_id text NOT NULL,
      reseller_id text NOT NULL,
      scheduled_at timestamptz NOT NULL,
      job_id text NULL,
      state text NOT NULL DEFAULT 'pending'
    )`);
    await tx.query(`CREATE INDEX IF NOT EXISTS compliance_operations_jobs_pending ON ${t.operationsJobs} (scheduled_at)
      WHERE state = 'pending'`);
  });
}

/** The events the view applies. */
export const COMPLIANCE_VIEW_EVENTS = [
  'ServerRegistered',
  'ServerDecommissioned',
  'PatchesInstalled',
  'ComplianceAlerted',
  'ComplianceBreached',
  'OperationsPatchScheduled',
  'ChargeRecorded',
  'UnapprovedPatchFlagged',
  'EmergencyUpdateRecorded',
  'PatchBatchApproved',
  'UrgentUpdateDeclared',
  'AutomatedUpdatesSet',
] as const;

const FLAG_OF: Record<string, string> = {
  ComplianceAlerted: 'alerted',
  ComplianceBreached: 'breached',
  OperationsPatchScheduled: 'ops_scheduled',
};

/**
 * The compliance service's view, each batch committed with its checkpoint (one instance at a
 * time): servers from the inventory events with the alert cycle and stream version of their
 * compliance stream, the approvals of patches (approved batches, declared urgent updates), and
 * each reseller's automated updates. The stream version lets a process drop a cached aggregate
 * that another instance has written past.
 */
export function runComplianceView(
  store: EventStore,
  schema: string,
  options: { pollIntervalMs?: number } = {},
): Subscription {
  return store.runProjection({
    name: COMPLIANCE_VIEW_PROJECTION,
    types: COMPLIANCE_VIEW_EVENTS,
    pollIntervalMs: options.pollIntervalMs,
    batchSize: 1000,
    handle: (event, tx) => applyToView(schema, event, tx),
  });
}

async function applyToView(schema: string, event: RecordedEvent, tx: SqlExecutor): Promise<void> {
  const t = complianceTables(schema);
  const d = event.data as Record<string, unknown>;
  switch (event.type) {
    case 'ServerRegistered':
      await tx.query(
        `INSERT INTO ${t.servers} (server_id, reseller_id, hosting_provider, decommissioned, registered_at)
         VALUES ($1, $2, $3, false, $4)
         ON CONFLICT (server_id) DO UPDATE
           SET reseller_id = EXCLUDED.reseller_id, hosting_provider = EXCLUDED.hosting_provider, decommissioned = false,
               registered_at = COALESCE(${t.servers}.registered_at, EXCLUDED.registered_at)`,
        [d.serverId, (d.reseller as { id: string }).id, d.hostingProvider, event.metadata.occurredAt],
      );
      return;
    case 'ServerDecommissioned':
      await tx.query(`UPDATE ${t.servers} SET decommissioned = true WHERE server_id = $1`, [d.serverId]);
      return;
    case 'PatchesInstalled':
      await tx.query(
        `INSERT INTO ${t.servers} (server_id, reseller_id, hosting_provider, last_installed_at, stream_version)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (server_id) DO UPDATE SET
           last_installed_at = GREATEST(${t.servers}.last_installed_at, EXCLUDED.last_installed_at),
           alerted = false, breached = false, ops_scheduled = false,
           stream_version = GREATEST(${t.servers}.stream_version, EXCLUDED.stream_version)`,
        [d.serverId, d.reseller, d.hostingProvider, d.installedAt, event.streamVersion],
      );
      return;
    case 'ComplianceAlerted':
    case 'ComplianceBreached':
    case 'OperationsPatchScheduled':
      await tx.query(
        `UPDATE ${t.servers} SET ${FLAG_OF[event.type]} = true, stream_version = GREATEST(stream_version, $2)
         WHERE server_id = $1`,
        [d.serverId, event.streamVersion],
      );
      return;
    case 'ChargeRecorded':
    case 'UnapprovedPatchFlagged':
    case 'EmergencyUpdateRecorded':
      await tx.query(`UPDATE ${t.servers} SET stream_version = GREATEST(stream_version, $2) WHERE server_id = $1`, [
        d.serverId,
        event.streamVersion,
      ]);
      return;
    case 'PatchBatchApproved':
      await tx.query(
        `INSERT INTO ${t.batches} (batch_id, patches, approved_at) VALUES ($1, $2::text[], $3)
         ON CONFLICT (batch_id) DO NOTHING`,
        [d.batchId, d.patches, d.at],
      );
      await addApprovals(tx, t.approvals, d.patches as string[], `batch:${String(d.batchId)}`, String(d.at));
      return;
    case 'UrgentUpdateDeclared':
      await addApprovals(tx, t.approvals, d.patches as string[], `urgent:${String(d.urgentUpdateId)}`, String(d.at));
      return;
    case 'AutomatedUpdatesSet': {
      const schedule = d.schedule as {
        intervalDays: number;
        window: { start: string; end: string; timeZone: string };
      } | null;
      await tx.query(
        `INSERT INTO ${t.automation} (reseller_id, enabled, interval_days, window_start, window_end, time_zone)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (reseller_id) DO UPDATE SET enabled = EXCLUDED.enabled, interval_days = EXCLUDED.interval_days,
           window_start = EXCLUDED.window_start, window_end = EXCLUDED.window_end, time_zone = EXCLUDED.time_zone`,
        [
          d.reseller,
          d.enabled,
          schedule?.intervalDays ?? null,
          schedule?.window.start ?? null,
          schedule?.window.end ?? null,
          schedule?.window.timeZone ?? null,
        ],
      );
      return;
    }
    default:
      return;
  }
}

async function addApprovals(
  tx: SqlExecutor,
  table: string,
  patches: readonly string[],
  source: string,
  at: string,
): Promise<void> {
  await tx.query(
    `INSERT INTO ${table} (patch, source, approved_at) SELECT p, $2, $3 FROM unnest($1::text[]) AS p
     ON CONFLICT (patch, source) DO NOTHING`,
    [patches, source, at],
  );
}

/** The most recently approved batch (what operations and automation install); null before the first approval. */
export async function latestApprovedBatch(
  store: EventStore,
  schema: string,
): Promise<{ batchId: string; patches: string[] } | null> {
  const t = complianceTables(schema);
  const { rows } = await store.transaction((tx) =>
    tx.query<{ batch_id: string; patches: string[] }>(
      `SELECT batch_id, patches FROM ${t.batches} ORDER BY approved_at DESC, batch_id DESC LIMIT 1`,
    ),
  );
  return rows[0] ? { batchId: rows[0].batch_id, patches: rows[0].patches } : null;
}
