/** Servers of one reseller that an urgent update concerns. */
export interface AffectedServers {
  reseller: string;
  serverIds: string[];
}

/**
 * Operations asks every reseller with affected servers to install `patches` as soon as possible.
 * `resolved.affected` is what the service found affected (operator-hosted servers, by reseller).
 */
export type DeclareUrgentUpdate = {
  type: 'DeclareUrgentUpdate';
  data: { urgentUpdateId: string; patches: string[]; reason: string; by: string; now: string };
  resolved: { affected: AffectedServers[] };
};

/** A server installed the patches of the urgent update (its `PatchesInstalled` of kind `urgent`). */
export type RecordUrgentUpdateInstall = {
  type: 'RecordUrgentUpdateInstall';
  data: { urgentUpdateId: string; serverId: string; installedAt: string; now: string };
};

export type UrgentUpdateCommand = DeclareUrgentUpdate | RecordUrgentUpdateInstall;
