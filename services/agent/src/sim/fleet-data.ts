import type {
  HostConfig,
  HostingProvider,
  InstalledFile,
  NamedRef,
  ProductVersions,
  Stage,
} from '@fleetwarden/inventory-contracts';
import type { MemberRole } from '@fleetwarden/redundancy-contracts';
import { parsePairMemberId, pairMemberIdOf, simPairSpec, type SimPairSpec } from './pair-data';
import { hash32, Rng } from './prng';
import {
  CITIES,
  COMPANY_FIRST,
  COMPANY_SECOND,
  COMPANY_SUFFIX,
  PRODUCT_FILES,
  RESELLER_FIRST,
  RESELLER_SECOND,
  STREETS,
} from './word-lists';

/** Server image version every simulated server starts on. */
export const SIM_SERVER_VERSION = '9.0.0.200';
/** Web-apps version of the simulated servers that have web apps. */
export const SIM_WEB_APPS_VERSION = '9.0.1.15';
/** Version of the one product file that lags behind the image. */
const SIM_OLDER_FILE_VERSION = '9.0.0.187';
/** Simulated files were installed up to 120 days before this instant (fixed, so fleets are reproducible). */
const FILES_INSTALLED_BEFORE = Date.parse('2025-09-01T00:00:00Z');
const DAY_MS = 86_400_000;

/** What a simulated fleet is generated from. */
export interface FleetSpec {
  /** Servers `srv-00001`...; may be 0 when there are pairs. */
  servers: number;
  resellers: number;
  seed: number;
  /** Redundancy pairs (default 0): 2 more servers each, `srv-p0001a` and `srv-p0001b` for `pair-0001`. */
  pairs?: number;
}

export interface CompanyProfile extends NamedRef {
  address: string;
  /** DNS label of the company's domain. */
  slug: string;
  /** Position, among its reseller's servers, of the company's first server. */
  firstServer: number;
}

export interface ResellerProfile extends NamedRef {
  companies: readonly CompanyProfile[];
}

/** Everything a simulated server announces in its hello. */
export interface ServerProfile {
  /** 1-based position in the fleet: servers first, then the pair members (primary, secondary, next pair...). */
  index: number;
  serverId: string;
  reseller: NamedRef;
  company: NamedRef;
  address: string;
  stage: Stage;
  hostingProvider: HostingProvider;
  versions: ProductVersions;
  config: HostConfig;
  files: InstalledFile[];
}

/** `srv-00001` for server 1. */
export function serverIdOf(index: number): string {
  return `srv-${String(index).padStart(5, '0')}`;
}

/** `reseller-1` for reseller 1. */
export function resellerIdOf(index: number): string {
  return `reseller-${index}`;
}

/** Servers are dealt round-robin: server k belongs to reseller ((k - 1) % R) + 1. */
export function resellerIndexOf(serverIndex: number, resellers: number): number {
  return ((serverIndex - 1) % resellers) + 1;
}

