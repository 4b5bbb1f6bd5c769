import { assertNever, type Decider } from '@fleetwarden/shared-domain';
import {
  serverAlreadyRegistered,
  serverDecommissioned,
  serverIdMismatch,
  serverInactivePairMember,
  serverNotFound,
} from '../inventory.errors';
import {
  DEFAULT_HEARTBEAT_INTERVAL_SEC,
  type HostConfig,
  type HostingProvider,
  type InstalledFile,
  type NamedRef,
  type ProductVersions,
  type Stage,
} from '../inventory.types';
import type { RecordHello, RecordReport, ServerCommand } from './server.commands';
import type { ServerEvent } from './server.events';

/** What the inventory knows about one server. */
export interface ServerState {
  registered: boolean;
  decommissioned: boolean;
  serverId: string | null;
  reseller: NamedRef | null;
  company: NamedRef | null;
  address: string;
  stage: Stage | null;
  hostingProvider: HostingProvider | null;
  registeredBy: 'agent' | 'operator' | null;
  versions: ProductVersions | null;
  config: HostConfig | null;
  files: InstalledFile[] | null;
  connected: boolean;
  /** Announced by the agent's hello; null until the first one. */
  heartbeatIntervalSec: number | null;
  lastConnectedAt: string | null;
  lastDisconnectedAt: string | null;
}

export const initialServerState = (): ServerState => ({
  registered: false,
  decommissioned: false,
  serverId: null,
  reseller: null,
  company: null,
  address: '',
  stage: null,
  hostingProvider: null,
  registeredBy: null,
  versions: null,
  config: null,
  files: null,
  connected: false,
  heartbeatIntervalSec: null,
  lastConnectedAt: null,
  lastDisconnectedAt: null,
});

/** The server aggregate: registration, reported facts, connection state, stage, decommissioning. */
export const serverDecider: Decider<ServerCommand, ServerEvent, ServerState> = {
  initialState: initialServerState,
  decide: decideServer,
  evolve: evolveServer,
};

export function decideServer(command: ServerCommand, state: ServerState): ServerEvent[] {
  const { serverId } = command.data;
  if (state.registered && state.serverId !== serverId) throw serverIdMismatch(state.serverId ?? '', serverId);
  switch (command.type) {
    case 'RegisterServer': {
      if (state.registered) throw serverAlreadyRegistered(serverId);
      return [{ type: 'ServerRegistered', data: { ...command.data, registeredBy: 'operator' } }];
    }
    case 'RecordHello': {
      if (state.decommissioned) throw serverDecommissioned(serverId);
      if (!state.registered) return firstHello(command);
      const events = reportedChanges(state, command.data);
      if (!state.connected) events.push(connected(serverId, command.data.at, command.data.heartbeatIntervalSec));
      return events;
    }
    case 'RecordReport': {
      requireActive(state, serverId);
      return reportedChanges(state, command.data);
    }
    case 'MarkConnected': {
      requireActive(state, serverId);
      if (state.connected) return [];
      const interval =
        command.data.heartbeatIntervalSec ?? state.heartbeatIntervalSec ?? DEFAULT_HEARTBEAT_INTERVAL_SEC;
      return [connected(serverId, command.data.at, interval)];
    }
    case 'MarkDisconnected': {
      requireActive(state, serverId);
      if (!state.connected) return [];
      return [{ type: 'ServerDisconnected', data: { ...command.data } }];
    }
    case 'SetServerStage': {
      requireActive(state, serverId);
      const pairId = command.resolved?.inactiveMemberOf ?? null;
      if (pairId !== null) throw serverInactivePairMember(serverId, pairId);
      const previousStage = state.stage ?? command.data.stage;
      if (previousStage === command.data.stage) return [];
      return [{ type: 'ServerStageChanged', data: { serverId, stage: command.data.stage, previousStage } }];
    }
    case 'DecommissionServer': {
      requireActive(state, serverId);
      return [{ type: 'ServerDecommissioned', data: { serverId, reason: command.data.reason } }];
    }
    default:
      return assertNever(command, 'server command');
  }
}

