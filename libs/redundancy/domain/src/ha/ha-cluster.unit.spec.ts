import { evolveAll, isDomainError } from '@fleetwarden/shared-domain';
import { DeciderSpecification } from '@fleetwarden/testing';
import type { ConfigureHaCluster, RecordHaHealthCheck } from './ha-cluster.commands';
import { haClusterDecider } from './ha-cluster.decider';
import { HaClusterErrorCode } from './ha-cluster.errors';
import type { HaClusterConfigured, HaClusterEvent, HaHealthChecked } from './ha-cluster.events';
import type { HaAnsweredProbe, HaComponent, HaProbe } from './ha-cluster.types';
import { NO_CONNECTION_RECOMMENDATION } from './ha-health.assessment';

const spec = DeciderSpecification.for(haClusterDecider);
const T0 = '2026-03-01T12:00:00.000Z';
const at = (ms: number): string => new Date(Date.parse(T0) + ms).toISOString();

const S1: HaComponent = { serverId: 'srv-1', role: 'server', address: '10.0.0.1' };
const S2: HaComponent = { serverId: 'srv-2', role: 'server', address: '10.0.0.2:4222' };
const LB: HaComponent = { serverId: 'srv-lb', role: 'load-balancer', address: 'lb.example.net' };
const COMPONENTS = [S1, S2, LB];

const configure = (
  components: HaComponent[] = COMPONENTS,
  resolved: Partial<ConfigureHaCluster['resolved']> = {},
  tenant: string | null = 'r1',
): ConfigureHaCluster => ({
  type: 'ConfigureHaCluster',
  data: { clusterId: 'c1', components, tenant, configuredBy: 'reseller:bob' },
  resolved: { unknownServerIds: [], pairExists: false, ...resolved },
});

const configured = (components: HaComponent[] = COMPONENTS, tenant: string | null = 'r1'): HaClusterConfigured => ({
  type: 'HaClusterConfigured',
  data: { clusterId: 'c1', components, tenant, configuredBy: 'reseller:bob' },
});

/** An agent that answered 10 ms after the request with its clock `skewMs` ahead, reaching every peer in `rtt` ms. */
const answered = (
  component: HaComponent,
  peers: HaComponent[],
  options: { skewMs?: number; rtt?: number; unreachable?: string[]; receivedAt?: boolean } = {},
): HaAnsweredProbe => {
  const skew = options.skewMs ?? 0;
  return {
    serverId: component.serverId,
    answered: true,
    requestSentAt: at(0),
    replyReceivedAt: at(10),
    agentReceivedAt: options.receivedAt === false ? null : at(5 + skew),
    agentSentAt: at(5 + skew),
    results: peers
      .filter((p) => p.serverId !== component.serverId)
      .map((p) =>
        options.unreachable?.includes(p.serverId)
          ? { peerId: p.serverId, reachable: false, roundTripMs: null, error: 'connect ECONNREFUSED' }
          : { peerId: p.serverId, reachable: true, roundTripMs: options.rtt ?? 12.4, error: null },
      ),
  };
};

const record = (probes: HaProbe[], overrides: Partial<RecordHaHealthCheck['data']> = {}): RecordHaHealthCheck => ({
  type: 'RecordHaHealthCheck',
  data: {
    clusterId: 'c1',
    checkId: 'chk-1',
    now: at(20),
    by: 'reseller:bob',
    source: 'cluster',
    components: COMPONENTS,
    probes,
    ...overrides,
  },
});

const allAnswer = (): HaProbe[] => COMPONENTS.map((c) => answered(c, COMPONENTS));

const checked = (decided: HaClusterEvent[]): HaHealthChecked['data'] => {
  expect(decided).toHaveLength(1);
  expect(decided[0].type).toBe('HaHealthChecked');
  return (decided[0] as HaHealthChecked).data;
};

const decide = (past: HaClusterEvent[], command: RecordHaHealthCheck) =>
  haClusterDecider.decide(command, evolveAll(haClusterDecider, past));

const refusedWith = (code: string, text: string) => (error: unknown) =>
  isDomainError(error, code) && error.message.includes(text);