function requireInt(value: number, min: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${what} must be an integer >= ${min}`);
}

/**
 * A deterministic fake fleet: the same spec gives the same resellers, companies and servers, and
 * a server's profile depends only on the seed, the reseller count and its own index (not on the
 * fleet size). Profiles are computed on demand, so a fleet of 100k costs little memory.
 *
 * Pair `p` (`pair-0001`...) belongs to reseller ((p-1) % R) + 1 and its own company
 * (`company-<r>-p<p>`); its members' profiles depend only on the seed, R and p, except `index`.
 */
export class FleetModel {
  readonly resellers: readonly ResellerProfile[];
  private readonly pattern = /^srv-(\d{5,})$/;

  constructor(readonly spec: FleetSpec) {
    const pairs = spec.pairs ?? 0;
    requireInt(pairs, 0, 'pairs');
    requireInt(spec.servers, pairs > 0 ? 0 : 1, 'servers');
    requireInt(spec.resellers, 1, 'resellers');
    requireInt(spec.seed, 0, 'seed');
    this.resellers = Array.from({ length: spec.resellers }, (_, i) => this.reseller(i + 1));
  }

  /** Every server: the plain ones and the pair members. */
  get size(): number {
    return this.spec.servers + 2 * this.pairCount;
  }

  get pairCount(): number {
    return this.spec.pairs ?? 0;
  }

  /** The 1-based index of a server id of this fleet, or undefined. */
  indexOf(serverId: string): number | undefined {
    const member = parsePairMemberId(serverId);
    if (member) {
      return member.pair <= this.pairCount
        ? this.spec.servers + 2 * (member.pair - 1) + (member.role === 'primary' ? 1 : 2)
        : undefined;
    }
    const match = this.pattern.exec(serverId);
    if (!match) return undefined;
    const index = Number(match[1]);
    return index >= 1 && index <= this.spec.servers && serverIdOf(index) === serverId ? index : undefined;
  }

  /** The server id at a 1-based index (`srv-00001`, or `srv-p0001a` past the plain servers). */
  idOf(index: number): string {
    if (index <= this.spec.servers) return serverIdOf(index);
    const k = index - this.spec.servers - 1;
    return pairMemberIdOf(Math.floor(k / 2) + 1, k % 2 === 0 ? 'primary' : 'secondary');
  }

  /** Pair `number` (1-based). */
  pair(number: number): SimPairSpec {
    if (!Number.isSafeInteger(number) || number < 1 || number > this.pairCount) {
      throw new RangeError(`pair number must be between 1 and ${this.pairCount}, got ${number}`);
    }
    return simPairSpec(number);
  }

  *pairs(): IterableIterator<SimPairSpec> {
    for (let p = 1; p <= this.pairCount; p++) yield simPairSpec(p);
  }

  /** The pair of a member of this fleet and its role in it, or undefined. */
  pairOf(serverId: string): { pair: SimPairSpec; role: MemberRole } | undefined {
    const member = parsePairMemberId(serverId);
    return member && member.pair <= this.pairCount ? { pair: simPairSpec(member.pair), role: member.role } : undefined;
  }

  server(index: number): ServerProfile {
    if (!Number.isSafeInteger(index) || index < 1 || index > this.size) {
      throw new RangeError(`server index must be between 1 and ${this.size}, got ${index}`);
    }
    if (index > this.spec.servers) {
      const k = index - this.spec.servers - 1;
      return this.pairMember(Math.floor(k / 2) + 1, k % 2 === 0 ? 'primary' : 'secondary', index);
    }
    const { seed, resellers } = this.spec;
    const serverId = serverIdOf(index);
    const r = resellerIndexOf(index, resellers);
    const reseller = this.resellers[r - 1];
    const company = companyOf(reseller, Math.floor((index - 1) / resellers));
    const rng = Rng.of(seed, 'server', index);
    const stage = rng.weighted<Stage>([
      ['production', 85],
      ['patch', 10],
      ['beta', 5],
    ]);
    const hostingProvider = rng.weighted<HostingProvider>([
      ['operator', 80],
      ['partner', 20],
    ]);
    const versions: ProductVersions = {
      serverVersion: SIM_SERVER_VERSION,
      webAppsVersion: rng.chance(0.85) ? SIM_WEB_APPS_VERSION : null,
    };
    const hostName = serverId;
    const offset = index % 131_072;
    const config: HostConfig = {
      fqdn: `${hostName}.${company.slug}.example.net`,
      hostName,
      publicIp: rng.chance(0.9) ? `198.${18 + (offset >> 16)}.${(offset >> 8) & 255}.${offset & 255}` : null,
      privateIp: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`,
    };
    const installedAt = FILES_INSTALLED_BEFORE - rng.int(0, 120) * DAY_MS - rng.int(0, DAY_MS / 1000 - 1) * 1000;
    return {
      index,
      serverId,
      reseller: { id: reseller.id, name: reseller.name },
      company: { id: company.id, name: company.name },
      address: company.address,
      stage,
      hostingProvider,
      versions,
      config,
      files: productFiles(versions, installedAt),
    };
  }

  /** Every server, the pair members last. */
  *servers(): IterableIterator<ServerProfile> {
    for (let i = 1; i <= this.size; i++) yield this.server(i);
  }

  /** Both members of a pair share its reseller, company, stage and versions; each has its own host. */
  private pairMember(pair: number, role: MemberRole, index: number): ServerProfile {
    const { seed, resellers } = this.spec;
    const r = resellerIndexOf(pair, resellers);
    const reseller = this.resellers[r - 1];
    const company = this.company(r, `p${pair}`, 0);
    const rng = Rng.of(seed, 'pair', pair);
    const hostingProvider = rng.weighted<HostingProvider>([
      ['operator', 80],
      ['partner', 20],
    ]);
    const versions: ProductVersions = {
      serverVersion: SIM_SERVER_VERSION,
      webAppsVersion: rng.chance(0.85) ? SIM_WEB_APPS_VERSION : null,
    };
    const installedAt = FILES_INSTALLED_BEFORE - rng.int(0, 120) * DAY_MS - rng.int(0, DAY_MS / 1000 - 1) * 1000;
    const serverId = pairMemberIdOf(pair, role);
    // Member number k = 2p - 1 (primary) or 2p (secondary): private addresses in 172.16.0.0/12.
    const k = 2 * pair - (role === 'primary' ? 1 : 0);
    return {
      index,
      serverId,
      reseller: { id: reseller.id, name: reseller.name },
      company: { id: company.id, name: company.name },
      address: company.address,
      stage: 'production',
      hostingProvider,
      versions,
      config: {
        fqdn: `${serverId}.${company.slug}.example.net`,
        hostName: serverId,
        publicIp: null,
        privateIp: `172.${16 + ((k >> 16) & 15)}.${(k >> 8) & 255}.${k & 255}`,
      },
      files: productFiles(versions, installedAt),
    };
  }

  private reseller(r: number): ResellerProfile {
    const { seed, servers, resellers } = this.spec;
    const rng = Rng.of(seed, 'reseller', r);
    const owned = r <= servers ? Math.floor((servers - r) / resellers) + 1 : 0;
    const companies: CompanyProfile[] = [];
    for (let c = 1, first = 0; first < owned; c++) {
      const company = this.company(r, c, first);
      companies.push(company);
      first += Rng.of(seed, 'company-size', r, c).weighted([
        [1, 30],
        [2, 25],
        [3, 20],
        [4, 10],
        [6, 8],
        [10, 5],
        [20, 2],
      ]);
    }
    return { id: resellerIdOf(r), name: `${rng.pick(RESELLER_FIRST)} ${rng.pick(RESELLER_SECOND)}`, companies };
  }

  private company(r: number, c: number | string, firstServer: number): CompanyProfile {
    const rng = Rng.of(this.spec.seed, 'company', r, c);
    const first = rng.pick(COMPANY_FIRST);
    const second = rng.pick(COMPANY_SECOND);
    const [city, country] = rng.pick(CITIES);
    return {
      id: `company-${r}-${c}`,
      name: `${first} ${second} ${rng.pick(COMPANY_SUFFIX)}`,
      address: `${rng.int(1, 999)} ${rng.pick(STREETS)}, ${rng.int(10000, 99999)} ${city}, ${country}`,
      slug: `${first}-${second}-${r}-${c}`.toLowerCase(),
      firstServer,
    };
  }
}

