import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import type { EventStore, RecordedEvent, SqlExecutor, Subscription } from '@fleetwarden/eventstore';
import {
  GroupCreated,
  GroupRemoved,
  GroupRenamed,
  ServerConfigReported,
  ServerConnected,
  ServerDecommissioned,
  ServerDisconnected,
  ServerFilesReported,
  ServerRegistered,
  ServerStageChanged,
  ServerVersionsReported,
  ServersAddedToGroup,
  ServersRemovedFromGroup,
} from '@fleetwarden/inventory-contracts';
import { EVENT_STORE, PLATFORM_CONFIG, type FleetwardenConfig } from '@fleetwarden/platform';
import { migrateReadModels } from '../read-model/read-model.migrations';
import { ServerStatus } from './models/inventory.enums';

/** Checkpoint names of the gateway's inventory projections. */
export const SERVER_PROJECTION = 'gateway.inventory.servers';
export const GROUP_PROJECTION = 'gateway.inventory.groups';
/** How often an idle projection looks for new events, in ms (mutations wait for it). */
export const PROJECTION_POLL_MS = 50;

type Handler = (s: string, data: unknown, event: RecordedEvent, tx: SqlExecutor) => Promise<void>;
type Contract = { type: string; schema: { safeParse(data: unknown): { success: boolean; data?: unknown } } };

const on = <D>(
  contract: { type: string; parse(data: unknown): D },
  fn: (s: string, data: D, event: RecordedEvent, tx: SqlExecutor) => Promise<void>,
) => [contract.type, fn as Handler] as const;

const occurredAt = (event: RecordedEvent): string => event.metadata?.occurredAt ?? event.recordedAt;

/** Records a status change in the projection's transaction; the status feed publishes it after commit. */
async function recordStatusChange(
  s: string,
  tx: SqlExecutor,
  serverId: string,
  status: ServerStatus,
  changedAt: string,
): Promise<void> {
  await tx.query(
    `INSERT INTO ${s}.rm_server_status_changes
       (server_id, status, connected, last_seen_at, changed_at, reseller_id, reseller_name, company_id, company_name)
     SELECT id, $2, connected, last_seen_at, $3, reseller_id, reseller_name, company_id, company_name
       FROM ${s}.rm_servers WHERE id = $1`,
    [serverId, status, changedAt],
  );
}

const SERVER_HANDLERS = new Map<string, Handler>([
  on(ServerRegistered, async (s, d, event, tx) => {
    const at = occurredAt(event);
    await tx.query(
      `INSERT INTO ${s}.rm_servers (id, reseller_id, reseller_name, company_id, company_name, address, server_version,
         web_apps_version, stage, hosting_provider, registered_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
       ON CONFLICT (id) DO UPDATE SET reseller_id = EXCLUDED.reseller_id, reseller_name = EXCLUDED.reseller_name,
         company_id = EXCLUDED.company_id, company_name = EXCLUDED.company_name, address = EXCLUDED.address,
         server_version = EXCLUDED.server_version, web_apps_version = EXCLUDED.web_apps_version,
         stage = EXCLUDED.stage, hosting_provider = EXCLUDED.hosting_provider, decommissioned = false,
         decommissioned_at = NULL, decommission_reason = NULL, updated_at = EXCLUDED.updated_at`,
      [
        d.serverId,
        d.reseller.id,
        d.reseller.name,
        d.company.id,
        d.company.name,
        d.address,
        d.serverVersion,
        d.webAppsVersion,
        d.stage,
        d.hostingProvider,
        at,
      ],
    );
    await tx.query(
      `INSERT INTO ${s}.rm_resellers (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name`,
      [d.reseller.id, d.reseller.name],
    );
    await recordStatusChange(s, tx, d.serverId, ServerStatus.REGISTERED, at);
  }),
  on(ServerStageChanged, async (s, d, event, tx) => {
    await tx.query(`UPDATE ${s}.rm_servers SET stage = $2, updated_at = $3 WHERE id = $1`, [
      d.serverId,
      d.stage,
      occurredAt(event),
    ]);
  }),
  on(ServerVersionsReported, async (s, d, event, tx) => {
    await tx.query(
      `UPDATE ${s}.rm_servers SET server_version = $2, web_apps_version = $3, updated_at = $4 WHERE id = $1`,
      [d.serverId, d.serverVersion, d.webAppsVersion, occurredAt(event)],
    );
  }),
  on(ServerConfigReported, async (s, d, event, tx) => {
    await tx.query(
      `UPDATE ${s}.rm_servers SET fqdn = $2, host_name = $3, public_ip = $4, private_ip = $5, updated_at = $6
        WHERE id = $1`,
      [d.serverId, d.config.fqdn, d.config.hostName, d.config.publicIp, d.config.privateIp, occurredAt(event)],
    );
  }),
  on(ServerFilesReported, async (s, d, event, tx) => {
    await tx.query(`UPDATE ${s}.rm_servers SET files = $2::jsonb, updated_at = $3 WHERE id = $1`, [
      d.serverId,
      JSON.stringify(d.files),
      occurredAt(event),
    ]);
  }),
  on(ServerConnected, async (s, d, _event, tx) => {
    await tx.query(
      `UPDATE ${s}.rm_servers SET connected = true, heartbeat_interval_sec = $3, updated_at = $2,
         last_seen_at = greatest(last_seen_at, $2::timestamptz) WHERE id = $1`,
      [d.serverId, d.at, d.heartbeatIntervalSec],
    );
    await recordStatusChange(s, tx, d.serverId, ServerStatus.CONNECTED, d.at);
  }),
  on(ServerDisconnected, async (s, d, _event, tx) => {
    await tx.query(
      `UPDATE ${s}.rm_servers SET connected = false, updated_at = $2,
         last_seen_at = greatest(last_seen_at, $3::timestamptz) WHERE id = $1`,
      [d.serverId, d.at, d.lastSeenAt],
    );
    await recordStatusChange(s, tx, d.serverId, ServerStatus.DISCONNECTED, d.at);
  }),
  on(ServerDecommissioned, async (s, d, event, tx) => {
    const at = occurredAt(event);
    await tx.query(
      `UPDATE ${s}.rm_servers SET decommissioned = true, connected = false, decommissioned_at = $2,
         decommission_reason = $3, updated_at = $2 WHERE id = $1`,
      [d.serverId, at, d.reason],
    );
    await recordStatusChange(s, tx, d.serverId, ServerStatus.DECOMMISSIONED, at);
  }),
]);

