import { promises as dns } from 'node:dns';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { formatPath } from '@fleetwarden/contracts';
import {
  filesSchema,
  hostConfigSchema,
  versionSchema,
  type HostConfig,
  type InstalledFile,
  type ProductVersions,
} from '@fleetwarden/inventory-contracts';
import type { AgentSnapshot } from '../common/agent-publisher';
import type { AgentConfig } from './agent-config';

/** Name of the optional map `{ "<file name>": "<version>" }` in the files directory. */
export const VERSIONS_FILE = 'versions.json';
/** Suffix of the optional sidecar holding one file's version: `<name>.version`. */
export const VERSION_SIDECAR_SUFFIX = '.version';
/** Version reported for a file whose version the probe cannot tell. */
export const UNKNOWN_VERSION = 'unknown';

const MAX_FILES = 5000;
const MAX_FILE_NAME = 260;
const MAX_VERSION = 64;

/** A probe could not read what it reports (the message names the file and the field). */
export class ProbeError extends Error {
  override name = 'ProbeError';
  readonly code = 'AGENT.PROBE_FAILED';
}

const manifestSchema = z
  .object({ serverVersion: versionSchema, webAppsVersion: versionSchema.nullable().optional() })
  .passthrough();

/** Reads the product versions from the manifest (`serverVersion`, optional `webAppsVersion`). */
export async function probeManifest(manifestPath: string): Promise<ProductVersions> {
  const value = await readJson(manifestPath, 'manifest');
  const result = manifestSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ');
    throw new ProbeError(`Invalid manifest ${manifestPath}: ${problems}`);
  }
  return { serverVersion: result.data.serverVersion, webAppsVersion: result.data.webAppsVersion ?? null };
}

/**
 * The files of `filesDir` (not its subdirectories, hidden files, sidecars or `versions.json`),
 * sorted by name. A file's version comes from its sidecar `<name>.version`, else from
 * `versions.json`, else it is `unknown`.
 */
export async function probeFiles(filesDir: string): Promise<InstalledFile[]> {
  let entries: string[];
  try {
    entries = await fsp.readdir(filesDir);
  } catch (err) {
    throw new ProbeError(`Cannot read the files directory ${filesDir}: ${(err as Error).message}`, { cause: err });
  }
  const names = new Set(entries);
  const versionMap = names.has(VERSIONS_FILE) ? await readVersionMap(path.join(filesDir, VERSIONS_FILE)) : {};
  const candidates = entries
    .filter(
      (name) =>
        !name.startsWith('.') &&
        name !== VERSIONS_FILE &&
        !name.endsWith(VERSION_SIDECAR_SUFFIX) &&
        name.length <= MAX_FILE_NAME,
    )
    .sort();
  const files: InstalledFile[] = [];
  for (const name of candidates) {
    if (files.length >= MAX_FILES) break;
    const stat = await fsp.stat(path.join(filesDir, name)).catch(() => undefined);
    if (!stat?.isFile()) continue;
    const sidecar = names.has(name + VERSION_SIDECAR_SUFFIX)
      ? await readSidecar(path.join(filesDir, name + VERSION_SIDECAR_SUFFIX))
      : undefined;
    files.push({
      name,
      version: sidecar ?? cleanVersion(versionMap[name]) ?? UNKNOWN_VERSION,
      size: stat.size,
      lastModified: stat.mtime.toISOString(),
    });
  }
  return filesSchema.parse(files);
}

/** What the host-config probe reads from the machine; replaceable in tests. */
export interface HostProbeDeps {
  hostname(): string;
  networkInterfaces(): NodeJS.Dict<os.NetworkInterfaceInfo[]>;
  /** The FQDN of a host name, or undefined when DNS does not know one. */
  lookupFqdn(hostName: string): Promise<string | undefined>;
}

export const SYSTEM_HOST_PROBE: HostProbeDeps = {
  hostname: () => os.hostname(),
  networkInterfaces: () => os.networkInterfaces(),
  lookupFqdn: (hostName) => lookupFqdn(hostName, 1000),
};

/**
 * Host name (`os.hostname()`), FQDN (DNS, best effort; the host name when DNS has none),
 * public and private IP (from the network interfaces). Overrides win over every probe.
 */
