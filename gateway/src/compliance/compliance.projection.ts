import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import {
  AutomatedUpdatesSet,
  ChargeRecorded,
  COMPLIANCE_EVENTS,
  ComplianceAlerted,
  ComplianceBreached,
  EmergencyUpdateRecorded,
  OperationsPatchScheduled,
  PatchBatchApproved,
  PatchBatchDownloaded,
  PatchBatchPiloted,
  PatchesInstalled,
  SERVER_COMPLIANCE_EVENTS,
  UnapprovedPatchFlagged,
  UrgentUpdateCompleted,
  UrgentUpdateDeclared,
  UrgentUpdateResellerCompleted,
  UrgentUpdateServerPatched,
} from '@fleetwarden/compliance-contracts';
import {
  START,
  type EventStore,
  type RecordedEvent,
  type SqlExecutor,
  type Subscription,
} from '@fleetwarden/eventstore';
import { EVENT_STORE, PLATFORM_CONFIG, type FleetwardenConfig } from '@fleetwarden/platform';
import { migrateReadModels } from '../read-model/read-model.migrations';

/** Checkpoint name of the gateway's compliance projection. */
export const COMPLIANCE_PROJECTION = 'gateway.compliance';
const PROJECTION_POLL_MS = 50;
const REBUILD_BATCH = 1000;

/** The tables the compliance projection writes (the change table aside), emptied by a rebuild. */
export const COMPLIANCE_TABLES = [
  'rm_compliance_servers',
  'rm_compliance_charges',
  'rm_urgent_updates',
  'rm_urgent_update_resellers',
  'rm_urgent_update_servers',
  'rm_patch_batches',
  'rm_patch_automation',
] as const;

type Handler = (s: string, data: unknown, event: RecordedEvent, tx: SqlExecutor) => Promise<void>;
type Contract = { type: string; schema: { safeParse(data: unknown): { success: boolean; data?: unknown } } };

const on = <D>(
  contract: { type: string; parse(data: unknown): D },
  fn: (s: string, data: D, event: RecordedEvent, tx: SqlExecutor) => Promise<void>,
) => [contract.type, fn as Handler] as const;

/** Creates the server's row when it has none, then applies `set` (may use `$3` onwards for `params`). */
async function upsertServer(
  s: string,
  tx: SqlExecutor,
  d: { serverId: string; reseller: string },
  set: string,
  params: unknown[] = [],
): Promise<void> {
  await tx.query(
    `INSERT INTO ${s}.rm_compliance_servers (server_id, reseller_id) VALUES ($1, $2) ON CONFLICT (server_id) DO NOTHING`,
    [d.serverId, d.reseller],
  );
  await tx.query(`UPDATE ${s}.rm_compliance_servers SET reseller_id = $2, ${set} WHERE server_id = $1`, [
    d.serverId,
    d.reseller,
    ...params,
  ]);
}

/** `column = CASE WHEN <the install is the latest> THEN value ELSE column END` */
const ifLatest = (column: string, value: string): string =>
  `${column} = CASE WHEN last_installed_at IS NULL OR $3::timestamptz >= last_installed_at THEN ${value} ELSE ${column} END`;

