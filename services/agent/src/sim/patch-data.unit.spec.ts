import { simInitialPatchInstall, simPatchList } from './patch-data';

const DAY_MS = 86_400_000;

describe('simInitialPatchInstall', () => {
  const installs = (seed: number) => Array.from({ length: 2000 }, (_, i) => simInitialPatchInstall(seed, i + 1));

  it('is the same for the same seed and index, and differs between seeds', () => {
    expect(installs(7)).toEqual(installs(7));
    expect(installs(8).map((i) => i.ageMs)).not.toEqual(installs(7).map((i) => i.ageMs));
  });

  it('lies 0-150 days before the start, whole seconds, spread over the range', () => {
    const ages = installs(7).map((i) => i.ageMs);
    expect(ages.every((a) => a >= 0 && a <= 150 * DAY_MS && a % 1000 === 0)).toBe(true);
    // Some servers in each band: fresh, alerted (60+ days) and breached (120+ days).
    expect(ages.filter((a) => a < 60 * DAY_MS).length).toBeGreaterThan(500);
    expect(ages.filter((a) => a >= 60 * DAY_MS && a < 120 * DAY_MS).length).toBeGreaterThan(500);
    expect(ages.filter((a) => a >= 120 * DAY_MS).length).toBeGreaterThan(200);
  });

  it('lists 1-6 distinct patches the contract accepts', () => {
    for (const { patches } of installs(3).slice(0, 200)) {
      expect(patches.length).toBeGreaterThanOrEqual(1);
      expect(patches.length).toBeLessThanOrEqual(6);
      expect(new Set(patches).size).toBe(patches.length);
      for (const p of patches) expect(p).toMatch(/^[a-z0-9.+-]+_\d+\.\d+\.\d+-0ubuntu3\.\d+$/);
    }
    expect(simPatchList(1, 'srv-00001', 5)).toEqual(simPatchList(1, 'srv-00001', 5));
  });
});