export async function probeHostConfig(
  overrides: Partial<HostConfig> = {},
  deps: HostProbeDeps = SYSTEM_HOST_PROBE,
): Promise<HostConfig> {
  const hostName = overrides.hostName ?? deps.hostname();
  const fqdn = overrides.fqdn ?? (await deps.lookupFqdn(hostName).catch(() => undefined)) ?? hostName;
  const found =
    overrides.publicIp !== undefined && overrides.privateIp !== undefined
      ? { publicIp: null, privateIp: null }
      : classifyAddresses(deps.networkInterfaces());
  const config = {
    fqdn,
    hostName,
    publicIp: overrides.publicIp !== undefined ? overrides.publicIp : found.publicIp,
    privateIp: overrides.privateIp !== undefined ? overrides.privateIp : found.privateIp,
  };
  const result = hostConfigSchema.safeParse(config);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ');
    throw new ProbeError(`Invalid host config (set it under hostConfig in the agent config): ${problems}`);
  }
  return result.data;
}

/** The first public and the first private address of the external interfaces (IPv4 preferred). */
export function classifyAddresses(interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>): {
  publicIp: string | null;
  privateIp: string | null;
} {
  const all = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal && !a.address.includes('%'));
  const ordered = [...all.filter((a) => a.family === 'IPv4'), ...all.filter((a) => a.family === 'IPv6')];
  let publicIp: string | null = null;
  let privateIp: string | null = null;
  for (const { address, family } of ordered) {
    const kind = family === 'IPv4' ? classifyIpv4(address) : classifyIpv6(address);
    if (kind === 'public' && publicIp === null) publicIp = address;
    if (kind === 'private' && privateIp === null) privateIp = address;
  }
  return { publicIp, privateIp };
}

function classifyIpv4(address: string): 'public' | 'private' | 'other' {
  const [a, b] = address.split('.').map(Number);
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) {
    return 'private';
  }
  if (a === 127 || (a === 169 && b === 254) || a === 0 || a >= 224) return 'other';
  return 'public';
}

function classifyIpv6(address: string): 'public' | 'private' | 'other' {
  const first = address.toLowerCase();
  if (first.startsWith('fc') || first.startsWith('fd')) return 'private';
  if (first.startsWith('fe8') || first.startsWith('fe9') || first.startsWith('fea') || first.startsWith('feb')) {
    return 'other';
  }
  if (first === '::1' || first.startsWith('::')) return 'other';
  return 'public';
}

async function lookupFqdn(hostName: string, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
    timer.unref();
  });
  const lookup = (async () => {
    const { address } = await dns.lookup(hostName);
    const { hostname } = await dns.lookupService(address, 0);
    return hostname.includes('.') && hostname.length <= 253 ? hostname : undefined;
  })().catch(() => undefined);
  try {
    return await Promise.race([lookup, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    throw new ProbeError(`Cannot read the ${what} ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ProbeError(`The ${what} ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

async function readVersionMap(file: string): Promise<Record<string, unknown>> {
  const value = await readJson(file, VERSIONS_FILE);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProbeError(`${file} must be a JSON object mapping file names to versions`);
  }
  return value as Record<string, unknown>;
}

async function readSidecar(file: string): Promise<string | undefined> {
  const text = await fsp.readFile(file, 'utf8').catch(() => undefined);
  return cleanVersion(text?.split(/\r?\n/)[0]);
}

function cleanVersion(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const version = value.trim();
  return version.length > 0 && version.length <= MAX_VERSION ? version : undefined;
}

/** The probes of one agent. */
export interface AgentProbes {
  probe(): Promise<AgentSnapshot>;
}

/** Probes of a real server as the agent config describes it. */
export function createProbes(agentConfig: AgentConfig, deps: HostProbeDeps = SYSTEM_HOST_PROBE): AgentProbes {
  return {
    async probe() {
      const [versions, config, files] = await Promise.all([
        probeManifest(agentConfig.manifestPath),
        probeHostConfig(agentConfig.hostConfig, deps),
        probeFiles(agentConfig.filesDir),
      ]);
      return { versions, config, files };
    },
  };
}