const HANDLERS = new Map<string, Handler>([
  on(PatchesInstalled, async (s, d, _event, tx) => {
    // A new alert cycle starts with the latest install; an older one only counts.
    await upsertServer(
      s,
      tx,
      d,
      [
        ifLatest('hosting_provider', '$4'),
        ifLatest('last_install_kind', '$5'),
        ifLatest('last_started_by', '$6'),
        ifLatest('last_install_source', '$7'),
        ifLatest('alerted', 'false'),
        ifLatest('breached', 'false'),
        ifLatest('operations_scheduled', 'false'),
        'last_installed_at = greatest(last_installed_at, $3::timestamptz)',
        'install_count = install_count + 1',
      ].join(', '),
      [d.installedAt, d.hostingProvider, d.kind, d.startedBy, d.source],
    );
  }),
  on(ComplianceAlerted, (s, d, _event, tx) => upsertServer(s, tx, d, 'alerted = true')),
  on(ComplianceBreached, (s, d, _event, tx) => upsertServer(s, tx, d, 'alerted = true, breached = true')),
  on(OperationsPatchScheduled, (s, d, _event, tx) => upsertServer(s, tx, d, 'operations_scheduled = true')),
  on(ChargeRecorded, async (s, d, event, tx) => {
    await tx.query(
      `INSERT INTO ${s}.rm_compliance_charges (event_id, server_id, reseller_id, amount_cents, currency, reason,
         days_since_last_update, installed_at, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (event_id) DO NOTHING`,
      [
        event.eventId,
        d.serverId,
        d.reseller,
        d.amount.value,
        d.amount.currency,
        d.reason,
        d.daysSinceLastUpdate,
        d.installedAt,
        d.at,
      ],
    );
  }),
  on(UnapprovedPatchFlagged, (s, d, _event, tx) =>
    upsertServer(s, tx, d, 'unapproved_flag_count = unapproved_flag_count + 1'),
  ),
  on(EmergencyUpdateRecorded, (s, d, _event, tx) =>
    upsertServer(s, tx, d, 'last_emergency_update_id = $3, last_emergency_at = $4', [d.emergencyUpdateId, d.at]),
  ),
  on(PatchBatchDownloaded, async (s, d, _event, tx) => {
    await tx.query(
      `INSERT INTO ${s}.rm_patch_batches (id, state, patches, downloaded_by, downloaded_at)
       VALUES ($1, 'downloaded', $2::jsonb, $3, $4) ON CONFLICT (id) DO NOTHING`,
      [d.batchId, JSON.stringify(d.patches), d.by, d.at],
    );
  }),
  on(PatchBatchPiloted, async (s, d, _event, tx) => {
    await tx.query(
      `UPDATE ${s}.rm_patch_batches
          SET state = CASE WHEN state = 'approved' THEN state ELSE 'piloted' END,
              internal_server_ids = $2::jsonb, piloted_at = $3, watch_ends_at = $4
        WHERE id = $1`,
      [d.batchId, JSON.stringify(d.internalServerIds), d.at, d.watchEndsAt],
    );
  }),
  on(PatchBatchApproved, async (s, d, _event, tx) => {
    await tx.query(
      `UPDATE ${s}.rm_patch_batches
          SET state = 'approved', patches = $2::jsonb, piloted_at = $3, watch_ends_at = $4, approved_by = $5,
              approved_at = $6
        WHERE id = $1`,
      [d.batchId, JSON.stringify(d.patches), d.pilotedAt, d.watchEndsAt, d.by, d.at],
    );
  }),
  on(UrgentUpdateDeclared, async (s, d, _event, tx) => {
    const created = await tx.query(
      `INSERT INTO ${s}.rm_urgent_updates (id, patches, reason, declared_by, declared_at)
       VALUES ($1, $2::jsonb, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
      [d.urgentUpdateId, JSON.stringify(d.patches), d.reason, d.by, d.at],
    );
    if (created.rowCount === 0) return;
    const resellers = d.resellers.map((r) => r.reseller);
    const servers = d.resellers.flatMap((r) => r.serverIds.map((serverId) => [serverId, r.reseller]));
    await tx.query(
      `INSERT INTO ${s}.rm_urgent_update_servers (urgent_update_id, server_id, reseller_id)
       SELECT $1, server_id, reseller_id FROM unnest($2::text[], $3::text[]) AS u(server_id, reseller_id)
       ON CONFLICT DO NOTHING`,
      [d.urgentUpdateId, servers.map((x) => x[0]), servers.map((x) => x[1])],
    );
    await tx.query(
      `INSERT INTO ${s}.rm_urgent_update_resellers (urgent_update_id, reseller_id, affected)
       SELECT $1, r.reseller_id, (SELECT count(*) FROM ${s}.rm_urgent_update_servers u
                                   WHERE u.urgent_update_id = $1 AND u.reseller_id = r.reseller_id)
         FROM unnest($2::text[]) AS r(reseller_id)
       ON CONFLICT DO NOTHING`,
      [d.urgentUpdateId, resellers],
    );
  }),
  on(UrgentUpdateServerPatched, async (s, d, _event, tx) => {
    const patched = await tx.query(
      `UPDATE ${s}.rm_urgent_update_servers SET patched_at = $3
        WHERE urgent_update_id = $1 AND server_id = $2 AND patched_at IS NULL`,
      [d.urgentUpdateId, d.serverId, d.installedAt],
    );
    if (patched.rowCount === 0) return;
    await tx.query(
      `UPDATE ${s}.rm_urgent_update_resellers SET patched = patched + 1 WHERE urgent_update_id = $1 AND reseller_id = $2`,
      [d.urgentUpdateId, d.reseller],
    );
  }),
  on(UrgentUpdateResellerCompleted, async (s, d, _event, tx) => {
    await tx.query(
      `UPDATE ${s}.rm_urgent_update_resellers SET completed = true, completed_at = $3
        WHERE urgent_update_id = $1 AND reseller_id = $2`,
      [d.urgentUpdateId, d.reseller, d.at],
    );
  }),
  on(UrgentUpdateCompleted, async (s, d, _event, tx) => {
    await tx.query(`UPDATE ${s}.rm_urgent_updates SET completed = true, completed_at = $2 WHERE id = $1`, [
      d.urgentUpdateId,
      d.at,
    ]);
  }),
  on(AutomatedUpdatesSet, async (s, d, _event, tx) => {
    await tx.query(
      `INSERT INTO ${s}.rm_patch_automation (reseller_id, enabled, schedule, set_by, set_at)
       VALUES ($1, $2, $3::jsonb, $4, $5)
       ON CONFLICT (reseller_id) DO UPDATE SET enabled = EXCLUDED.enabled, schedule = EXCLUDED.schedule,
         set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at`,
      [d.reseller, d.enabled, d.schedule === null ? null : JSON.stringify(d.schedule), d.by, d.at],
    );
  }),
]);

const CONTRACTS = new Map<string, Contract>(COMPLIANCE_EVENTS.map((c) => [c.type, c as unknown as Contract]));
const SERVER_EVENT_TYPES = new Set<string>(SERVER_COMPLIANCE_EVENTS.map((c) => c.type));
/** Stream prefixes of the compliance service. */
const STREAM_PREFIXES = ['compliance-', 'patch-batch-', 'urgent-update-', 'patch-automation-'];

/** Event types the projection reads. */
export const COMPLIANCE_PROJECTED_TYPES: readonly string[] = [...HANDLERS.keys()];

export interface ApplyOptions {
  /** Record server events for `complianceChanged` (not while rebuilding). */
  recordChanges: boolean;
  onMalformed?: (event: RecordedEvent) => void;
}

/** Applies one compliance event to the read model in `tx`; other events are ignored. */
export async function applyComplianceEvent(
  s: string,
  event: RecordedEvent,
  tx: SqlExecutor,
  options: ApplyOptions,
): Promise<void> {
  const handler = HANDLERS.get(event.type);
  const contract = CONTRACTS.get(event.type);
  if (!handler || !contract || !STREAM_PREFIXES.some((p) => event.streamId.startsWith(p))) return;
  const parsed = contract.schema.safeParse(event.data);
  if (!parsed.success) {
    options.onMalformed?.(event);
    return;
  }
  await handler(s, parsed.data, event, tx);
  if (options.recordChanges && SERVER_EVENT_TYPES.has(event.type)) {
    const d = parsed.data as { serverId: string; reseller: string; at?: string; installedAt?: string };
    await tx.query(
      `INSERT INTO ${s}.rm_compliance_changes (server_id, reseller_id, event_type, at) VALUES ($1, $2, $3, $4)`,
      [d.serverId, d.reseller, event.type, d.at ?? d.installedAt ?? event.metadata?.occurredAt ?? event.recordedAt],
    );
  }
}

/**
 * Rebuilds the compliance read model from the event store: empties its tables and checkpoint, then
 * replays every compliance event from the start (each batch in one transaction with the
 * checkpoint), without pushing the replayed events to subscribers. Holds the projection's lock, so
 * the live projection must be stopped first (see {@link ComplianceProjection.rebuild}); throws
 * otherwise. Resolves with the number of events replayed.
 */
export async function rebuildComplianceReadModel(store: EventStore, schemaName: string): Promise<number> {
  const s = `"${schemaName}"`;
  const { acquired, result } = await store.tryWithLock(`projection:${COMPLIANCE_PROJECTION}`, async (lost) => {
    await store.transaction(async (tx) => {
      for (const table of COMPLIANCE_TABLES) await tx.query(`DELETE FROM ${s}.${table}`);
      await store.saveCheckpoint(COMPLIANCE_PROJECTION, START, tx);
    });
    let position = START;
    let replayed = 0;
    for (;;) {
      if (lost.aborted) throw new Error('rebuild of the compliance read model: lost its lock');
      const batch = await store.readAll({
        fromPosition: position,
        limit: REBUILD_BATCH,
        types: COMPLIANCE_PROJECTED_TYPES,
      });
      if (batch.events.length === 0) return replayed;
      await store.transaction(async (tx) => {
        for (const event of batch.events) await applyComplianceEvent(s, event, tx, { recordChanges: false });
        await store.saveCheckpoint(COMPLIANCE_PROJECTION, batch.nextPosition, tx);
      });
      replayed += batch.events.length;
      position = batch.nextPosition;
    }
  });
  if (!acquired) throw new Error('the compliance projection is running elsewhere: stop it before a rebuild');
  return result as number;
}

/**
 * Projects the compliance service's streams (`compliance-*`, `patch-batch-*`, `urgent-update-*`,
 * `patch-automation-*`) into the compliance read model, each batch in one transaction with its
 * checkpoint, and records every server compliance event for `complianceChanged`. Counters are not
 * stored: the read model computes them from the last install and the clock.
 */
@Injectable()
export class ComplianceProjection implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ComplianceProjection');
  private readonly schema: string;
  private subscription: Subscription | undefined;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PLATFORM_CONFIG) private readonly config: FleetwardenConfig,
  ) {
    this.schema = `"${config.dbSchema}"`;
  }

  async onModuleInit(): Promise<void> {
    await migrateReadModels(this.store, this.config.dbSchema);
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Stops the live projection, rebuilds the read model from the start, and runs it again. */
  async rebuild(): Promise<number> {
    await this.stop();
    try {
      return await rebuildComplianceReadModel(this.store, this.config.dbSchema);
    } finally {
      this.start();
    }
  }

  private start(): void {
    this.subscription = this.store.runProjection({
      name: COMPLIANCE_PROJECTION,
      types: COMPLIANCE_PROJECTED_TYPES,
      pollIntervalMs: PROJECTION_POLL_MS,
      handle: (event, tx) =>
        applyComplianceEvent(this.schema, event, tx, {
          recordChanges: true,
          onMalformed: (e) => this.logger.error(`skipped malformed ${e.type} ${e.eventId} (stream ${e.streamId})`),
        }),
    });
  }

  private async stop(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.stop();
  }
}
