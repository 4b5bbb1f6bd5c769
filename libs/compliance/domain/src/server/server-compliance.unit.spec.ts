import { evolveAll } from '@fleetwarden/shared-domain';
import { DeciderSpecification } from '@fleetwarden/testing';
import { ComplianceErrorCode } from '../compliance.errors';
import { DEFAULT_BREACH_CHARGE, type Money, type ResolvedServer } from '../compliance.types';
import { complianceOf, localDayNumber, startOfLocalDay } from '../counter/compliance-counter';
import type { PatchApprovals } from '../batch/patch-approval';
import type {
  EvaluateCompliance,
  RecordEmergencyUpdate,
  RecordPatchInstall,
  ServerComplianceCommand,
} from './server-compliance.commands';
import {
  chargedTotal,
  serverComplianceDecider,
  serverComplianceOf,
  type ServerComplianceState,
} from './server-compliance.decider';
import type { ComplianceThresholdData, PatchesInstalled, ServerComplianceEvent } from './server-compliance.events';

const spec = DeciderSpecification.for(serverComplianceDecider);
const TZ = 'Europe/Vienna';
const SERVER = 'srv-1';
const RESELLER = 'reseller-1';
const HOUR = 3_600_000;
/** Last install of the scenarios: 1 February 2026, 10:00 in Vienna. */
const T0 = '2026-02-01T09:00:00.000Z';
const INSTALL_DAY = localDayNumber(Date.parse(T0), TZ);

const iso = (epochMs: number): string => new Date(epochMs).toISOString();
/** Local midnight starting day `n` after the install day of T0. */
const midnight = (n: number): string => iso(startOfLocalDay(INSTALL_DAY + n, TZ));
/** 10:00 local on day `n` after the install day of T0. */
const dayAt = (n: number): string => iso(startOfLocalDay(INSTALL_DAY + n, TZ) + 10 * HOUR);

const operatorHosted: ResolvedServer = { serverKnown: true, reseller: RESELLER, hostingProvider: 'operator' };
const partnerHosted: ResolvedServer = { serverKnown: true, reseller: RESELLER, hostingProvider: 'partner' };
const unknown: ResolvedServer = { serverKnown: false };
const approvals: PatchApprovals = new Map([
  ['kb-1', '2025-01-01T00:00:00.000Z'],
  ['kb-2', '2025-01-01T00:00:00.000Z'],
  ['kb-late', '2026-06-01T00:00:00.000Z'],
]);

type InstallOptions = Partial<RecordPatchInstall['data']> & { resolved?: ResolvedServer };

const install = (installedAt: string, options: InstallOptions = {}): RecordPatchInstall => {
  const { resolved = operatorHosted, ...data } = options;
  return {
    type: 'RecordPatchInstall',
    data: {
      serverId: SERVER,
      installedAt,
      patches: ['kb-1', 'kb-2'],
      startedBy: 'reseller',
      kind: 'regular',
      urgentUpdateId: null,
      source: 'system',
      now: installedAt,
      timeZone: TZ,
      breachCharge: DEFAULT_BREACH_CHARGE,
      ...data,
    },
    resolved: { ...resolved, approvals },
  };
};

const installed = (installedAt: string, data: Partial<PatchesInstalled['data']> = {}): PatchesInstalled => ({
  type: 'PatchesInstalled',
  data: {
    serverId: SERVER,
    reseller: RESELLER,
    hostingProvider: 'operator',
    installedAt,
    patches: ['kb-1', 'kb-2'],
    startedBy: 'reseller',
    kind: 'regular',
    urgentUpdateId: null,
    source: 'system',
    outsideApproval: false,
    ...data,
  },
});

const evaluate = (now: string, resolved: ResolvedServer = operatorHosted): EvaluateCompliance => ({
  type: 'Evaluate',
  data: { serverId: SERVER, now, timeZone: TZ },
  resolved,
});

