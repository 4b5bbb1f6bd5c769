import type { AgentHaCheckMessage } from '@fleetwarden/redundancy-contracts';
import { SIM_HA_ROUND_TRIP_MS, SimHaCheck, isSimHaCheckControl, simHaRoundTripMs } from './sim-ha-check';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const SERVERS = ['srv-00001', 'srv-00002', 'srv-00003', 'srv-00004'];

const request = (peers: string[]): AgentHaCheckMessage => ({
  type: 'ha-check',
  checkId: 'chk-1',
  clusterId: 'c-1',
  peers: peers.map((serverId) => ({ serverId, role: 'server', address: `${serverId}.example.net` })),
});

describe('SimHaCheck', () => {
  const offline = new Set<string>();
  let check: SimHaCheck;

  beforeEach(() => {
    offline.clear();
    check = new SimHaCheck({
      seed: 7,
      clock: { now: () => new Date(NOW) },
      known: (id) => SERVERS.includes(id),
      online: (id) => !offline.has(id),
    });
  });

  it('reports a round trip fixed by the seed, 5-60 ms, the same both ways', () => {
    const rtts = SERVERS.flatMap((a) => SERVERS.filter((b) => b !== a).map((b) => simHaRoundTripMs(7, a, b)));
    for (const ms of rtts) {
      expect(ms).toBeGreaterThanOrEqual(SIM_HA_ROUND_TRIP_MS.min);
      expect(ms).toBeLessThanOrEqual(SIM_HA_ROUND_TRIP_MS.max);
    }
    expect(new Set(rtts).size).toBeGreaterThan(1);
    expect(simHaRoundTripMs(7, 'srv-00001', 'srv-00002')).toBe(simHaRoundTripMs(7, 'srv-00002', 'srv-00001'));
    expect(simHaRoundTripMs(7, 'srv-00001', 'srv-00002')).toBe(simHaRoundTripMs(7, 'srv-00001', 'srv-00002'));
  });

  it('reaches every running peer it simulates, with its clock', () => {
    expect(check.answer('srv-00001', request(['srv-00002', 'srv-00003']))).toEqual({
      ok: true,
      receivedAt: new Date(NOW).toISOString(),
      sentAt: new Date(NOW).toISOString(),
      results: [
        { peerId: 'srv-00002', reachable: true, roundTripMs: simHaRoundTripMs(7, 'srv-00001', 'srv-00002') },
        { peerId: 'srv-00003', reachable: true, roundTripMs: simHaRoundTripMs(7, 'srv-00001', 'srv-00003') },
      ],
    });
    expect(check.checksAnswered).toBe(1);
  });

  it('does not reach a stopped peer, nor one it does not simulate', () => {
    offline.add('srv-00002');
    const reply = check.answer('srv-00001', request(['srv-00002', 'srv-99999']));
    expect(reply.ok && reply.results).toEqual([
      { peerId: 'srv-00002', reachable: false, roundTripMs: null, error: 'connect ECONNREFUSED' },
      {
        peerId: 'srv-99999',
        reachable: false,
        roundTripMs: null,
        error: 'unknown host: srv-99999 is not simulated here',
      },
    ]);
  });

  it('cuts messaging from and to a server whose messaging is down, until it is up again', () => {
    expect(check.setMessaging('srv-00002', false)).toBe(true);
    expect(check.setMessaging('srv-00002', false)).toBe(false);
    const from = check.answer('srv-00002', request(['srv-00001']));
    const to = check.answer('srv-00001', request(['srv-00002', 'srv-00003']));
    expect(from.ok && from.results.map((r) => r.reachable)).toEqual([false]);
    expect(to.ok && to.results.map((r) => [r.reachable, r.error])).toEqual([
      [false, 'connect ETIMEDOUT'],
      [true, undefined],
    ]);
    expect(check.setMessaging('srv-00002', true)).toBe(true);
    const again = check.answer('srv-00001', request(['srv-00002']));
    expect(again.ok && again.results[0].reachable).toBe(true);
  });

  it("shifts a server's clock by its skew", () => {
    expect(check.setClockSkew('srv-00001', 90_000)).toBe(true);
    expect(check.setClockSkew('srv-00001', 90_000)).toBe(false);
    expect(check.answer('srv-00001', request(['srv-00002']))).toMatchObject({
      receivedAt: new Date(NOW + 90_000).toISOString(),
      sentAt: new Date(NOW + 90_000).toISOString(),
    });
    expect(check.answer('srv-00002', request(['srv-00001']))).toMatchObject({ sentAt: new Date(NOW).toISOString() });
    expect(check.setClockSkew('srv-00001', 0)).toBe(true);
    expect(check.answer('srv-00001', request([]))).toMatchObject({ sentAt: new Date(NOW).toISOString() });
  });

  it('refuses a request that is no valid ha-check, naming the field', () => {
    expect(SimHaCheck.isHaCheck({ type: 'ha-check' })).toBe(true);
    expect(SimHaCheck.isHaCheck({ type: 'assume-control' })).toBe(false);
    expect(check.answer('srv-00001', { type: 'ha-check', clusterId: 'c-1', peers: [] })).toEqual({
      ok: false,
      error: expect.stringContaining('invalid ha-check request: checkId'),
    });
    expect(check.checksAnswered).toBe(0);
  });

  it('is what the HA check actions drive', () => {
    expect(isSimHaCheckControl(check)).toBe(true);
    expect(isSimHaCheckControl({})).toBe(false);
  });
});
