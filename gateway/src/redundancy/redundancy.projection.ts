import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import type { EventStore, RecordedEvent, SqlExecutor, Subscription } from '@fleetwarden/eventstore';
import {
  AutoFailoverSet,
  ControlSwitched,
  FailoverBlocked,
  KeepAliveLost,
  KeepAliveRestored,
  MemberStateReported,
  PairConfigured,
  REDUNDANCY_EVENTS,
  SecondaryFunctionLost,
  SecondaryIsolationWarning,
  SwitchoverNotified,
} from '@fleetwarden/redundancy-contracts';
import { EVENT_STORE, PLATFORM_CONFIG, type FleetwardenConfig } from '@fleetwarden/platform';
import { migrateReadModels } from '../read-model/read-model.migrations';
import { PairRole } from './models/redundancy.enums';

/** Checkpoint name of the gateway's pair projection. */
export const PAIR_PROJECTION = 'gateway.redundancy.pairs';
const PROJECTION_POLL_MS = 50;
/** Notification delivery attempts kept per pair (the last ones). */
export const PAIR_NOTIFICATIONS_KEPT = 50;

type Handler = (s: string, data: unknown, event: RecordedEvent, tx: SqlExecutor) => Promise<void>;
type Contract = { type: string; schema: { safeParse(data: unknown): { success: boolean; data?: unknown } } };

const on = <D>(
  contract: { type: string; parse(data: unknown): D },
  fn: (s: string, data: D, event: RecordedEvent, tx: SqlExecutor) => Promise<void>,
) => [contract.type, fn as Handler] as const;

/** SQL of the last `n` elements of a jsonb array expression. */
const lastItems = (array: string, n: number): string =>
  `(SELECT coalesce(jsonb_agg(e.item ORDER BY e.n), '[]'::jsonb)
      FROM jsonb_array_elements(${array}) WITH ORDINALITY AS e(item, n)
     WHERE e.n > jsonb_array_length(${array}) - ${n})`;

/** Updates one member of a pair (the one with that role and server); `set` may use `$4` onwards for `params`. */
async function updateMember(
  s: string,
  tx: SqlExecutor,
  member: { pairId: string; role: string; serverId: string },
  set: string,
  params: unknown[] = [],
): Promise<void> {
  await tx.query(`UPDATE ${s}.rm_pair_members SET ${set} WHERE pair_id = $1 AND role = $2 AND server_id = $3`, [
    member.pairId,
    member.role,
    member.serverId,
    ...params,
  ]);
}

/** Updates a pair; `set` may use `$2` onwards for `params`. */
async function updatePair(s: string, tx: SqlExecutor, pairId: string, set: string, params: unknown[] = []) {
  await tx.query(`UPDATE ${s}.rm_pairs SET ${set} WHERE id = $1`, [pairId, ...params]);
}

const CLEAR_ISOLATION =
  'secondary_unreachable_since = NULL, isolation_warning_days_left = NULL, secondary_function_lost = false';