const threshold = (days: number | null, at: string, lastInstalledAt: string | null = T0): ComplianceThresholdData => ({
  serverId: SERVER,
  reseller: RESELLER,
  daysSinceLastUpdate: days,
  lastInstalledAt,
  at,
});
const alerted = (days: number | null, at: string, last?: string | null): ServerComplianceEvent => ({
  type: 'ComplianceAlerted',
  data: threshold(days, at, last),
});
const breached = (days: number | null, at: string, last?: string | null): ServerComplianceEvent => ({
  type: 'ComplianceBreached',
  data: threshold(days, at, last),
});
const takenOver = (days: number | null, at: string, last?: string | null): ServerComplianceEvent => ({
  type: 'OperationsPatchScheduled',
  data: threshold(days, at, last),
});
const charged = (
  days: number | null,
  installedAt: string,
  amount: Money = DEFAULT_BREACH_CHARGE,
): ServerComplianceEvent => ({
  type: 'ChargeRecorded',
  data: {
    serverId: SERVER,
    reseller: RESELLER,
    amount,
    reason:
      days === null
        ? 'operations installed the OS updates of a server without any known install'
        : `operations installed the OS updates ${days} days after the last install (breached from 120)`,
    daysSinceLastUpdate: days,
    installedAt,
    at: installedAt,
  },
});

/** A server patched at T0, alerted on day 60 and breached on day 120. */
const breachedServer = (): ServerComplianceEvent[] => [
  installed(T0),
  alerted(60, midnight(60)),
  breached(120, midnight(120)),
  takenOver(120, midnight(120)),
];

/** Handles commands one after another against the stream. */
class Run {
  state: ServerComplianceState;
  constructor(readonly events: ServerComplianceEvent[] = []) {
    this.state = evolveAll(serverComplianceDecider, events);
  }
  handle(command: ServerComplianceCommand): ServerComplianceEvent[] {
    const produced = serverComplianceDecider.decide(command, this.state);
    for (const event of produced) this.state = serverComplianceDecider.evolve(this.state, event);
    this.events.push(...produced);
    return produced;
  }
  of<T extends ServerComplianceEvent['type']>(type: T): Extract<ServerComplianceEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<ServerComplianceEvent, { type: T }> => e.type === type);
  }
  /** Evaluates every hour from `from` to `to` (ISO instants, inclusive). */
  evaluateHourly(from: string, to: string): void {
    for (let t = Date.parse(from); t <= Date.parse(to); t += HOUR) this.handle(evaluate(iso(t)));
  }
  counter(now: string) {
    return serverComplianceOf(this.state, now, TZ);
  }
}

