import type { HostConfig, HostingProvider, InstalledFile, NamedRef, ProductVersions, Stage } from '../inventory.types';

/** An operator registers a server before (or without) its agent's hello. */
export interface RegisterServer {
  type: 'RegisterServer';
  data: {
    serverId: string;
    reseller: NamedRef;
    company: NamedRef;
    address: string;
    serverVersion: string;
    webAppsVersion: string | null;
    stage: Stage;
    hostingProvider: HostingProvider;
  };
}

/** The agent said hello: registers the server on its first hello, otherwise records what changed. */
export interface RecordHello {
  type: 'RecordHello';
  data: {
    serverId: string;
    /** When the hello was received (the control plane's clock). */
    at: string;
    heartbeatIntervalSec: number;
    identity: {
      reseller: NamedRef;
      company: NamedRef;
      address: string;
      stage: Stage;
      hostingProvider: HostingProvider;
    };
    versions: ProductVersions;
    config: HostConfig;
    files: InstalledFile[];
  };
}

/** The agent reported what changed on the server; absent parts are unchanged. */
export interface RecordReport {
  type: 'RecordReport';
  data: {
    serverId: string;
    versions?: ProductVersions;
    config?: HostConfig;
    files?: InstalledFile[];
  };
}

/** Heartbeats (or a hello) arrive: the agent is online. */
export interface MarkConnected {
  type: 'MarkConnected';
  data: {
    serverId: string;
    at: string;
    /** The interval the agent announced; default: the last one known. */
    heartbeatIntervalSec?: number;
  };
}

/** No heartbeat for 3 announced intervals. */
export interface MarkDisconnected {
  type: 'MarkDisconnected';
  data: { serverId: string; at: string; lastSeenAt: string };
}

export interface SetServerStage {
  type: 'SetServerStage';
  data: { serverId: string; stage: Stage };
  /** The redundancy pair of which the server is the inactive (standby) member, if any. */
  resolved?: { inactiveMemberOf: string | null };
}

export interface DecommissionServer {
  type: 'DecommissionServer';
  data: { serverId: string; reason: string | null };
}

/** Every command of the server stream `server-<serverId>`. */
export type ServerCommand =
  RegisterServer | RecordHello | RecordReport | MarkConnected | MarkDisconnected | SetServerStage | DecommissionServer;
