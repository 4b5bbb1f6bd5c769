import type { EventStore, RecordedEvent, SqlExecutor, Subscription } from '@fleetwarden/eventstore';
import type { GroupEvent, ServerEvent } from '@fleetwarden/inventory-contracts';
import type { UpdateTaskEvent } from '@fleetwarden/scheduling-contracts';
import { fleetViewTables } from './fleet-view.tables';

/** Checkpoint name of the projection. */
export const FLEET_VIEW_PROJECTION = 'scheduling-fleet-view';

const EVENT_TYPES = [
  'ServerRegistered',
  'ServerVersionsReported',
  'ServerDecommissioned',
  'GroupCreated',
  'ServersAddedToGroup',
  'ServersRemovedFromGroup',
  'GroupRemoved',
  'UpdateTaskScheduled',
  'UpdateTaskStarted',
  'UpdateTaskCancelled',
] as const;

type ViewEvent = Extract<ServerEvent | GroupEvent | UpdateTaskEvent, { type: (typeof EVENT_TYPES)[number] }>;

/**
 * The scheduling service's own view of the fleet (servers, their tenant and versions; groups and
 * their members) and its durable timers (one per task, due at its start), projected exactly once
 * from the inventory and task events: each batch and its checkpoint commit in one transaction.
 */
export function runFleetViewProjection(
  store: EventStore,
  schema: string,
  options: { pollIntervalMs?: number } = {},
): Subscription {
  const t = fleetViewTables(schema);
  return store.runProjection({
    name: FLEET_VIEW_PROJECTION,
    types: EVENT_TYPES,
    pollIntervalMs: options.pollIntervalMs,
    handle: (event, tx) => apply(t, event as RecordedEvent & ViewEvent, tx),
  });
}

async function apply(
  t: ReturnType<typeof fleetViewTables>,
  event: RecordedEvent & ViewEvent,
  tx: SqlExecutor,
): Promise<void> {
  switch (event.type) {
    case 'ServerRegistered': {
      const d = event.data;
      await tx.query(
        `INSERT INTO ${t.servers} (server_id, reseller_id, server_version, web_apps_version, decommissioned)
         VALUES ($1, $2, $3, $4, false)
         ON CONFLICT (server_id) DO UPDATE SET reseller_id = EXCLUDED.reseller_id,
           server_version = EXCLUDED.server_version, web_apps_version = EXCLUDED.web_apps_version, decommissioned = false`,
        [d.serverId, d.reseller.id, d.serverVersion, d.webAppsVersion],
      );
      return;
    }
    case 'ServerVersionsReported':
      await tx.query(`UPDATE ${t.servers} SET server_version = $2, web_apps_version = $3 WHERE server_id = $1`, [
        event.data.serverId,
        event.data.serverVersion,
        event.data.webAppsVersion,
      ]);
      return;
    case 'ServerDecommissioned':
      await tx.query(`UPDATE ${t.servers} SET decommissioned = true WHERE server_id = $1`, [event.data.serverId]);
      return;
    case 'GroupCreated':
      await tx.query(
        `INSERT INTO ${t.groups} (group_id, reseller_id, removed) VALUES ($1, $2, false)
         ON CONFLICT (group_id) DO UPDATE SET reseller_id = EXCLUDED.reseller_id, removed = false`,
        [event.data.groupId, event.data.reseller],
      );
      await addMembers(t, tx, event.data.groupId, event.data.serverIds);
      return;
    case 'ServersAddedToGroup':
      await addMembers(t, tx, event.data.groupId, event.data.serverIds);
      return;
    case 'ServersRemovedFromGroup':
      await tx.query(`DELETE FROM ${t.groupServers} WHERE group_id = $1 AND server_id = ANY($2::text[])`, [
        event.data.groupId,
        event.data.serverIds,
      ]);
      return;
    case 'GroupRemoved':
      await tx.query(`UPDATE ${t.groups} SET removed = true WHERE group_id = $1`, [event.data.groupId]);
      await tx.query(`DELETE FROM ${t.groupServers} WHERE group_id = $1`, [event.data.groupId]);
      return;
    case 'UpdateTaskScheduled':
      await tx.query(
        `INSERT INTO ${t.timers} (task_id, due_at) VALUES ($1, $2::timestamptz) ON CONFLICT (task_id) DO NOTHING`,
        [event.data.taskId, event.data.startAt],
      );
      return;
    case 'UpdateTaskStarted':
    case 'UpdateTaskCancelled':
      await tx.query(`UPDATE ${t.timers} SET fired_at = COALESCE(fired_at, $2::timestamptz) WHERE task_id = $1`, [
        event.data.taskId,
        event.metadata.occurredAt,
      ]);
      return;
  }
}

async function addMembers(
  t: ReturnType<typeof fleetViewTables>,
  tx: SqlExecutor,
  groupId: string,
  serverIds: readonly string[],
): Promise<void> {
  if (serverIds.length === 0) return;
  await tx.query(
    `INSERT INTO ${t.groupServers} (group_id, server_id, reseller_id)
     SELECT $1, s.id, g.reseller_id FROM unnest($2::text[]) AS s(id)
     LEFT JOIN ${t.groups} g ON g.group_id = $1
     ON CONFLICT (group_id, server_id) DO NOTHING`,
    [groupId, serverIds],
  );
}