describe('server compliance', () => {
  describe('with a simulated clock, a server last patched 59 days ago', () => {
    it('turns alerted at local midnight of day 60, exactly once, and breached at day 120, once', () => {
      const run = new Run([installed(T0)]);
      expect(run.counter(dayAt(59))).toMatchObject({ daysSinceLastUpdate: 59, dayCounter: 60, state: 'ok' });
      run.evaluateHourly(midnight(59), midnight(125));
      expect(run.of('ComplianceAlerted')).toEqual([alerted(60, midnight(60))]);
      expect(run.of('ComplianceBreached')).toEqual([breached(120, midnight(120))]);
      expect(run.of('OperationsPatchScheduled')).toEqual([takenOver(120, midnight(120))]);
      // Day 60 starts at 00:00 CEST on 2 April: the change to summer time lies in between.
      expect(midnight(60)).toBe('2026-04-01T22:00:00.000Z');
      expect(run.counter(midnight(125))).toMatchObject({ daysSinceLastUpdate: 125, state: 'breached' });
    });

    it('records one $640 charge when operations patches it on day 121, and resets it to day 1', () => {
      const run = new Run(breachedServer());
      expect(run.handle(install(dayAt(121), { startedBy: 'operations' }))).toEqual([
        installed(dayAt(121), { startedBy: 'operations' }),
        charged(121, dayAt(121)),
      ]);
      expect(run.state.charges).toHaveLength(1);
      expect(chargedTotal(run.state)).toEqual({ value: 64_000, currency: 'USD' });
      expect(run.counter(dayAt(121))).toMatchObject({ daysSinceLastUpdate: 0, dayCounter: 1, state: 'ok' });
      // A second operations install that day finds the server compliant: no second charge.
      expect(run.handle(install(iso(Date.parse(dayAt(121)) + HOUR), { startedBy: 'operations' }))).toEqual([
        installed(iso(Date.parse(dayAt(121)) + HOUR), { startedBy: 'operations' }),
      ]);
    });

    it('charges the configured amount', () => {
      const amount: Money = { value: 80_000, currency: 'USD' };
      spec
        .given(breachedServer())
        .when(install(dayAt(121), { startedBy: 'operations', breachCharge: amount }))
        .then([installed(dayAt(121), { startedBy: 'operations' }), charged(121, dayAt(121), amount)]);
    });

    it('charges an operations install on a breached server even when no evaluation noticed the breach', () => {
      spec
        .given([installed(T0)])
        .when(install(dayAt(130), { startedBy: 'operations' }))
        .then([installed(dayAt(130), { startedBy: 'operations' }), charged(130, dayAt(130))]);
    });

    it('resets the counter and records no charge for an urgent install on day 100', () => {
      const run = new Run([installed(T0), alerted(60, midnight(60))]);
      const urgent = { kind: 'urgent', urgentUpdateId: 'urgent-1', startedBy: 'operations' } as const;
      expect(run.handle(install(dayAt(100), urgent))).toEqual([installed(dayAt(100), urgent)]);
      expect(run.counter(dayAt(100))).toMatchObject({ daysSinceLastUpdate: 0, dayCounter: 1, state: 'ok' });
      expect(run.state).toMatchObject({ alerted: false, breached: false, operationsPatchScheduled: false });
      // A new alert cycle: alerted again 60 days after the urgent install, not before.
      run.evaluateHourly(midnight(100), midnight(161));
      expect(run.of('ComplianceAlerted').map((e) => e.data.at)).toEqual([midnight(60), midnight(160)]);
      expect(run.of('ChargeRecorded')).toEqual([]);
    });

    it('records no charge for an urgent install by operations on a breached server', () => {
      const urgent = { kind: 'urgent', urgentUpdateId: 'urgent-1', startedBy: 'operations' } as const;
      spec
        .given(breachedServer())
        .when(install(dayAt(130), urgent))
        .then([installed(dayAt(130), urgent)]);
    });

    it('records no charge for an emergency install by operations on a breached server', () => {
      const emergency = { kind: 'emergency', startedBy: 'operations' } as const;
      spec
        .given(breachedServer())
        .when(install(dayAt(125), emergency))
        .then([installed(dayAt(125), emergency)]);
    });

    it('resets the counter to day 1 when the reseller installs on day 30', () => {
      const run = new Run([installed(T0)]);
      expect(run.counter(dayAt(30))).toMatchObject({ dayCounter: 31 });
      expect(run.handle(install(dayAt(30)))).toEqual([installed(dayAt(30))]);
      expect(run.counter(dayAt(30))).toMatchObject({ daysSinceLastUpdate: 0, dayCounter: 1, state: 'ok' });
      expect(run.counter(dayAt(31))).toMatchObject({ daysSinceLastUpdate: 1, dayCounter: 2 });
      run.evaluateHourly(dayAt(30), midnight(90));
      expect(run.of('ComplianceAlerted')).toEqual([alerted(60, midnight(90), dayAt(30))]);
    });

    it('records no charge when the reseller or its automation installs on a breached server', () => {
      spec
        .given(breachedServer())
        .when(install(dayAt(125)))
        .then([installed(dayAt(125))]);
      spec
        .given(breachedServer())
        .when(install(dayAt(125), { startedBy: 'automated' }))
        .then([installed(dayAt(125), { startedBy: 'automated' })]);
    });

    it('records no charge when operations installs on an alerted server that is not breached', () => {
      spec
        .given([installed(T0), alerted(60, midnight(60))])
        .when(install(dayAt(119), { startedBy: 'operations' }))
        .then([installed(dayAt(119), { startedBy: 'operations' })]);
    });
  });

  describe('evaluation', () => {
    it('gives every threshold due at once after missed evaluations, in order', () => {
      spec
        .given([installed(T0)])
        .when(evaluate(dayAt(130)))
        .then([alerted(130, dayAt(130)), breached(130, dayAt(130)), takenOver(130, dayAt(130))]);
      spec
        .given([installed(T0), alerted(60, midnight(60))])
        .when(evaluate(dayAt(130)))
        .then([breached(130, dayAt(130)), takenOver(130, dayAt(130))]);
    });

    it('changes nothing before 60 days and once everything due was recorded', () => {
      spec
        .given([installed(T0)])
        .when(evaluate(dayAt(59)))
        .thenNothingHappens();
      spec
        .given(breachedServer())
        .when(evaluate(dayAt(200)))
        .thenNothingHappens();
    });

    it('treats a server without any known install as breached', () => {
      const now = dayAt(0);
      spec
        .given([])
        .when(evaluate(now))
        .then([alerted(null, now, null), breached(null, now, null), takenOver(null, now, null)]);
      spec
        .given([alerted(null, now, null), breached(null, now, null), takenOver(null, now, null)])
        .when(install(dayAt(1), { startedBy: 'operations' }))
        .then([installed(dayAt(1), { startedBy: 'operations' }), charged(null, dayAt(1))]);
    });

    it('changes nothing when the clock lags behind the last install', () => {
      spec
        .given([installed(dayAt(10))])
        .when(evaluate(dayAt(9)))
        .thenNothingHappens();
    });
  });

  describe('partner-hosted servers', () => {
    const partnerInstalled = (at: string, data: Partial<PatchesInstalled['data']> = {}) =>
      installed(at, { hostingProvider: 'partner', ...data });

    it('records installs but never alerts, breaches or charges', () => {
      const run = new Run();
      expect(run.handle(install(T0, { resolved: partnerHosted }))).toEqual([partnerInstalled(T0)]);
      for (let day = 0; day <= 200; day += 1) run.handle(evaluate(dayAt(day), partnerHosted));
      expect(run.handle(install(dayAt(200), { resolved: partnerHosted, startedBy: 'operations' }))).toEqual([
        partnerInstalled(dayAt(200), { startedBy: 'operations' }),
      ]);
      expect(run.events.map((e) => e.type)).toEqual(['PatchesInstalled', 'PatchesInstalled']);
      expect(run.counter(dayAt(300))).toBeNull();
    });
  });

  describe('approval of patches', () => {
    it('refuses to install a patch not approved for customer servers through the system', () => {
      spec
        .given([installed(T0)])
        .when(install(dayAt(10), { patches: ['kb-1', 'kb-new'] }))
        .thenThrows(ComplianceErrorCode.UnapprovedPatch);
      spec
        .given([installed(T0)])
        .when(install(dayAt(10), { patches: ['kb-late'], startedBy: 'operations' }))
        .thenThrows(ComplianceErrorCode.UnapprovedPatch);
    });

    it('flags unapproved patches an agent found installed outside the system; the install still counts', () => {
      const run = new Run([installed(T0)]);
      expect(run.handle(install(dayAt(10), { patches: ['kb-1', 'kb-new', 'kb-late'], source: 'outside' }))).toEqual([
        installed(dayAt(10), { patches: ['kb-1', 'kb-new', 'kb-late'], source: 'outside', outsideApproval: true }),
        {
          type: 'UnapprovedPatchFlagged',
          data: {
            serverId: SERVER,
            reseller: RESELLER,
            patches: ['kb-new', 'kb-late'],
            installedAt: dayAt(10),
            at: dayAt(10),
          },
        },
      ]);
      expect(run.counter(dayAt(10))).toMatchObject({ dayCounter: 1 });
      expect(run.state.unapprovedInstalls).toBe(1);
    });

    it('accepts a patch from the moment it was approved', () => {
      spec
        .given([installed(T0)])
        .when(install('2026-06-01T00:00:00.000Z', { patches: ['kb-late'] }))
        .then([installed('2026-06-01T00:00:00.000Z', { patches: ['kb-late'] })]);
    });
  });

  describe('emergency updates', () => {
    const emergency = (id = 'em-1'): RecordEmergencyUpdate => ({
      type: 'RecordEmergencyUpdate',
      data: {
        serverId: SERVER,
        emergencyUpdateId: id,
        patches: ['kb-1'],
        reason: 'sends spam to other customers',
        by: 'operator:olga',
        now: dayAt(70),
      },
      resolved: operatorHosted,
    });

    it('records the emergency update, so that the reseller is notified; once per id', () => {
      const recorded: ServerComplianceEvent = {
        type: 'EmergencyUpdateRecorded',
        data: {
          serverId: SERVER,
          reseller: RESELLER,
          emergencyUpdateId: 'em-1',
          patches: ['kb-1'],
          reason: 'sends spam to other customers',
          by: 'operator:olga',
          at: dayAt(70),
        },
      };
      spec
        .given([installed(T0)])
        .when(emergency())
        .then([recorded]);
      spec
        .given([installed(T0), recorded])
        .when(emergency())
        .thenNothingHappens();
    });

    it('refuses an unknown server', () => {
      spec
        .given([])
        .when({ ...emergency(), resolved: unknown })
        .thenThrows(ComplianceErrorCode.UnknownServer);
    });

    it('lets the emergency install carry the patches it named unapproved, and only those, only for an emergency', () => {
      const named: ServerComplianceEvent = {
        type: 'EmergencyUpdateRecorded',
        data: {
          serverId: SERVER,
          reseller: RESELLER,
          emergencyUpdateId: 'em-2',
          patches: ['kb-hotfix'],
          reason: 'harms the shared storage',
          by: 'operator:olga',
          at: dayAt(70),
        },
      };
      const emergencyInstall = { kind: 'emergency' as const, startedBy: 'operations' as const, patches: ['kb-hotfix'] };
      spec
        .given([installed(T0), named])
        .when(install(dayAt(71), emergencyInstall))
        .then([installed(dayAt(71), emergencyInstall)]);
      spec
        .given([installed(T0), named])
        .when(install(dayAt(71), { ...emergencyInstall, patches: ['kb-hotfix', 'kb-other'] }))
        .thenThrows(ComplianceErrorCode.UnapprovedPatch);
      spec
        .given([installed(T0), named])
        .when(install(dayAt(71), { startedBy: 'operations', patches: ['kb-hotfix'] }))
        .thenThrows(ComplianceErrorCode.UnapprovedPatch);
    });
  });

  describe('bad input: clear errors, nothing recorded', () => {
    it('refuses an install dated in the future', () => {
      spec
        .given([installed(T0)])
        .when(install(dayAt(10), { now: iso(Date.parse(dayAt(10)) - 1) }))
        .thenThrows(ComplianceErrorCode.FutureInstall);
    });

    it('refuses an unknown server', () => {
      spec
        .given([])
        .when(install(T0, { resolved: unknown }))
        .thenThrows(ComplianceErrorCode.UnknownServer);
      spec
        .given([installed(T0)])
        .when(evaluate(dayAt(70), unknown))
        .thenThrows(ComplianceErrorCode.UnknownServer);
    });

    it('refuses a negative, fractional or foreign charge amount', () => {
      for (const breachCharge of [
        { value: -64_000, currency: 'USD' },
        { value: 640.5, currency: 'USD' },
        { value: 64_000, currency: 'EUR' },
      ]) {
        spec
          .given(breachedServer())
          .when(install(dayAt(121), { startedBy: 'operations', breachCharge: breachCharge as Money }))
          .thenThrows(ComplianceErrorCode.InvalidAmount);
      }
    });

    it('refuses an install without patches', () => {
      spec
        .given([])
        .when(install(T0, { patches: [] }))
        .thenThrows(ComplianceErrorCode.NoPatches);
    });

    it('refuses an urgent install without its urgent update, and an urgent update on another kind', () => {
      spec
        .given([])
        .when(install(T0, { kind: 'urgent' }))
        .thenThrows(ComplianceErrorCode.InvalidInstall);
      spec
        .given([])
        .when(install(T0, { kind: 'regular', urgentUpdateId: 'urgent-1' }))
        .thenThrows(ComplianceErrorCode.InvalidInstall);
    });

    it('refuses bad times and time zones', () => {
      spec.given([]).when(install('last tuesday')).thenThrows(ComplianceErrorCode.InvalidTime);
      spec
        .given([])
        .when(install(T0, { timeZone: 'Mars/Olympus' }))
        .thenThrows(ComplianceErrorCode.InvalidTimeZone);
      spec
        .given([])
        .when({ ...evaluate(T0), data: { serverId: SERVER, now: T0, timeZone: 'Nowhere' } })
        .thenThrows(ComplianceErrorCode.InvalidTimeZone);
    });

    it('refuses a command for another server', () => {
      spec
        .given([installed(T0)])
        .when({ ...evaluate(dayAt(1)), data: { serverId: 'srv-2', now: dayAt(1), timeZone: TZ } })
        .thenThrows(ComplianceErrorCode.IdMismatch);
    });
  });

  it('ignores a redelivered or older install report', () => {
    spec
      .given([installed(dayAt(10))])
      .when(install(dayAt(10)))
      .thenNothingHappens();
    spec
      .given([installed(dayAt(10))])
      .when(install(dayAt(5), { startedBy: 'operations' }))
      .thenNothingHappens();
  });

  describe('replay', () => {
    /** Deterministic pseudo-random numbers in [0, 1). */
    const random = (seed: number) => () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };

    it('rebuilds the same counters, states and charges from the events alone', () => {
      const next = random(42);
      const servers = Array.from({ length: 25 }, (_, i) => `srv-${i}`);
      const now = midnight(400);
      const rows = (states: Map<string, ServerComplianceState>) =>
        servers.map((serverId) => {
          const state = states.get(serverId) as ServerComplianceState;
          return {
            serverId,
            counter: complianceOf(state.lastInstalledAt, now, TZ),
            alerted: state.alerted,
            breached: state.breached,
            charges: state.charges,
            total: chargedTotal(state),
          };
        });
      const live = new Map<string, ServerComplianceState>();
      const streams = new Map<string, ServerComplianceEvent[]>();
      for (const serverId of servers) {
        const events: ServerComplianceEvent[] = [];
        let state = serverComplianceDecider.initialState();
        const handle = (command: ServerComplianceCommand): void => {
          for (const event of serverComplianceDecider.decide(command, state)) {
            state = serverComplianceDecider.evolve(state, event);
            events.push(event);
          }
        };
        const startedBy = ['reseller', 'automated', 'operations'] as const;
        const kinds = ['regular', 'regular', 'regular', 'urgent', 'emergency'] as const;
        for (let day = -Math.floor(next() * 150); day < 400; day += 1) {
          const at = dayAt(day);
          handle({ type: 'Evaluate', data: { serverId, now: at, timeZone: TZ }, resolved: operatorHosted });
          const breachedNow = complianceOf(state.lastInstalledAt, at, TZ).state === 'breached';
          if (next() < 0.02 || (breachedNow && next() < 0.2)) {
            const kind = kinds[Math.floor(next() * kinds.length)];
            const data = {
              serverId,
              startedBy: breachedNow ? 'operations' : startedBy[Math.floor(next() * 3)],
              kind,
              urgentUpdateId: kind === 'urgent' ? 'urgent-1' : null,
              source: next() < 0.1 ? ('outside' as const) : ('system' as const),
              patches: next() < 0.1 ? ['kb-1', 'kb-new'] : ['kb-1'],
            };
            if (data.source === 'system') data.patches = ['kb-1'];
            handle(install(at, data));
          }
        }
        live.set(serverId, state);
        streams.set(serverId, events);
      }
      const replayed = new Map(
        [...streams].map(([serverId, events]) => [serverId, evolveAll(serverComplianceDecider, events)]),
      );
      expect(replayed).toEqual(live);
      expect(rows(replayed)).toEqual(rows(live));
      const allEvents = [...streams.values()].flat();
      expect(allEvents.filter((e) => e.type === 'ChargeRecorded').length).toBeGreaterThan(0);
      expect(allEvents.filter((e) => e.type === 'ComplianceAlerted').length).toBeGreaterThan(0);
    });
  });
});
