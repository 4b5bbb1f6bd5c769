import type { HostConfig, HostingProvider, InstalledFile, NamedRef, ProductVersions, Stage } from '../inventory.types';

export interface ServerRegistered {
  type: 'ServerRegistered';
  data: {
    serverId: string;
    reseller: NamedRef;
    company: NamedRef;
    address: string;
    serverVersion: string;
    webAppsVersion: string | null;
    stage: Stage;
    hostingProvider: HostingProvider;
    registeredBy: 'agent' | 'operator';
  };
}

export interface ServerStageChanged {
  type: 'ServerStageChanged';
  data: { serverId: string; stage: Stage; previousStage: Stage };
}

export interface ServerVersionsReported {
  type: 'ServerVersionsReported';
  data: ProductVersions & { serverId: string };
}

export interface ServerConfigReported {
  type: 'ServerConfigReported';
  data: { serverId: string; config: HostConfig };
}

export interface ServerFilesReported {
  type: 'ServerFilesReported';
  data: { serverId: string; files: InstalledFile[] };
}

export interface ServerConnected {
  type: 'ServerConnected';
  data: { serverId: string; at: string; heartbeatIntervalSec: number };
}

export interface ServerDisconnected {
  type: 'ServerDisconnected';
  data: { serverId: string; at: string; lastSeenAt: string };
}

export interface ServerDecommissioned {
  type: 'ServerDecommissioned';
  data: { serverId: string; reason: string | null };
}

/** Every event of the server stream `server-<serverId>`. */
export type ServerEvent =
  | ServerRegistered
  | ServerStageChanged
  | ServerVersionsReported
  | ServerConfigReported
  | ServerFilesReported
  | ServerConnected
  | ServerDisconnected
  | ServerDecommissioned;

export type ServerEventType = ServerEvent['type'];