const HANDLERS = new Map<string, Handler>([
  on(PairConfigured, async (s, d, event, tx) => {
    await tx.query(
      `INSERT INTO ${s}.rm_pairs (id, tenant, active_role, auto_failover, keep_alive_interval_sec,
         failover_threshold_sec, hold_down_sec, switch_address, notification_targets, configured_at, configured_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)
       ON CONFLICT (id) DO UPDATE SET tenant = EXCLUDED.tenant, auto_failover = EXCLUDED.auto_failover,
         keep_alive_interval_sec = EXCLUDED.keep_alive_interval_sec,
         failover_threshold_sec = EXCLUDED.failover_threshold_sec, hold_down_sec = EXCLUDED.hold_down_sec,
         switch_address = EXCLUDED.switch_address, notification_targets = EXCLUDED.notification_targets,
         configured_at = EXCLUDED.configured_at, configured_by = EXCLUDED.configured_by`,
      [
        d.pairId,
        d.tenant,
        PairRole.PRIMARY,
        d.autoFailover,
        d.keepAliveIntervalSec,
        d.failoverThresholdSec,
        d.holdDownSec,
        d.switchAddress,
        JSON.stringify(d.notificationTargets),
        event.metadata?.occurredAt ?? event.recordedAt,
        d.configuredBy,
      ],
    );
    // A member whose server changed starts over (the service refuses that today, the read model copes).
    const replaced = await tx.query<{ role: string }>(
      `DELETE FROM ${s}.rm_pair_members
        WHERE pair_id = $1 AND ((role = $2 AND server_id <> $3) OR (role = $4 AND server_id <> $5)) RETURNING role`,
      [d.pairId, PairRole.PRIMARY, d.primaryServerId, PairRole.SECONDARY, d.secondaryServerId],
    );
    if (replaced.rows.some((r) => r.role === PairRole.SECONDARY)) await updatePair(s, tx, d.pairId, CLEAR_ISOLATION);
    await tx.query(
      `INSERT INTO ${s}.rm_pair_members (pair_id, role, server_id, address) VALUES ($1, $2, $3, $4), ($1, $5, $6, $7)
       ON CONFLICT (pair_id, role) DO UPDATE SET address = EXCLUDED.address`,
      [
        d.pairId,
        PairRole.PRIMARY,
        d.primaryServerId,
        d.primaryAddress,
        PairRole.SECONDARY,
        d.secondaryServerId,
        d.secondaryAddress,
      ],
    );
  }),
  on(AutoFailoverSet, async (s, d, _event, tx) => {
    await updatePair(s, tx, d.pairId, 'auto_failover = $2', [d.enabled]);
  }),
  on(MemberStateReported, async (s, d, _event, tx) => {
    await updateMember(
      s,
      tx,
      d,
      `claims_control = $4, switching_service = $5, ip_phone_service = $6, keep_alive_service = $7,
       replication_status = $8, peer_reachable = $9, clock_skew_ms = $10,
       last_keep_alive_at = greatest(last_keep_alive_at, $11::timestamptz)`,
      [
        d.claimsControl,
        d.switchingService,
        d.ipPhoneService,
        d.keepAliveService,
        d.replicationStatus,
        d.peerReachable,
        d.clockSkewMs,
        d.at,
      ],
    );
    if (d.role !== PairRole.SECONDARY) return;
    // The secondary's view of its link to the primary: the isolation clock starts at the first report without it.
    if (d.peerReachable) await updatePair(s, tx, d.pairId, CLEAR_ISOLATION);
    else
      await updatePair(s, tx, d.pairId, 'secondary_unreachable_since = coalesce(secondary_unreachable_since, $2)', [
        d.at,
      ]);
  }),
  on(KeepAliveLost, async (s, d, _event, tx) => {
    await updateMember(
      s,
      tx,
      d,
      'available = false, unavailable_since = $4, last_keep_alive_at = greatest(last_keep_alive_at, $5::timestamptz)',
      [d.at, d.lastKeepAliveAt],
    );
  }),
  on(KeepAliveRestored, async (s, d, _event, tx) => {
    await updateMember(
      s,
      tx,
      d,
      'available = true, unavailable_since = NULL, last_keep_alive_at = greatest(last_keep_alive_at, $4::timestamptz)',
      [d.at],
    );
    // The outage a blocked failover was about is over.
    await tx.query(
      `UPDATE ${s}.rm_pairs SET failover_blocked_reason = NULL, failover_blocked_at = NULL
        WHERE id = $1 AND active_role = $2`,
      [d.pairId, d.role],
    );
  }),
  on(ControlSwitched, async (s, d, _event, tx) => {
    await updatePair(
      s,
      tx,
      d.pairId,
      `active_role = $2, last_switch_id = $3, last_switchover_at = $4, last_switchover_reason = $5,
       last_switchover_kind = $6, last_switchover_by = $7, failover_blocked_reason = NULL, failover_blocked_at = NULL`,
      [d.to, d.switchId, d.at, d.reason, d.kind, d.by],
    );
  }),
  on(FailoverBlocked, async (s, d, _event, tx) => {
    await updatePair(s, tx, d.pairId, 'failover_blocked_reason = $2, failover_blocked_at = $3', [d.reason, d.at]);
  }),
  on(SecondaryIsolationWarning, async (s, d, _event, tx) => {
    await updatePair(s, tx, d.pairId, 'isolation_warning_days_left = $2, secondary_unreachable_since = $3', [
      d.daysLeft,
      d.unreachableSince,
    ]);
  }),
  on(SecondaryFunctionLost, async (s, d, _event, tx) => {
    await updatePair(s, tx, d.pairId, 'secondary_function_lost = true, secondary_unreachable_since = $2', [
      d.unreachableSince,
    ]);
  }),
  on(SwitchoverNotified, async (s, d, _event, tx) => {
    const attempt = {
      switchId: d.switchId,
      target: d.target,
      attempt: d.attempt,
      delivered: d.delivered,
      error: d.error,
      at: d.at,
    };
    await updatePair(
      s,
      tx,
      d.pairId,
      `notifications = ${lastItems('notifications || jsonb_build_array($2::jsonb)', PAIR_NOTIFICATIONS_KEPT)},
       notification_count = notification_count + 1`,
      [JSON.stringify(attempt)],
    );
  }),
]);

/**
 * Records the pair and its members as they are after `eventType`, in the projection's transaction;
 * the change feed publishes it after commit.
 */
async function recordChange(s: string, tx: SqlExecutor, pairId: string, eventType: string): Promise<void> {
  await tx.query(
    `INSERT INTO ${s}.rm_pair_changes (pair_id, tenant, event_type, pair, members)
     SELECT p.id, p.tenant, $2, to_jsonb(p),
            (SELECT coalesce(jsonb_agg(to_jsonb(m)), '[]'::jsonb) FROM ${s}.rm_pair_members m WHERE m.pair_id = p.id)
       FROM ${s}.rm_pairs p WHERE p.id = $1`,
    [pairId, eventType],
  );
}

const CONTRACTS = new Map<string, Contract>(REDUNDANCY_EVENTS.map((c) => [c.type, c as unknown as Contract]));

/**
 * Projects the redundancy service's `pair-*` streams into `rm_pairs` and `rm_pair_members`, each
 * batch in one transaction with its checkpoint, and records every change for `redundancyChanged`.
 * The redundancy key hash is never stored.
 */
@Injectable()
export class RedundancyProjection implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('RedundancyProjection');
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
    this.subscription = this.store.runProjection({
      name: PAIR_PROJECTION,
      types: [...HANDLERS.keys()],
      pollIntervalMs: PROJECTION_POLL_MS,
      handle: (event, tx) => this.apply(event, tx),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.stop();
  }

  private async apply(event: RecordedEvent, tx: SqlExecutor): Promise<void> {
    const handler = HANDLERS.get(event.type);
    const contract = CONTRACTS.get(event.type);
    if (!handler || !contract || !event.streamId.startsWith('pair-')) return;
    const parsed = contract.schema.safeParse(event.data);
    if (!parsed.success) {
      this.logger.error(`skipped malformed ${event.type} ${event.eventId} (stream ${event.streamId})`);
      return;
    }
    await handler(this.schema, parsed.data, event, tx);
    await recordChange(this.schema, tx, (parsed.data as { pairId: string }).pairId, event.type);
  }
}
