/** Stage of a server's image. */
export type Stage = 'beta' | 'production' | 'patch';

/** Who hosts a server: the operator itself (patch policy applies) or a partner. */
export type HostingProvider = 'operator' | 'partner';

/** A reference with its display name (reseller, customer company). */
export interface NamedRef {
  id: string;
  name: string;
}

/** Product versions a server runs. */
export interface ProductVersions {
  serverVersion: string;
  /** Null when the web apps are not installed. */
  webAppsVersion: string | null;
}

/** FQDN, host name, public and private IP of a server. */
export interface HostConfig {
  fqdn: string;
  hostName: string;
  publicIp: string | null;
  privateIp: string | null;
}

/** One installed file (EXE/DLL). */
export interface InstalledFile {
  name: string;
  /** File version, or `unknown`. */
  version: string;
  /** Bytes. */
  size: number;
  /** ISO-8601. */
  lastModified: string;
}

/** Heartbeat interval assumed for a server whose agent never announced one. */
export const DEFAULT_HEARTBEAT_INTERVAL_SEC = 10;

/** Heartbeat intervals that may pass without a heartbeat before a server counts as disconnected. */
export const MISSED_HEARTBEATS_BEFORE_DISCONNECT = 3;
