import { evolveAll, isDomainError } from '@fleetwarden/shared-domain';
import { DeciderSpecification } from '@fleetwarden/testing';
import { PairErrorCode } from '../redundancy.errors';
import type { ConfigurePair, Evaluate, PairCommand, RecordKeepAlive } from './pair.commands';
import { initialMemberState, pairDecider } from './pair.decider';
import type { ControlSwitched, MemberStateReported, PairConfigured, PairEvent } from './pair.events';
import { isSplitView, isSwitchoverPossible, pairStream } from './pair.rules';
import type { MemberReport, MemberRole, PairConfig, PairState } from './pair.types';

const spec = DeciderSpecification.for(pairDecider);
const T0 = '2026-03-01T12:00:00.000Z';
const DAY = 86_400;
const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const P = 'srv-a';
const S = 'srv-b';
const serverOf = { primary: P, secondary: S } as const;

const baseConfig: PairConfig = {
  primaryServerId: P,
  secondaryServerId: S,
  primaryAddress: '10.0.0.1',
  secondaryAddress: '10.0.0.2',
  switchAddress: '10.0.0.3',
  redundancyKeyHash: 'scrypt$salt$hash',
  autoFailover: true,
  keepAliveIntervalSec: 5,
  failoverThresholdSec: 15,
  holdDownSec: 300,
  notificationTargets: [{ kind: 'subject', subject: 'ops.pairs' }],
  tenant: 'reseller-1',
  configuredBy: 'user:alice',
};

const configured = (overrides: Partial<PairConfig> = {}): PairConfigured => ({
  type: 'PairConfigured',
  data: { pairId: 'p1', ...baseConfig, ...overrides },
});

const configure = (
  overrides: Partial<PairConfig> = {},
  resolved: Partial<ConfigurePair['resolved']> = {},
): ConfigurePair => ({
  type: 'ConfigurePair',
  data: { pairId: 'p1', ...baseConfig, ...overrides },
  resolved: { unknownServerIds: [], serversInOtherPairs: [], ...resolved },
});

const healthy = (role: MemberRole, overrides: Partial<MemberReport> = {}): MemberReport => ({
  inControl: role === 'primary',
  switchingService: 'up',
  ipPhoneService: 'up',
  keepAliveService: 'up',
  replicationStatus: role === 'primary' ? 'monitoring' : 'updated',
  peerReachable: true,
  sentAt: '',
  ...overrides,
});

/** A keep-alive of `role` received at `seconds`, sent by a clock `skewMs` ahead. */
const keepAlive = (
  role: MemberRole,
  seconds: number,
  overrides: Partial<MemberReport> = {},
  skewMs = 0,
): RecordKeepAlive => ({
  type: 'RecordKeepAlive',
  data: {
    pairId: 'p1',
    serverId: serverOf[role],
    report: { ...healthy(role, overrides), sentAt: new Date(Date.parse(at(seconds)) + skewMs).toISOString() },
    now: at(seconds),
  },
});

const reported = (
  role: MemberRole,
  seconds: number,
  overrides: Partial<MemberReport> = {},
  skewMs = 0,
): MemberStateReported => {
  const { inControl, sentAt: _sentAt, ...report } = healthy(role, overrides);
  return {
    type: 'MemberStateReported',
    data: {
      pairId: 'p1',
      serverId: serverOf[role],
      role,
      claimsControl: inControl,
      ...report,
      clockSkewMs: skewMs,
      at: at(seconds),
    },
  };
};

/** Both members healthy, the secondary fully replicated: a pair ready for anything. */
const healthyPair = (): PairEvent[] => [configured(), reported('primary', 0), reported('secondary', 0)];

const evaluate = (
  seconds: number,
  last: { primary: number | null; secondary: number | null },
  switchId = 'sw-1',
): Evaluate => ({
  type: 'Evaluate',
  data: {
    pairId: 'p1',
    now: at(seconds),
    lastKeepAliveAt: {
      primary: last.primary === null ? null : at(last.primary),
      secondary: last.secondary === null ? null : at(last.secondary),
    },
    switchId,
  },
});