const GROUP_HANDLERS = new Map<string, Handler>([
  on(GroupCreated, async (s, d, event, tx) => {
    await tx.query(
      `INSERT INTO ${s}.rm_groups (id, name, reseller_id, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, reseller_id = EXCLUDED.reseller_id`,
      [d.groupId, d.name, d.reseller, occurredAt(event)],
    );
    await addMembers(s, tx, d.groupId, d.serverIds);
  }),
  on(GroupRenamed, async (s, d, _event, tx) => {
    await tx.query(`UPDATE ${s}.rm_groups SET name = $2 WHERE id = $1`, [d.groupId, d.name]);
  }),
  on(ServersAddedToGroup, async (s, d, _event, tx) => addMembers(s, tx, d.groupId, d.serverIds)),
  on(ServersRemovedFromGroup, async (s, d, _event, tx) => {
    await tx.query(`DELETE FROM ${s}.rm_group_servers WHERE group_id = $1 AND server_id = ANY($2::text[])`, [
      d.groupId,
      d.serverIds,
    ]);
  }),
  on(GroupRemoved, async (s, d, _event, tx) => {
    await tx.query(`DELETE FROM ${s}.rm_group_servers WHERE group_id = $1`, [d.groupId]);
    await tx.query(`DELETE FROM ${s}.rm_groups WHERE id = $1`, [d.groupId]);
  }),
]);

async function addMembers(s: string, tx: SqlExecutor, groupId: string, serverIds: readonly string[]): Promise<void> {
  if (serverIds.length === 0) return;
  await tx.query(
    `INSERT INTO ${s}.rm_group_servers (group_id, server_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
    [groupId, serverIds],
  );
}

const CONTRACTS = new Map<string, Contract>(
  [
    ServerRegistered,
    ServerStageChanged,
    ServerVersionsReported,
    ServerConfigReported,
    ServerFilesReported,
    ServerConnected,
    ServerDisconnected,
    ServerDecommissioned,
    GroupCreated,
    GroupRenamed,
    ServersAddedToGroup,
    ServersRemovedFromGroup,
    GroupRemoved,
  ].map((c) => [c.type, c as unknown as Contract]),
);

/**
 * Projects the inventory's `server-*` and `group-*` streams into the read models. Each batch of
 * events is applied in one transaction together with the projection's checkpoint (so an event is
 * applied exactly once); one gateway instance of N runs each projection (advisory lock).
 */
@Injectable()
export class InventoryProjections implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('InventoryProjections');
  private readonly schema: string;
  private subscriptions: Subscription[] = [];

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
    this.subscriptions = [
      this.store.runProjection({
        name: SERVER_PROJECTION,
        category: 'server',
        pollIntervalMs: PROJECTION_POLL_MS,
        handle: (event, tx) => this.apply(SERVER_HANDLERS, event, tx),
      }),
      this.store.runProjection({
        name: GROUP_PROJECTION,
        category: 'group',
        pollIntervalMs: PROJECTION_POLL_MS,
        handle: (event, tx) => this.apply(GROUP_HANDLERS, event, tx),
      }),
    ];
  }

  async beforeApplicationShutdown(): Promise<void> {
    const subscriptions = this.subscriptions;
    this.subscriptions = [];
    await Promise.all(subscriptions.map((s) => s.stop()));
  }

  private async apply(handlers: Map<string, Handler>, event: RecordedEvent, tx: SqlExecutor): Promise<void> {
    const handler = handlers.get(event.type);
    const contract = CONTRACTS.get(event.type);
    if (!handler || !contract) return;
    const parsed = contract.schema.safeParse(event.data);
    if (!parsed.success) {
      // Appended by a service that validated it: a malformed event cannot be projected, and stopping
      // here would stop every later one. Skipped loudly.
      this.logger.error(`skipped malformed ${event.type} ${event.eventId} (stream ${event.streamId})`);
      return;
    }
    await handler(this.schema, parsed.data, event, tx);
  }
}
