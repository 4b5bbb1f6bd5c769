import type { EventStore } from '@fleetwarden/eventstore';
import type { Component, Targets, TaskServer } from '@fleetwarden/scheduling-domain';
import { fleetViewTables } from './fleet-view.tables';
import { canSee, type Caller } from '@fleetwarden/platform';

/** The targets of a task as the caller may name them, read from the fleet view. */
export interface ResolvedTargets {
  /** Named servers first (in the given order), then each group's members by id; each once. */
  servers: TaskServer[];
  /** Server and group ids unknown, decommissioned or removed, or outside the caller's tenant. */
  unresolvedTargetIds: string[];
  currentVersions: Record<string, Partial<Record<Component, string | null>>>;
}

interface ServerRow {
  server_id: string;
  reseller_id: string;
  server_version: string | null;
  web_apps_version: string | null;
}

/**
 * Resolves servers and groups into a frozen server list for `caller`: a reseller sees only its
 * servers and its groups, and a group contributes only the members the caller may see.
 */
export async function resolveTargets(
  store: EventStore,
  schema: string,
  caller: Caller,
  targets: Targets,
): Promise<ResolvedTargets> {
  const t = fleetViewTables(schema);
  return store.transaction(async (tx) => {
    const { rows: named } = await tx.query<ServerRow>(
      `SELECT server_id, reseller_id, server_version, web_apps_version FROM ${t.servers}
       WHERE server_id = ANY($1::text[]) AND NOT decommissioned`,
      [targets.serverIds],
    );
    const { rows: groups } = await tx.query<{ group_id: string; reseller_id: string | null }>(
      `SELECT group_id, reseller_id FROM ${t.groups} WHERE group_id = ANY($1::text[]) AND NOT removed`,
      [targets.groupIds],
    );
    const visibleGroups = new Set(groups.filter((g) => canSee(caller, g.reseller_id)).map((g) => g.group_id));
    const { rows: members } = await tx.query<ServerRow & { group_id: string }>(
      `SELECT gs.group_id, s.server_id, s.reseller_id, s.server_version, s.web_apps_version
       FROM ${t.groupServers} gs JOIN ${t.servers} s ON s.server_id = gs.server_id
       WHERE gs.group_id = ANY($1::text[]) AND NOT s.decommissioned
       ORDER BY gs.group_id, s.server_id`,
      [[...visibleGroups]],
    );

    const byId = new Map(named.filter((s) => canSee(caller, s.reseller_id)).map((s) => [s.server_id, s]));
    const unresolvedTargetIds = [
      ...targets.serverIds.filter((id) => !byId.has(id)),
      ...targets.groupIds.filter((id) => !visibleGroups.has(id)),
    ];
    const ordered: ServerRow[] = [
      ...targets.serverIds.flatMap((id) => byId.get(id) ?? []),
      ...targets.groupIds.flatMap((groupId) =>
        members.filter((m) => m.group_id === groupId && canSee(caller, m.reseller_id)),
      ),
    ];
    const seen = new Set<string>();
    const servers: TaskServer[] = [];
    const currentVersions: ResolvedTargets['currentVersions'] = {};
    for (const row of ordered) {
      if (seen.has(row.server_id)) continue;
      seen.add(row.server_id);
      servers.push({ serverId: row.server_id, reseller: row.reseller_id });
      currentVersions[row.server_id] = { 'server-image': row.server_version, 'web-apps': row.web_apps_version };
    }
    return { servers, unresolvedTargetIds: [...new Set(unresolvedTargetIds)], currentVersions };
  });
}