/**
 * A server's profile after an update installed `versions` at `installedAt` (ms since the epoch):
 * the product files whose version changed get their new version, size and date; the others stay.
 */
export function withVersions(profile: ServerProfile, versions: ProductVersions, installedAt: number): ServerProfile {
  const previous = new Map(profile.files.map((f) => [f.name, f]));
  const files = productFiles(versions, installedAt).map((file) => {
    const old = previous.get(file.name);
    return old && old.version === file.version ? old : file;
  });
  return { ...profile, versions: { ...versions }, files };
}

function companyOf(reseller: ResellerProfile, position: number): CompanyProfile {
  const { companies } = reseller;
  let lo = 0;
  let hi = companies.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (companies[mid].firstServer <= position) lo = mid;
    else hi = mid - 1;
  }
  return companies[lo];
}

/** The product's binaries: same name and version, same size, as on real installations. */
function productFiles(versions: ProductVersions, installedAt: number): InstalledFile[] {
  const files: InstalledFile[] = [];
  for (const { name, kind } of PRODUCT_FILES) {
    let version: string;
    let modified = installedAt;
    if (kind === 'server') version = versions.serverVersion;
    else if (kind === 'older') {
      version = SIM_OLDER_FILE_VERSION;
      modified -= 45 * DAY_MS;
    } else if (kind === 'unknown') version = 'unknown';
    else if (versions.webAppsVersion) version = versions.webAppsVersion;
    else continue;
    const size = 40_960 + (hash32(name, version) % 8_000_000);
    files.push({ name, version, size, lastModified: new Date(modified).toISOString() });
  }
  return files;
}
