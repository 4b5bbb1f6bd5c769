import { hash32, Rng } from './prng';

const DAY_MS = 86_400_000;
/** The initial install of every simulated server is at most this many days before the simulation starts. */
export const SIM_MAX_INITIAL_PATCH_AGE_DAYS = 150;

/** Debian-style packages the simulated OS patches update. */
const PACKAGES = [
  'openssl',
  'libssl3',
  'openssh-server',
  'linux-image-generic',
  'libc6',
  'sudo',
  'curl',
  'tzdata',
  'systemd',
  'bash',
  'libxml2',
  'python3.10',
  'git',
  'vim',
  'ca-certificates',
] as const;

/**
 * The OS patches of one install: 1-6 package versions (`openssl_3.0.13-0ubuntu3.4`), the same for
 * the same parts.
 */
export function simPatchList(...parts: ReadonlyArray<string | number>): string[] {
  const rng = Rng.of(...parts, 'patch-list');
  const count = rng.int(1, 6);
  const chosen = new Set<string>();
  while (chosen.size < count) chosen.add(rng.pick(PACKAGES));
  return [...chosen].map((name) => {
    const h = hash32(...parts, name);
    return `${name}_${1 + (h % 9)}.${(h >>> 4) % 20}.${(h >>> 9) % 30}-0ubuntu3.${(h >>> 14) % 12}`;
  });
}

/**
 * The last OS-patch install of simulated server `index` before the simulation started: `ageMs`
 * (0 up to {@link SIM_MAX_INITIAL_PATCH_AGE_DAYS} days, to the second) before the start, and its
 * patches. Depends only on the seed and the index.
 */
export function simInitialPatchInstall(seed: number, index: number): { ageMs: number; patches: string[] } {
  const rng = Rng.of(seed, 'initial-patches', index);
  const ageMs = rng.int(0, (SIM_MAX_INITIAL_PATCH_AGE_DAYS * DAY_MS) / 1000) * 1000;
  return { ageMs, patches: simPatchList(seed, 'initial-patches', index) };
}
