import { assertNever, type Decider } from '@fleetwarden/shared-domain';
import type { ConfigureHaCluster, HaClusterCommand, RecordHaHealthCheck } from './ha-cluster.commands';
import {
  haClusterIdMismatch,
  haClusterIdTaken,
  haClusterInvalidComponents,
  haClusterInvalidTime,
  haClusterNotFound,
  haClusterProbesMismatch,
  haClusterSameServerTwice,
  haClusterUnknownServers,
} from './ha-cluster.errors';
import type { HaClusterEvent } from './ha-cluster.events';
import { HA_MAX_COMPONENTS, HA_MIN_COMPONENTS, type HaClusterState, type HaComponent } from './ha-cluster.types';
import { assessHaHealth } from './ha-health.assessment';

export function initialHaClusterState(): HaClusterState {
  return {
    exists: false,
    clusterId: '',
    components: [],
    tenant: null,
    configuredBy: null,
    checks: 0,
    lastCheck: null,
  };
}

export function decideHaCluster(command: HaClusterCommand, state: HaClusterState): HaClusterEvent[] {
  const { clusterId } = command.data;
  if (state.clusterId !== '' && state.clusterId !== clusterId) throw haClusterIdMismatch(state.clusterId, clusterId);
  switch (command.type) {
    case 'ConfigureHaCluster':
      return configure(command, state);
    case 'RecordHaHealthCheck':
      return recordCheck(command, state);
    default:
      return assertNever(command, 'HA cluster command');
  }
}

function configure(command: ConfigureHaCluster, state: HaClusterState): HaClusterEvent[] {
  const { clusterId, components, tenant, configuredBy } = command.data;
  validateComponents(components);
  const { unknownServerIds, pairExists } = command.resolved;
  if (unknownServerIds.length > 0) throw haClusterUnknownServers([...new Set(unknownServerIds)]);
  if (pairExists) throw haClusterIdTaken(clusterId, 'is the id of a redundancy pair: check the pair by its id instead');
  const copy = components.map((c) => ({ serverId: c.serverId, role: c.role, address: c.address }));
  if (state.exists && state.tenant === tenant && sameComponents(state.components, copy)) return [];
  return [{ type: 'HaClusterConfigured', data: { clusterId, components: copy, tenant, configuredBy } }];
}

function validateComponents(components: readonly HaComponent[]): void {
  const count = components.length;
  if (count < HA_MIN_COMPONENTS || count > HA_MAX_COMPONENTS) {
    throw haClusterInvalidComponents(
      `an HA cluster has ${HA_MIN_COMPONENTS} to ${HA_MAX_COMPONENTS} components, got ${count}`,
      { count },
    );
  }
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const c of components) (seen.has(c.serverId) ? twice : seen).add(c.serverId);
  if (twice.size > 0) throw haClusterSameServerTwice([...twice]);
}

function sameComponents(a: readonly HaComponent[], b: readonly HaComponent[]): boolean {
  return (
    a.length === b.length &&
    a.every((c, i) => c.serverId === b[i].serverId && c.role === b[i].role && c.address === b[i].address)
  );
}

function recordCheck(command: RecordHaHealthCheck, state: HaClusterState): HaClusterEvent[] {
  const { clusterId, checkId, now, by, source, components, probes } = command.data;
  if (source === 'cluster' && !state.exists) throw haClusterNotFound(clusterId);
  if (source === 'pair' && state.exists) {
    throw haClusterIdTaken(clusterId, 'is an HA cluster: its configured components are checked, not the pair');
  }
  if (state.lastCheck?.checkId === checkId) return [];
  validateComponents(components);
  const probed = probes.map((p) => p.serverId);
  const ids = components.map((c) => c.serverId);
  if (probed.length !== ids.length || !ids.every((id) => probed.includes(id))) {
    throw haClusterProbesMismatch(clusterId, { components: ids, probed });
  }
  if (Number.isNaN(Date.parse(now))) throw haClusterInvalidTime('now', now);
  const { messaging, clocks } = assessHaHealth(components, probes);
  return [
    {
      type: 'HaHealthChecked',
      data: {
        clusterId,
        checkId,
        at: now,
        source,
        components: components.map((c) => ({ serverId: c.serverId, role: c.role })),
        messaging,
        clocks,
        by,
      },
    },
  ];
}

export function evolveHaCluster(state: HaClusterState, event: HaClusterEvent): HaClusterState {
  switch (event.type) {
    case 'HaClusterConfigured': {
      const { clusterId, components, tenant, configuredBy } = event.data;
      return { ...state, exists: true, clusterId, components: components.map((c) => ({ ...c })), tenant, configuredBy };
    }
    case 'HaHealthChecked':
      return {
        ...state,
        clusterId: event.data.clusterId,
        checks: state.checks + 1,
        lastCheck: { checkId: event.data.checkId, at: event.data.at },
      };
    default:
      return assertNever(event, 'HA cluster event');
  }
}

/**
 * One HA cluster (`ha-cluster-<clusterId>`): its components (servers and load balancers, each on
 * its own server) and its health checks: the messaging between every two components and each
 * component's clock, judged with a recommendation per row. A redundancy pair's checks live on a
 * stream of the pair's id without a configuration.
 */
export const haClusterDecider: Decider<HaClusterCommand, HaClusterEvent, HaClusterState> = {
  decide: decideHaCluster,
  evolve: evolveHaCluster,
  initialState: initialHaClusterState,
};