const lost = (role: MemberRole, last: number | null, seconds: number): PairEvent => ({
  type: 'KeepAliveLost',
  data: {
    pairId: 'p1',
    serverId: serverOf[role],
    role,
    lastKeepAliveAt: last === null ? null : at(last),
    at: at(seconds),
  },
});

const restored = (role: MemberRole, seconds: number): PairEvent => ({
  type: 'KeepAliveRestored',
  data: { pairId: 'p1', serverId: serverOf[role], role, at: at(seconds) },
});

const blocked = (reason: string, seconds: number): PairEvent => ({
  type: 'FailoverBlocked',
  data: { pairId: 'p1', reason, at: at(seconds) },
});

const failover = (from: MemberRole, missed: number, seconds: number, switchId = 'sw-1'): ControlSwitched => ({
  type: 'ControlSwitched',
  data: {
    pairId: 'p1',
    switchId,
    kind: 'failover',
    from,
    to: from === 'primary' ? 'secondary' : 'primary',
    reason: `keep-alive of the ${from} missed for ${missed} s`,
    by: 'system:redundancy',
    at: at(seconds),
  },
});

const switchover = (seconds: number, switchId = 'op-1'): PairCommand => ({
  type: 'ManualSwitchover',
  data: { pairId: 'p1', now: at(seconds), by: 'user:alice', reason: 'maintenance of the primary', switchId },
});

/** Runs commands against a growing stream, as the service would. */
class Run {
  constructor(public events: PairEvent[]) {}
  get state(): PairState {
    return evolveAll(pairDecider, this.events);
  }
  handle(command: PairCommand): PairEvent[] {
    const produced = pairDecider.decide(command, this.state);
    this.events.push(...produced);
    return produced;
  }
  of<T extends PairEvent['type']>(type: T): Extract<PairEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<PairEvent, { type: T }> => e.type === type);
  }
}

const refusedWith = (code: string, text: string) => (error: unknown) =>
  isDomainError(error, code) && error.message.includes(text);

