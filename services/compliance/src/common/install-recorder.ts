import type { EventStore } from '@fleetwarden/eventstore';
import { urgentUpdateStreamId } from '@fleetwarden/compliance-contracts';
import {
  unknownServer,
  unknownUrgentUpdate,
  type HostingProvider,
  type Money,
  type PatchApprovals,
  type RecordPatchInstall,
  type ServerComplianceEvent,
  type ServerComplianceState,
} from '@fleetwarden/compliance-domain';
import type { Clock } from '@fleetwarden/shared-domain';
import { complianceTables } from '../view/compliance-view';
import type { ServerComplianceBook } from './compliance-books';

/**
 * One install to record (a `RecordPatchInstall` command or an agent's report): the domain
 * command's data without what the recorder adds (`now`, time zone, charge).
 */
export type InstallRequest = Omit<RecordPatchInstall['data'], 'now' | 'timeZone' | 'breachCharge'> & {
  /** Only servers of this reseller are known to the caller (null: every server). */
  reseller: string | null;
};

export type InstallOutcome =
  | { ok: true; events: ServerComplianceEvent[]; state: ServerComplianceState | undefined; now: string }
  | { ok: false; error: unknown };

export interface KnownServerRow {
  server_id: string;
  reseller_id: string;
  hosting_provider: HostingProvider;
  decommissioned: boolean;
  stream_version: number;
}

export interface InstallRecorderOptions {
  store: EventStore;
  schema: string;
  book: ServerComplianceBook;
  clock: Clock;
  timeZone: string;
  breachCharge: Money;
  /** False on an instance that does not lead: it forgets the aggregates after use. */
  keepAggregates: () => boolean;
}

/**
 * Records OS-patch installs in batches: one query resolves the servers of the batch (reseller,
 * host, decommissioned) from the view, one the approvals of its patches, then every install runs
 * through the server book (installs on different servers are appended in parallel, several on one
 * server in one append). Each install gets its own outcome: the events appended, or the error.
 */
export class InstallRecorder {
  constructor(private readonly options: InstallRecorderOptions) {}

  async recordAll(requests: readonly InstallRequest[]): Promise<InstallOutcome[]> {
    if (requests.length === 0) return [];
    const { store, schema, book, clock, timeZone, breachCharge } = this.options;
    const t = complianceTables(schema);
    const serverIds = [...new Set(requests.map((r) => r.serverId))];
    const patches = [...new Set(requests.flatMap((r) => r.patches))];
    const urgentIds = [...new Set(requests.flatMap((r) => (r.urgentUpdateId ? [r.urgentUpdateId] : [])))];
    const [servers, approvals, urgentKnown] = await Promise.all([
      loadServers(store, t.servers, serverIds),
      loadApprovals(store, t.approvals, patches),
      Promise.all(
        urgentIds.map(async (id) => [id, (await store.streamVersion(urgentUpdateStreamId(id))) > 0] as const),
      ),
    ]);
    const knownUrgent = new Map(urgentKnown);
    const now = clock.now().toISOString();
    return Promise.all(
      requests.map(async (r): Promise<InstallOutcome> => {
        try {
          const row = servers.get(r.serverId);
          if (!row || row.decommissioned || (r.reseller !== null && row.reseller_id !== r.reseller)) {
            throw unknownServer(r.serverId);
          }
          if (r.urgentUpdateId !== null && !knownUrgent.get(r.urgentUpdateId)) {
            throw unknownUrgentUpdate(r.urgentUpdateId);
          }
          book.invalidate(r.serverId, row.stream_version);
          const events = await book.run(r.serverId, row.reseller_id, () => ({
            type: 'RecordPatchInstall',
            data: {
              serverId: r.serverId,
              installedAt: r.installedAt,
              patches: r.patches,
              startedBy: r.startedBy,
              kind: r.kind,
              urgentUpdateId: r.urgentUpdateId,
              source: r.source,
              now,
              timeZone,
              breachCharge,
            },
            resolved: {
              serverKnown: true,
              reseller: row.reseller_id,
              hostingProvider: row.hosting_provider,
              approvals,
            },
          }));
          const state = book.peek(r.serverId);
          if (!this.options.keepAggregates()) book.forget(r.serverId);
          return { ok: true, events, state, now };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
  }
}

export async function loadServers(
  store: EventStore,
  table: string,
  serverIds: readonly string[],
): Promise<Map<string, KnownServerRow>> {
  const { rows } = await store.transaction((tx) =>
    tx.query<KnownServerRow>(
      `SELECT server_id, reseller_id, hosting_provider, decommissioned, stream_version
       FROM ${table} WHERE server_id = ANY($1::text[])`,
      [serverIds],
    ),
  );
  return new Map(rows.map((r) => [r.server_id, r]));
}

/** Approval instants of `patches` (the earliest of each); patches never approved are absent. */
export async function loadApprovals(
  store: EventStore,
  table: string,
  patches: readonly string[],
): Promise<PatchApprovals> {
  if (patches.length === 0) return new Map();
  const { rows } = await store.transaction((tx) =>
    tx.query<{ patch: string; approved_at: Date }>(
      `SELECT patch, min(approved_at) AS approved_at FROM ${table} WHERE patch = ANY($1::text[]) GROUP BY patch`,
      [patches],
    ),
  );
  return new Map(rows.map((r) => [r.patch, new Date(r.approved_at).toISOString()]));
}
