import type { SimPatchControl, SimPatchInstallRequest } from '../sim-patches';
import { installPatchesAction, patchHistoryAction, SimActionRegistry } from './sim-actions';
import type { SimulatorControl } from './simulator-control';

const KNOWN = ['srv-00001', 'srv-00002', 'srv-00003'];
const NOW = new Date('2025-06-01T12:00:00.000Z');

type FakeSim = SimulatorControl & SimPatchControl & { installs: Array<[string, SimPatchInstallRequest]> };

/** Only what the patch actions use; the rest is never called. */
function fakeSimulator(): FakeSim {
  const installs: Array<[string, SimPatchInstallRequest]> = [];
  return {
    installs,
    resolve: (ids: readonly string[]) => {
      const unique = [...new Set(ids)];
      return { known: unique.filter((id) => KNOWN.includes(id)), unknown: unique.filter((id) => !KNOWN.includes(id)) };
    },
    simNow: () => NOW,
    firstServerIds: (count: number) => KNOWN.slice(0, count),
    installPatches: (id: string, request: SimPatchInstallRequest) => {
      installs.push([id, request]);
      return true;
    },
    patchHistory: (ids?: readonly string[]) =>
      (ids ?? KNOWN).map((serverId) => ({
        serverId,
        lastInstalledAt: NOW.toISOString(),
        hostingProvider: 'operator' as const,
        reseller: 'reseller-1',
      })),
  } as unknown as FakeSim;
}

describe('OS-patch sim actions', () => {
  const registry = new SimActionRegistry([installPatchesAction, patchHistoryAction]);

  it('install-patches reports an install on the listed servers, by the reseller, now by default', () => {
    const sim = fakeSimulator();
    const reply = registry.handle({ action: 'install-patches', serverIds: ['srv-00002', 'srv-09999'] }, sim);
    expect(reply).toEqual({
      ok: true,
      action: 'install-patches',
      affected: 1,
      serverIds: ['srv-00002'],
      installedAt: NOW.toISOString(),
      unknownServerIds: ['srv-09999'],
    });
    expect(sim.installs).toEqual([
      ['srv-00002', { startedBy: 'reseller', kind: 'regular', urgentUpdateId: null, installedAt: NOW }],
    ]);
  });

  it('install-patches with count takes the first servers and passes every field', () => {
    const sim = fakeSimulator();
    const reply = registry.handle(
      {
        action: 'install-patches',
        count: 2,
        patches: ['KB5034441'],
        startedBy: 'operations',
        kind: 'urgent',
        urgentUpdateId: 'urgent-1',
        installedAt: '2025-05-01T00:00:00Z',
      },
      sim,
    );
    expect(reply).toMatchObject({ ok: true, affected: 2, serverIds: ['srv-00001', 'srv-00002'] });
    expect(sim.installs[1]).toEqual([
      'srv-00002',
      {
        patches: ['KB5034441'],
        startedBy: 'operations',
        kind: 'urgent',
        urgentUpdateId: 'urgent-1',
        installedAt: new Date('2025-05-01T00:00:00Z'),
      },
    ]);
  });

  it.each([
    [{}, 'serverIds: give exactly one of serverIds or count'],
    [{ serverIds: ['srv-00001'], count: 1 }, 'serverIds: give exactly one of serverIds or count'],
    [{ count: 0 }, 'count:'],
    [{ count: 4 }, 'count: 4 exceeds the 3 servers'],
    [{ count: 1, startedBy: 'someone' }, 'startedBy:'],
    [{ count: 1, kind: 'urgent' }, 'urgentUpdateId: is required when kind is urgent'],
    [{ count: 1, patches: [] }, 'patches:'],
    [{ count: 1, patches: ['two words'] }, 'patches[0]: no whitespace'],
    [{ count: 1, installedAt: 'yesterday' }, 'installedAt:'],
    [{ count: 1, installedAt: '2025-06-01T12:00:01Z' }, 'installedAt: 2025-06-01T12:00:01Z is in the future'],
    [{ count: 1, extra: true }, 'extra'],
  ])('install-patches refuses %j naming the field', (fields, error) => {
    const sim = fakeSimulator();
    const reply = registry.handle({ action: 'install-patches', ...fields }, sim);
    expect(reply.ok).toBe(false);
    expect(!reply.ok && reply.error).toContain(error);
    expect(sim.installs).toEqual([]);
  });

  it('patch-history lists the servers, paged', () => {
    const sim = fakeSimulator();
    const reply = registry.handle({ action: 'patch-history', offset: 1, limit: 1 }, sim);
    expect(reply).toEqual({
      ok: true,
      action: 'patch-history',
      affected: 1,
      patchHistory: [
        {
          serverId: 'srv-00002',
          lastInstalledAt: NOW.toISOString(),
          hostingProvider: 'operator',
          reseller: 'reseller-1',
        },
      ],
    });
  });

  it('fails with the reason on a simulator without OS patches', () => {
    const sim = { resolve: () => ({ known: [], unknown: [] }) } as unknown as SimulatorControl;
    const reply = registry.handle({ action: 'patch-history' }, sim);
    expect(reply).toEqual({ ok: false, error: '"patch-history" failed: this simulator does not simulate OS patches' });
  });
});