export function evolveServer(state: ServerState, event: ServerEvent): ServerState {
  switch (event.type) {
    case 'ServerRegistered': {
      const { data } = event;
      return {
        ...state,
        registered: true,
        serverId: data.serverId,
        reseller: data.reseller,
        company: data.company,
        address: data.address,
        stage: data.stage,
        hostingProvider: data.hostingProvider,
        registeredBy: data.registeredBy,
        versions: { serverVersion: data.serverVersion, webAppsVersion: data.webAppsVersion },
      };
    }
    case 'ServerStageChanged':
      return { ...state, stage: event.data.stage };
    case 'ServerVersionsReported':
      return {
        ...state,
        versions: { serverVersion: event.data.serverVersion, webAppsVersion: event.data.webAppsVersion },
      };
    case 'ServerConfigReported':
      return { ...state, config: event.data.config };
    case 'ServerFilesReported':
      return { ...state, files: event.data.files };
    case 'ServerConnected':
      return {
        ...state,
        connected: true,
        heartbeatIntervalSec: event.data.heartbeatIntervalSec,
        lastConnectedAt: event.data.at,
      };
    case 'ServerDisconnected':
      return { ...state, connected: false, lastDisconnectedAt: event.data.at };
    case 'ServerDecommissioned':
      return { ...state, decommissioned: true, connected: false };
    default:
      return assertNever(event, 'server event');
  }
}

function requireActive(state: ServerState, serverId: string): void {
  if (!state.registered) throw serverNotFound(serverId);
  if (state.decommissioned) throw serverDecommissioned(serverId);
}

function firstHello({ data }: RecordHello): ServerEvent[] {
  const { serverId, identity, versions } = data;
  return [
    {
      type: 'ServerRegistered',
      data: {
        serverId,
        reseller: identity.reseller,
        company: identity.company,
        address: identity.address,
        serverVersion: versions.serverVersion,
        webAppsVersion: versions.webAppsVersion,
        stage: identity.stage,
        hostingProvider: identity.hostingProvider,
        registeredBy: 'agent',
      },
    },
    { type: 'ServerConfigReported', data: { serverId, config: data.config } },
    { type: 'ServerFilesReported', data: { serverId, files: data.files } },
    connected(serverId, data.at, data.heartbeatIntervalSec),
  ];
}

/** Events for the reported parts that differ from the state, in the order versions, config, files. */
function reportedChanges(
  state: ServerState,
  report: RecordReport['data'] | Pick<RecordHello['data'], 'serverId' | 'versions' | 'config' | 'files'>,
): ServerEvent[] {
  const { serverId, versions, config, files } = report;
  const events: ServerEvent[] = [];
  if (versions && !sameVersions(state.versions, versions)) {
    events.push({
      type: 'ServerVersionsReported',
      data: { serverId, serverVersion: versions.serverVersion, webAppsVersion: versions.webAppsVersion },
    });
  }
  if (config && !sameConfig(state.config, config)) {
    events.push({ type: 'ServerConfigReported', data: { serverId, config } });
  }
  if (files && !sameFiles(state.files, files)) {
    events.push({ type: 'ServerFilesReported', data: { serverId, files } });
  }
  return events;
}

function connected(serverId: string, at: string, heartbeatIntervalSec: number): ServerEvent {
  return { type: 'ServerConnected', data: { serverId, at, heartbeatIntervalSec } };
}

function sameVersions(a: ProductVersions | null, b: ProductVersions): boolean {
  return a !== null && a.serverVersion === b.serverVersion && a.webAppsVersion === b.webAppsVersion;
}

function sameConfig(a: HostConfig | null, b: HostConfig): boolean {
  return (
    a !== null &&
    a.fqdn === b.fqdn &&
    a.hostName === b.hostName &&
    a.publicIp === b.publicIp &&
    a.privateIp === b.privateIp
  );
}

/** The same files, in any order. */
function sameFiles(a: InstalledFile[] | null, b: InstalledFile[]): boolean {
  if (a === null || a.length !== b.length) return false;
  const byName = (x: InstalledFile, y: InstalledFile) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0);
  const left = [...a].sort(byName);
  const right = [...b].sort(byName);
  return left.every(
    (f, i) =>
      f.name === right[i].name &&
      f.version === right[i].version &&
      f.size === right[i].size &&
      f.lastModified === right[i].lastModified,
  );
}