describe('redundancy pair', () => {
  it('lives in the stream pair-<pairId>', () => {
    expect(pairStream('p1')).toBe('pair-p1');
  });

  describe('when not configured', () => {
    it('configures the pair with the full configuration', () => {
      spec.given([]).when(configure()).then([configured()]);
    });

    it('starts with the primary active and both members available, services up', () => {
      const state = evolveAll(pairDecider, [configured()]);
      expect(state).toMatchObject({ exists: true, pairId: 'p1', activeRole: 'primary', lastSwitch: null });
      expect(state.members).toEqual({
        primary: {
          serverId: P,
          role: 'primary',
          claimsControl: true,
          switchingService: 'up',
          ipPhoneService: 'up',
          keepAliveService: 'up',
          replicationStatus: 'monitoring',
          peerReachable: true,
          clockSkewMs: 0,
          reportedAt: null,
          available: true,
        },
        secondary: { ...initialMemberState(S, 'secondary'), replicationStatus: 'synchronizing', claimsControl: false },
      });
    });

    it('refuses the same server twice', () => {
      spec
        .given([])
        .when(configure({ secondaryServerId: P }))
        .thenThrows(PairErrorCode.SameServerTwice);
    });

    it('refuses unknown servers, naming them', () => {
      spec
        .given([])
        .when(configure({}, { unknownServerIds: [S] }))
        .thenThrows(refusedWith(PairErrorCode.UnknownServers, S));
    });

    it('refuses a server already in another pair', () => {
      spec
        .given([])
        .when(configure({}, { serversInOtherPairs: [P] }))
        .thenThrows(refusedWith(PairErrorCode.ServerInOtherPair, P));
    });

    it('refuses a failover threshold not above the keep-alive interval', () => {
      spec
        .given([])
        .when(configure({ failoverThresholdSec: 5 }))
        .thenThrows(PairErrorCode.InvalidThreshold);
      spec
        .given([])
        .when(configure({ failoverThresholdSec: 3 }))
        .thenThrows(PairErrorCode.InvalidThreshold);
    });

    it('refuses every other command as not found', () => {
      const commands: PairCommand[] = [
        { type: 'SetAutoFailover', data: { pairId: 'p1', enabled: false, by: 'user:alice' } },
        keepAlive('primary', 0),
        evaluate(0, { primary: 0, secondary: 0 }),
        switchover(0),
        {
          type: 'RecordNotification',
          data: {
            pairId: 'p1',
            switchId: 'sw-1',
            target: { kind: 'subject', subject: 'ops' },
            attempt: 1,
            delivered: true,
            error: null,
            now: at(0),
          },
        },
      ];
      for (const command of commands) spec.given([]).when(command).thenThrows(PairErrorCode.NotFound);
    });
  });

  describe('when configured', () => {
    it('reconfigures the redundancy settings', () => {
      spec
        .given([configured()])
        .when(configure({ holdDownSec: 60, autoFailover: false, configuredBy: 'user:bob' }))
        .then([configured({ holdDownSec: 60, autoFailover: false, configuredBy: 'user:bob' })]);
    });

    it('keeps the members, the active role and the last switch on reconfiguration', () => {
      const run = new Run([...healthyPair()]);
      run.handle(switchover(10));
      const before = run.state;
      run.handle(configure({ holdDownSec: 60 }));
      expect(run.state.members).toEqual(before.members);
      expect(run.state.activeRole).toBe('secondary');
      expect(run.state.lastSwitch).toEqual(before.lastSwitch);
      expect(run.state.config?.holdDownSec).toBe(60);
    });

    it('does nothing when the configuration is unchanged', () => {
      spec.given([configured()]).when(configure()).thenNothingHappens();
    });

    it('refuses to change or swap the member servers', () => {
      spec
        .given([configured()])
        .when(configure({ secondaryServerId: 'srv-c' }))
        .thenThrows(PairErrorCode.MembersChanged);
      spec
        .given([configured()])
        .when(configure({ primaryServerId: S, secondaryServerId: P }))
        .thenThrows(PairErrorCode.MembersChanged);
    });

    it('still validates a reconfiguration', () => {
      spec
        .given([configured()])
        .when(configure({ failoverThresholdSec: 1 }))
        .thenThrows(PairErrorCode.InvalidThreshold);
    });

    it('turns automatic failover off, and does nothing when unchanged', () => {
      const off: PairCommand = { type: 'SetAutoFailover', data: { pairId: 'p1', enabled: false, by: 'user:alice' } };
      spec
        .given([configured()])
        .when(off)
        .then([{ type: 'AutoFailoverSet', data: { pairId: 'p1', enabled: false, by: 'user:alice' } }]);
      spec
        .given([configured({ autoFailover: false })])
        .when(off)
        .thenNothingHappens();
    });
  });

  describe('keep-alives', () => {
    it('refuses a server that is not a member', () => {
      const command = keepAlive('primary', 0);
      spec
        .given([configured()])
        .when({ ...command, data: { ...command.data, serverId: 'srv-z' } })
        .thenThrows(PairErrorCode.NotAMember);
    });

    it("reports a member's first keep-alive", () => {
      spec
        .given([configured()])
        .when(keepAlive('primary', 1))
        .then([reported('primary', 1)]);
    });

    it('does not report a keep-alive that changes nothing, even with a jittering clock', () => {
      spec.given(healthyPair()).when(keepAlive('primary', 5)).thenNothingHappens();
      spec
        .given(healthyPair())
        .when(keepAlive('secondary', 5, {}, 850))
        .thenNothingHappens();
      spec
        .given(healthyPair())
        .when(keepAlive('secondary', 5, {}, -59_999))
        .thenNothingHappens();
    });

    it('reports a change of a service, of replication, of the claim or of the peer link', () => {
      spec
        .given(healthyPair())
        .when(keepAlive('secondary', 5, { ipPhoneService: 'down' }))
        .then([reported('secondary', 5, { ipPhoneService: 'down' })]);
      spec
        .given(healthyPair())
        .when(keepAlive('secondary', 5, { replicationStatus: 'synchronizing' }))
        .then([reported('secondary', 5, { replicationStatus: 'synchronizing' })]);
      spec
        .given(healthyPair())
        .when(keepAlive('primary', 5, { inControl: false }))
        .then([reported('primary', 5, { inControl: false })]);
      spec
        .given(healthyPair())
        .when(keepAlive('primary', 5, { peerReachable: false }))
        .then([reported('primary', 5, { peerReachable: false })]);
    });

    it('reports the clock skew when it crosses the one-minute limit, in either direction', () => {
      spec
        .given(healthyPair())
        .when(keepAlive('primary', 5, {}, 61_000))
        .then([reported('primary', 5, {}, 61_000)]);
      spec
        .given(healthyPair())
        .when(keepAlive('primary', 5, {}, -60_000))
        .then([reported('primary', 5, {}, -60_000)]);
      spec
        .given([...healthyPair(), reported('primary', 5, {}, 61_000)])
        .when(keepAlive('primary', 10, {}, 75_000))
        .thenNothingHappens();
      spec
        .given([...healthyPair(), reported('primary', 5, {}, 61_000)])
        .when(keepAlive('primary', 10, {}, 2_000))
        .then([reported('primary', 10, {}, 2_000)]);
    });

    it('restores an unavailable member before reporting its change', () => {
      const down = [...healthyPair(), lost('secondary', 0, 20)];
      spec
        .given(down)
        .when(keepAlive('secondary', 30))
        .then([restored('secondary', 30)]);
      spec
        .given(down)
        .when(keepAlive('secondary', 30, { keepAliveService: 'down' }))
        .then([restored('secondary', 30), reported('secondary', 30, { keepAliveService: 'down' })]);
    });
  });

  describe('automatic failover', () => {
    it('does nothing while both members send keep-alives', () => {
      spec
        .given(healthyPair())
        .when(evaluate(14, { primary: 0, secondary: 10 }))
        .thenNothingHappens();
    });

    it('fails over to the standby once the active member misses keep-alives past the threshold', () => {
      spec
        .given(healthyPair())
        .when(evaluate(16, { primary: 0, secondary: 15 }))
        .then([lost('primary', 0, 16), failover('primary', 16, 16)]);
    });

    it('fails over exactly once, however often it is evaluated', () => {
      const run = new Run(healthyPair());
      for (let t = 0; t <= 600; t += 1) {
        if (t <= 30 && t % 5 === 0) run.handle(keepAlive('primary', t));
        if (t % 5 === 0) run.handle(keepAlive('secondary', t, { inControl: run.state.activeRole === 'secondary' }));
        run.handle(evaluate(t, { primary: Math.min(30, t - (t % 5)), secondary: t - (t % 5) }, `sw-${t}`));
      }
      expect(run.of('ControlSwitched')).toEqual([failover('primary', 15, 45, 'sw-45')]);
      expect(run.of('KeepAliveLost')).toHaveLength(1);
      expect(run.of('FailoverBlocked')).toHaveLength(0);
      expect(run.state.activeRole).toBe('secondary');
    });

    it('treats a member without any known keep-alive as unavailable', () => {
      spec
        .given(healthyPair())
        .when(evaluate(5, { primary: null, secondary: 5 }))
        .then([
          lost('primary', null, 5),
          {
            type: 'ControlSwitched',
            data: {
              ...failover('primary', 0, 5).data,
              reason: 'no keep-alive of the primary received',
            },
          },
        ]);
    });

    it('only records the loss of the standby', () => {
      spec
        .given(healthyPair())
        .when(evaluate(20, { primary: 20, secondary: 0 }))
        .then([lost('secondary', 0, 20)]);
    });

    describe('blocked', () => {
      it('when automatic failover is off: once per outage', () => {
        const run = new Run([
          ...healthyPair(),
          { type: 'AutoFailoverSet', data: { pairId: 'p1', enabled: false, by: 'u' } },
        ]);
        expect(run.handle(evaluate(16, { primary: 0, secondary: 15 }))).toEqual([
          lost('primary', 0, 16),
          blocked('automatic failover is off', 16),
        ]);
        expect(run.handle(evaluate(20, { primary: 0, secondary: 20 }))).toEqual([]);
        expect(run.handle(evaluate(200, { primary: 0, secondary: 200 }))).toEqual([]);
        run.handle(keepAlive('primary', 201));
        expect(run.state.blockedReason).toBeNull();
        expect(run.handle(evaluate(230, { primary: 201, secondary: 230 }))).toEqual([
          lost('primary', 201, 230),
          blocked('automatic failover is off', 230),
        ]);
        expect(run.of('ControlSwitched')).toHaveLength(0);
      });

      it('when the services of the standby are down, until they are up again', () => {
        const run = new Run([...healthyPair(), reported('secondary', 1, { switchingService: 'down' })]);
        expect(run.handle(evaluate(16, { primary: 0, secondary: 15 }))).toEqual([
          lost('primary', 0, 16),
          blocked('switching service of the standby secondary is down', 16),
        ]);
        run.handle(keepAlive('secondary', 20, { switchingService: 'down', ipPhoneService: 'down' }));
        expect(run.handle(evaluate(21, { primary: 0, secondary: 20 }))).toEqual([
          blocked('switching, IP-phone services of the standby secondary are down', 21),
        ]);
        expect(run.handle(evaluate(22, { primary: 0, secondary: 20 }))).toEqual([]);
        run.handle(keepAlive('secondary', 25));
        expect(run.handle(evaluate(26, { primary: 0, secondary: 25 }))).toEqual([failover('primary', 26, 26)]);
      });

      it('when the standby is unavailable: never fails over to it', () => {
        const run = new Run(healthyPair());
        expect(run.handle(evaluate(16, { primary: 0, secondary: 0 }))).toEqual([
          lost('primary', 0, 16),
          lost('secondary', 0, 16),
          blocked('standby secondary is unavailable', 16),
        ]);
        expect(run.handle(evaluate(30, { primary: 0, secondary: 0 }))).toEqual([]);
        // The fallback time the service passes after a restart is no keep-alive: still unavailable.
        expect(run.handle(evaluate(31, { primary: 0, secondary: 31 }))).toEqual([]);
        expect(run.of('ControlSwitched')).toHaveLength(0);
      });
    });

    describe('hold-down', () => {
      it('makes no automatic failover within the hold-down after a switch, then fails over', () => {
        const run = new Run([...healthyPair(), failover('primary', 16, 0, 'sw-0')]);
        // The secondary is active; the primary is back and healthy.
        run.handle(keepAlive('primary', 50));
        expect(run.handle(evaluate(100, { primary: 100, secondary: 80 }))).toEqual([
          lost('secondary', 80, 100),
          blocked('hold-down of 300 s after the failover at 2026-03-01T12:00:00.000Z', 100),
        ]);
        expect(run.handle(evaluate(299, { primary: 299, secondary: 80 }))).toEqual([]);
        expect(run.handle(evaluate(300, { primary: 300, secondary: 80 }, 'sw-300'))).toEqual([
          failover('secondary', 220, 300, 'sw-300'),
        ]);
      });

      /**
       * Keep-alives every 5 s; each member in turn falls silent for 25 s out of 40 s (the primary
       * from 5 s, the secondary from 25 s), so the active member is lost every 20 s or so.
       */
      function flap(holdDownSec: number, seconds = 1200): Run {
        const silent = (role: MemberRole, t: number): boolean => {
          const phase = (t + (role === 'primary' ? 0 : 20)) % 40;
          return phase >= 5 && phase < 30;
        };
        const run = new Run([configured({ holdDownSec }), reported('primary', 0), reported('secondary', 0)]);
        const last: Record<MemberRole, number> = { primary: 0, secondary: 0 };
        for (let t = 1; t <= seconds; t += 1) {
          for (const role of ['primary', 'secondary'] as const) {
            if (t % 5 === 0 && !silent(role, t)) {
              run.handle(keepAlive(role, t, { inControl: run.state.activeRole === role }));
              last[role] = t;
            }
          }
          run.handle(evaluate(t, last, `sw-${t}`));
        }
        return run;
      }
      const switchTimes = (run: Run): number[] =>
        run.of('ControlSwitched').map((e) => (Date.parse(e.data.at) - Date.parse(T0)) / 1000);

      it('lets a flapping pair switch at every outage without a hold-down', () => {
        expect(switchTimes(flap(0)).length).toBeGreaterThanOrEqual(50);
      });

      it('switches a flapping pair at most once per hold-down window', () => {
        const holdDownSec = 120;
        const run = flap(holdDownSec);
        const switches = switchTimes(run);
        expect(switches).toEqual([15, 155, 295, 435, 575, 715, 855, 995, 1135]);
        for (let i = 1; i < switches.length; i += 1) {
          expect(switches[i] - switches[i - 1]).toBeGreaterThanOrEqual(holdDownSec);
        }
        expect(run.of('ControlSwitched').every((e) => e.data.kind === 'failover')).toBe(true);
        // Blocked once per outage of the active member, never once per evaluation.
        const holdDowns = run.of('FailoverBlocked');
        expect(holdDowns.every((e) => e.data.reason.startsWith('hold-down of 120 s after the failover at'))).toBe(true);
        expect(holdDowns).toHaveLength(3 * (switches.length - 1) + 2);
      });
    });
  });

  describe('manual switchover', () => {
    const synchronizing = [
      configured(),
      reported('primary', 0),
      reported('secondary', 0, { replicationStatus: 'synchronizing' }),
    ];

    it('is refused while the standby is still synchronizing', () => {
      spec
        .given(synchronizing)
        .when(switchover(10))
        .thenThrows(refusedWith(PairErrorCode.SwitchoverRefused, 'standby secondary is still synchronizing'));
      expect(isSwitchoverPossible(evolveAll(pairDecider, synchronizing))).toEqual({
        ok: false,
        reason: 'standby secondary is still synchronizing',
      });
    });

    it('is refused on a freshly configured pair: the secondary has not reported updated', () => {
      spec.given([configured()]).when(switchover(10)).thenThrows(PairErrorCode.SwitchoverRefused);
    });

    it('hands control to the standby once it is updated, regardless of the hold-down', () => {
      const switched: ControlSwitched = {
        type: 'ControlSwitched',
        data: {
          pairId: 'p1',
          switchId: 'op-1',
          kind: 'switchover',
          from: 'primary',
          to: 'secondary',
          reason: 'maintenance of the primary',
          by: 'user:alice',
          at: at(10),
        },
      };
      expect(isSwitchoverPossible(evolveAll(pairDecider, healthyPair()))).toEqual({ ok: true });
      spec.given(healthyPair()).when(switchover(10)).then([switched]);
      spec
        .given([
          ...healthyPair(),
          { ...switched, data: { ...switched.data, switchId: 'op-0', at: at(5), from: 'secondary', to: 'primary' } },
        ])
        .when(switchover(10))
        .then([switched]);
    });

    it('ignores a redelivered switchover', () => {
      const run = new Run(healthyPair());
      run.handle(switchover(10));
      expect(run.handle(switchover(10))).toEqual([]);
      expect(run.state.activeRole).toBe('secondary');
    });

    it('is refused when a service of either member is down', () => {
      spec
        .given([...healthyPair(), reported('primary', 5, { switchingService: 'down' })])
        .when(switchover(10))
        .thenThrows(refusedWith(PairErrorCode.SwitchoverRefused, 'switching service of the primary is down'));
      spec
        .given([...healthyPair(), reported('secondary', 5, { keepAliveService: 'down' })])
        .when(switchover(10))
        .thenThrows(refusedWith(PairErrorCode.SwitchoverRefused, 'keep-alive service of the secondary is down'));
    });

    it('is refused when a member is unavailable', () => {
      spec
        .given([...healthyPair(), lost('primary', 0, 20)])
        .when(switchover(30))
        .thenThrows(refusedWith(PairErrorCode.SwitchoverRefused, 'primary is unavailable'));
    });

    it('gives every unmet condition as the reason', () => {
      const state = evolveAll(pairDecider, [...synchronizing, reported('primary', 5, { ipPhoneService: 'down' })]);
      expect(isSwitchoverPossible(state)).toEqual({
        ok: false,
        reason: 'IP-phone service of the primary is down; standby secondary is still synchronizing',
      });
      expect(isSwitchoverPossible(pairDecider.initialState())).toEqual({ ok: false, reason: 'pair is not configured' });
    });
  });

  describe('secondary isolation', () => {
    const isolatedAt = 100;
    const isolated = [...healthyPair(), reported('secondary', isolatedAt, { peerReachable: false })];
    const warning = (daysLeft: 7 | 3 | 1, seconds: number): PairEvent => ({
      type: 'SecondaryIsolationWarning',
      data: { pairId: 'p1', daysLeft, unreachableSince: at(isolatedAt), at: at(seconds) },
    });
    const functionLost = (seconds: number): PairEvent => ({
      type: 'SecondaryFunctionLost',
      data: { pairId: 'p1', unreachableSince: at(isolatedAt), at: at(seconds) },
    });
    const hourly = (run: Run, fromSeconds: number, toSeconds: number): void => {
      for (let t = fromSeconds; t <= toSeconds; t += 3600) run.handle(evaluate(t, { primary: t, secondary: t }));
    };

    it('starts counting when the secondary no longer reaches its primary', () => {
      expect(evolveAll(pairDecider, isolated).unreachableSince).toBe(at(isolatedAt));
      const later = evolveAll(pairDecider, [
        ...isolated,
        reported('secondary', 500, { peerReachable: false, ipPhoneService: 'down' }),
      ]);
      expect(later.unreachableSince).toBe(at(isolatedAt));
      expect(
        evolveAll(pairDecider, [...healthyPair(), reported('primary', 100, { peerReachable: false })]).unreachableSince,
      ).toBeNull();
    });

    it('warns at 7, 3 and 1 days left, once each, and loses function at 30 days, once', () => {
      const run = new Run([...isolated]);
      hourly(run, isolatedAt, isolatedAt + 32 * DAY);
      const warnings = run.of('SecondaryIsolationWarning');
      expect(warnings.map((w) => w.data.daysLeft)).toEqual([7, 3, 1]);
      expect(warnings.map((w) => w.data.at)).toEqual([
        at(isolatedAt + 23 * DAY),
        at(isolatedAt + 27 * DAY),
        at(isolatedAt + 29 * DAY),
      ]);
      expect(run.of('SecondaryFunctionLost')).toEqual([functionLost(isolatedAt + 30 * DAY)]);
      expect(run.state.functionLost).toBe(true);
    });

    it('does not warn before 7 days are left', () => {
      spec
        .given(isolated)
        .when(
          evaluate(isolatedAt + 23 * DAY - 1, {
            primary: isolatedAt + 23 * DAY - 1,
            secondary: isolatedAt + 23 * DAY - 1,
          }),
        )
        .thenNothingHappens();
    });

    it('gives every warning due at once, in order, then the loss of function', () => {
      const t = isolatedAt + 31 * DAY;
      spec
        .given(isolated)
        .when(evaluate(t, { primary: t, secondary: t }))
        .then([warning(7, t), warning(3, t), warning(1, t), functionLost(t)]);
      spec
        .given([...isolated, warning(7, isolatedAt + 23 * DAY)])
        .when(evaluate(t, { primary: t, secondary: t }))
        .then([warning(3, t), warning(1, t), functionLost(t)]);
    });

    it('resets once the secondary reaches its primary again', () => {
      const run = new Run([...isolated]);
      hourly(run, isolatedAt, isolatedAt + 31 * DAY);
      const back = isolatedAt + 31 * DAY + 10;
      expect(run.handle(keepAlive('secondary', back))).toEqual([reported('secondary', back)]);
      expect(run.state).toMatchObject({ unreachableSince: null, warnedDaysLeft: [], functionLost: false });
      hourly(run, back, back + 10 * DAY);
      expect(run.of('SecondaryIsolationWarning')).toHaveLength(3);

      const again = back + 10 * DAY + 5;
      run.handle(keepAlive('secondary', again, { peerReachable: false }));
      expect(run.state.unreachableSince).toBe(at(again));
      const t = again + 23 * DAY;
      expect(run.handle(evaluate(t, { primary: t, secondary: t }))).toEqual([
        {
          type: 'SecondaryIsolationWarning',
          data: { pairId: 'p1', daysLeft: 7, unreachableSince: at(again), at: at(t) },
        },
      ]);
    });
  });

  describe('split view', () => {
    it('never lets the claims of the members decide who is active', () => {
      const run = new Run(healthyPair());
      expect(run.handle(keepAlive('secondary', 5, { inControl: true, peerReachable: false }))).toEqual([
        reported('secondary', 5, { inControl: true, peerReachable: false }),
      ]);
      expect(run.handle(keepAlive('primary', 5, { peerReachable: false }))).toEqual([
        reported('primary', 5, { peerReachable: false }),
      ]);
      const state = run.state;
      expect(state.members?.primary.claimsControl).toBe(true);
      expect(state.members?.secondary.claimsControl).toBe(true);
      expect(state.activeRole).toBe('primary');
      expect(isSplitView(state)).toBe(true);
      expect(run.handle(evaluate(10, { primary: 5, secondary: 5 }))).toEqual([]);
      expect(run.state.activeRole).toBe('primary');
    });

    it('keeps the secondary standing by when only the primary drops its claim', () => {
      const run = new Run(healthyPair());
      run.handle(keepAlive('primary', 5, { inControl: false }));
      expect(run.state.activeRole).toBe('primary');
      expect(isSplitView(run.state)).toBe(false);
    });
  });

  describe('switch notifications', () => {
    const notification = (attempt: number): PairCommand => ({
      type: 'RecordNotification',
      data: {
        pairId: 'p1',
        switchId: 'sw-1',
        target: { kind: 'webhook', url: 'https://ops.example/hook' },
        attempt,
        delivered: false,
        error: 'HTTP 503',
        now: at(attempt),
      },
    });

    it('records each delivery attempt', () => {
      spec
        .given(healthyPair())
        .when(notification(1))
        .then([
          {
            type: 'SwitchoverNotified',
            data: {
              pairId: 'p1',
              switchId: 'sw-1',
              target: { kind: 'webhook', url: 'https://ops.example/hook' },
              attempt: 1,
              delivered: false,
              error: 'HTTP 503',
              at: at(1),
            },
          },
        ]);
    });

    it('keeps the last 50 attempts', () => {
      const run = new Run(healthyPair());
      for (let attempt = 1; attempt <= 60; attempt += 1) run.handle(notification(attempt));
      expect(run.state.notifications).toHaveLength(50);
      expect(run.state.notifications[0].attempt).toBe(11);
      expect(run.state.notifications[49]).toEqual({
        switchId: 'sw-1',
        target: { kind: 'webhook', url: 'https://ops.example/hook' },
        attempt: 60,
        delivered: false,
        error: 'HTTP 503',
        at: at(60),
      });
    });
  });

  it('refuses a command for another pair', () => {
    spec
      .given([configured()])
      .when({ type: 'SetAutoFailover', data: { pairId: 'p2', enabled: false, by: 'u' } })
      .thenThrows(PairErrorCode.IdMismatch);
  });

  it('refuses a time that is not a date-time', () => {
    const command = keepAlive('primary', 0);
    spec
      .given([configured()])
      .when({ ...command, data: { ...command.data, report: { ...command.data.report, sentAt: 'yesterday' } } })
      .thenThrows(PairErrorCode.InvalidTime);
  });
});