describe('HA cluster', () => {
  describe('when not configured', () => {
    it('configures the cluster with its components', () => {
      spec.given([]).when(configure()).then([configured()]);
    });

    it('refuses fewer than two or more than twenty components', () => {
      spec
        .given([])
        .when(configure([S1]))
        .thenThrows(refusedWith(HaClusterErrorCode.InvalidComponents, '2 to 20 components, got 1'));
      const many = Array.from({ length: 21 }, (_, i) => ({ ...S1, serverId: `srv-${i}` }));
      spec.given([]).when(configure(many)).thenThrows(HaClusterErrorCode.InvalidComponents);
    });

    it('refuses a server listed twice, naming it', () => {
      spec
        .given([])
        .when(configure([S1, S2, { ...S1, role: 'load-balancer' }]))
        .thenThrows(refusedWith(HaClusterErrorCode.SameServerTwice, 'srv-1'));
    });

    it('refuses unknown servers, naming them', () => {
      spec
        .given([])
        .when(configure(COMPONENTS, { unknownServerIds: ['srv-lb', 'srv-2', 'srv-lb'] }))
        .thenThrows(refusedWith(HaClusterErrorCode.UnknownServers, 'Unknown servers: srv-lb, srv-2'));
    });

    it('refuses the id of a redundancy pair', () => {
      spec
        .given([])
        .when(configure(COMPONENTS, { pairExists: true }))
        .thenThrows(refusedWith(HaClusterErrorCode.IdTaken, 'redundancy pair'));
    });

    it('refuses a check of a cluster that does not exist', () => {
      spec.given([]).when(record(allAnswer())).thenThrows(HaClusterErrorCode.NotFound);
    });

    it("records a pair's check without a configuration", () => {
      const pair = [S1, S2];
      const data = checked(
        decide([], record([answered(S1, pair), answered(S2, pair)], { source: 'pair', components: pair })),
      );
      expect(data).toMatchObject({ source: 'pair', components: [{ serverId: 'srv-1' }, { serverId: 'srv-2' }] });
      expect(data.messaging.map((m) => m.result)).toEqual(['OK', 'OK']);
    });
  });

  describe('when configured', () => {
    it('reconfigures it when the components change', () => {
      spec
        .given([configured()])
        .when(configure([S1, S2]))
        .then([configured([S1, S2])]);
    });

    it('records nothing when nothing changes', () => {
      spec.given([configured()]).when(configure()).thenNothingHappens();
    });

    it('refuses a command for another cluster', () => {
      spec
        .given([configured()])
        .when({ ...configure(), data: { ...configure().data, clusterId: 'c2' } })
        .thenThrows(HaClusterErrorCode.IdMismatch);
    });

    it('reports every ordered pair OK with its transfer time and every clock OK when all is well', () => {
      const data = checked(decide([configured()], record(allAnswer())));
      expect(data).toMatchObject({
        clusterId: 'c1',
        checkId: 'chk-1',
        at: at(20),
        source: 'cluster',
        by: 'reseller:bob',
      });
      expect(data.messaging.map((m) => [m.from.serverId, m.to.serverId, m.result, m.transferTimeMs])).toEqual([
        ['srv-1', 'srv-2', 'OK', 12],
        ['srv-1', 'srv-lb', 'OK', 12],
        ['srv-2', 'srv-1', 'OK', 12],
        ['srv-2', 'srv-lb', 'OK', 12],
        ['srv-lb', 'srv-1', 'OK', 12],
        ['srv-lb', 'srv-2', 'OK', 12],
      ]);
      expect(data.messaging[1]).toEqual({
        from: { serverId: 'srv-1', role: 'server' },
        to: { serverId: 'srv-lb', role: 'load-balancer' },
        result: 'OK',
        transferTimeMs: 12,
        recommendation: null,
        detail: null,
      });
      expect(data.clocks).toEqual(
        COMPONENTS.map((c) => ({
          server: { serverId: c.serverId, role: c.role },
          skewMs: 0,
          result: 'CLOCK_OK',
          recommendation: null,
          detail: null,
        })),
      );
    });

    it('reports every row with a component that did not answer as COMPONENT_DOWN, its clock unknown', () => {
      const probes: HaProbe[] = [
        answered(S1, COMPONENTS, { unreachable: ['srv-lb'] }),
        answered(S2, COMPONENTS, { unreachable: ['srv-lb'] }),
        { serverId: 'srv-lb', answered: false, reason: 'no reply within 3000 ms' },
      ];
      const data = checked(decide([configured()], record(probes)));
      expect(data.messaging.map((m) => [m.from.serverId, m.to.serverId, m.result])).toEqual([
        ['srv-1', 'srv-2', 'OK'],
        ['srv-1', 'srv-lb', 'COMPONENT_DOWN'],
        ['srv-2', 'srv-1', 'OK'],
        ['srv-2', 'srv-lb', 'COMPONENT_DOWN'],
        ['srv-lb', 'srv-1', 'COMPONENT_DOWN'],
        ['srv-lb', 'srv-2', 'COMPONENT_DOWN'],
      ]);
      expect(data.messaging[1]).toMatchObject({
        transferTimeMs: null,
        recommendation: 'Check that srv-lb runs and its agent is connected: it did not answer the health check.',
        detail: 'srv-lb: no reply within 3000 ms',
      });
      expect(data.clocks[2]).toEqual({
        server: { serverId: 'srv-lb', role: 'load-balancer' },
        skewMs: null,
        result: 'CLOCK_UNKNOWN',
        recommendation: 'Check that srv-lb runs and its agent is connected: its clock could not be read.',
        detail: 'no reply within 3000 ms',
      });
    });

    it('names both components when neither answered', () => {
      const probes: HaProbe[] = [
        { serverId: 'srv-1', answered: false, reason: 'no agent listening' },
        { serverId: 'srv-2', answered: false, reason: 'no reply within 3000 ms' },
        answered(LB, COMPONENTS),
      ];
      const data = checked(decide([configured()], record(probes)));
      expect(data.messaging[0]).toMatchObject({
        result: 'COMPONENT_DOWN',
        recommendation:
          'Check that srv-1 and srv-2 run and their agents are connected: neither answered the health check.',
        detail: 'srv-1: no agent listening; srv-2: no reply within 3000 ms',
      });
    });

    it('reports NO_CONNECTION with the firewall and time recommendation when a peer is unreachable', () => {
      const probes = [
        answered(S1, COMPONENTS, { unreachable: ['srv-lb'] }),
        answered(S2, COMPONENTS),
        answered(LB, COMPONENTS),
      ];
      const data = checked(decide([configured()], record(probes)));
      expect(data.messaging[1]).toEqual({
        from: { serverId: 'srv-1', role: 'server' },
        to: { serverId: 'srv-lb', role: 'load-balancer' },
        result: 'NO_CONNECTION',
        transferTimeMs: null,
        recommendation: NO_CONNECTION_RECOMMENDATION,
        detail: 'connect ECONNREFUSED',
      });
      expect(data.messaging.filter((m) => m.result !== 'OK')).toHaveLength(1);
    });

    it('reports NO_CONNECTION when an agent reported nothing about a peer', () => {
      const silentAboutLb = { ...answered(S1, COMPONENTS), results: answered(S1, [S2]).results };
      const data = checked(
        decide([configured()], record([silentAboutLb, answered(S2, COMPONENTS), answered(LB, COMPONENTS)])),
      );
      expect(data.messaging[1]).toMatchObject({
        result: 'NO_CONNECTION',
        detail: 'srv-1 reported no result for srv-lb',
      });
    });

    it('reports SLOW above one second, with a latency recommendation', () => {
      const probes = [answered(S1, COMPONENTS, { rtt: 1500 }), answered(S2, COMPONENTS), answered(LB, COMPONENTS)];
      const data = checked(decide([configured()], record(probes)));
      expect(data.messaging[0]).toMatchObject({
        result: 'SLOW',
        transferTimeMs: 1500,
        recommendation: expect.stringContaining('takes 1500 ms (above 1000 ms): check the network'),
      });
    });

    it('reports CLOCK_SKEW at a minute or more, telling to set the time and restart the HA services', () => {
      const probes = [
        answered(S1, COMPONENTS, { skewMs: 90_000 }),
        answered(S2, COMPONENTS, { skewMs: -59_999 }),
        answered(LB, COMPONENTS, { skewMs: -60_000 }),
      ];
      const data = checked(decide([configured()], record(probes)));
      expect(data.clocks.map((c) => [c.server.serverId, c.skewMs, c.result])).toEqual([
        ['srv-1', 90_000, 'CLOCK_SKEW'],
        ['srv-2', -59_999, 'CLOCK_OK'],
        ['srv-lb', -60_000, 'CLOCK_SKEW'],
      ]);
      expect(data.clocks[0]).toMatchObject({
        recommendation:
          'Set the time on srv-1 (it differs by 90 s); restart its HA services after a manual time change.',
        detail: "90 s ahead of the control plane's clock",
      });
      expect(data.clocks[2].detail).toBe("60 s behind the control plane's clock");
    });

    it('records a repeated check once', () => {
      const first = checked(decide([configured()], record(allAnswer())));
      const past: HaClusterEvent[] = [configured(), { type: 'HaHealthChecked', data: first }];
      spec.given(past).when(record(allAnswer())).thenNothingHappens();
      expect(evolveAll(haClusterDecider, past)).toMatchObject({
        checks: 1,
        lastCheck: { checkId: 'chk-1', at: at(20) },
      });
    });

    it('refuses a check that did not probe every component once', () => {
      spec
        .given([configured()])
        .when(record(allAnswer().slice(0, 2)))
        .thenThrows(HaClusterErrorCode.ProbesMismatch);
    });

    it("refuses to check it as a pair: the cluster's components are checked", () => {
      spec
        .given([configured()])
        .when(record(allAnswer(), { source: 'pair' }))
        .thenThrows(HaClusterErrorCode.IdTaken);
    });

    it('refuses a time that is no date-time', () => {
      spec
        .given([configured()])
        .when(record(allAnswer(), { now: 'yesterday' }))
        .thenThrows(HaClusterErrorCode.InvalidTime);
    });
  });
});
