import { GraphQLSchemaHost } from '@nestjs/graphql';
import { isObjectType } from 'graphql';
import { CLOCK } from '@fleetwarden/platform';
import { pairStreamId } from '@fleetwarden/redundancy-contracts';
import type { Clock } from '@fleetwarden/shared-domain';
import {
  TEST_NATS_URL,
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  type TestSchema,
} from '@fleetwarden/testing';
import { GraphQLWsClient } from '../testing/graphql-ws-client';
import {
  appendServer,
  event,
  serverRegistered,
  startGatewayTestKit,
  waitFor,
  type GatewayTestKit,
  type GraphQLBody,
} from '../testing/gateway-test-kit';
import { KEY_HASH, memberReported, pairConfigured } from './testing/pair-events';

const T0 = Date.parse('2026-11-20T08:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
/** The gateway's clock during the tests. */
const NOW = '2026-11-24T12:00:00.000Z';
const A_UNREACHABLE_SINCE = '2026-10-28T00:00:00.000Z';
const C_UNREACHABLE_SINCE = '2026-10-20T00:00:00.000Z';

const SERVERS: Array<[string, string]> = [
  ['ap1', 'r1'],
  ['as1', 'r1'],
  ['bp1', 'r1'],
  ['bs1', 'r1'],
  ['cp9', 'r2'],
  ['cs9', 'r2'],
];

const SUBJECT_TARGET = { kind: 'subject', subject: 'alerts.pair-b' };
const WEBHOOK_TARGET = { kind: 'webhook', url: 'https://hooks.example.com/pair-b' };

/** Every event type, over three pairs. */
const PAIRS: Array<[string, ReturnType<typeof event>[]]> = [
  [
    'pair-a',
    [
      pairConfigured('pair-a', 'ap1', 'as1', 'r1'),
      memberReported('pair-a', 'ap1', 'primary', at(0), { clockSkewMs: 120 }),
      // Split view: the secondary claims control too.
      memberReported('pair-a', 'as1', 'secondary', at(1), {
        claimsControl: true,
        keepAliveService: 'down',
        replicationStatus: 'synchronizing',
        peerReachable: false,
        clockSkewMs: -40.5,
      }),
      event('AutoFailoverSet', { pairId: 'pair-a', enabled: false, by: 'reseller:r1-user' }),
      event('KeepAliveLost', {
        pairId: 'pair-a',
        serverId: 'ap1',
        role: 'primary',
        lastKeepAliveAt: at(10),
        at: at(30),
      }),
      event('FailoverBlocked', { pairId: 'pair-a', reason: 'automatic failover is off', at: at(30) }),
      event('SecondaryIsolationWarning', {
        pairId: 'pair-a',
        daysLeft: 7,
        unreachableSince: A_UNREACHABLE_SINCE,
        at: at(40),
      }),
      event('SecondaryIsolationWarning', {
        pairId: 'pair-a',
        daysLeft: 3,
        unreachableSince: A_UNREACHABLE_SINCE,
        at: at(50),
      }),
    ],
  ],
  [
    'pair-b',
    [
      pairConfigured('pair-b', 'bp1', 'bs1', 'r1', { notificationTargets: [SUBJECT_TARGET, WEBHOOK_TARGET] }),
      memberReported('pair-b', 'bp1', 'primary', at(0)),
      memberReported('pair-b', 'bs1', 'secondary', at(0)),
      event('KeepAliveLost', {
        pairId: 'pair-b',
        serverId: 'bp1',
        role: 'primary',
        lastKeepAliveAt: at(0),
        at: at(60),
      }),
      event('ControlSwitched', {
        pairId: 'pair-b',
        switchId: 'sw-1',
        kind: 'failover',
        from: 'primary',
        to: 'secondary',
        reason: 'primary unavailable for 15 s',
        by: 'system:redundancy',
        at: at(61),
      }),
      event('SwitchoverNotified', {
        pairId: 'pair-b',
        switchId: 'sw-1',
        target: SUBJECT_TARGET,
        attempt: 1,
        delivered: false,
        error: 'no responders',
        at: at(62),
      }),
      event('SwitchoverNotified', {
        pairId: 'pair-b',
        switchId: 'sw-1',
        target: SUBJECT_TARGET,
        attempt: 2,
        delivered: true,
        error: null,
        at: at(63),
      }),
      event('SwitchoverNotified', {
        pairId: 'pair-b',
        switchId: 'sw-1',
        target: WEBHOOK_TARGET,
        attempt: 1,
        delivered: true,
        error: null,
        at: at(64),
      }),
      event('KeepAliveRestored', { pairId: 'pair-b', serverId: 'bp1', role: 'primary', at: at(120) }),
    ],
  ],
  [
    'pair-c',
    [
      pairConfigured('pair-c', 'cp9', 'cs9', 'r2', { autoFailover: false, holdDownSec: 0, keepAliveIntervalSec: 2.5 }),
      memberReported('pair-c', 'cs9', 'secondary', at(0), { peerReachable: false }),
      ...[7, 3, 1].map((daysLeft) =>
        event('SecondaryIsolationWarning', {
          pairId: 'pair-c',
          daysLeft,
          unreachableSince: C_UNREACHABLE_SINCE,
          at: at(daysLeft),
        }),
      ),
      event('SecondaryFunctionLost', { pairId: 'pair-c', unreachableSince: C_UNREACHABLE_SINCE, at: at(20) }),
      event('KeepAliveLost', { pairId: 'pair-c', serverId: 'cp9', role: 'primary', lastKeepAliveAt: null, at: at(30) }),
      event('FailoverBlocked', { pairId: 'pair-c', reason: 'automatic failover is off', at: at(30) }),
      event('KeepAliveRestored', { pairId: 'pair-c', serverId: 'cp9', role: 'primary', at: at(40) }),
    ],
  ],
];

const MEMBER_FIELDS = `role server { id } address inControl claimsControl switchingService ipPhoneService
  keepAliveService replicationStatus peerReachable clockSkewMs available unavailableSince lastKeepAliveAt`;
const PAIR_FIELDS = `id activeSystem autoFailover lastSwitchoverAt lastSwitchoverReason lastSwitchoverKind
  lastSwitchoverBy failoverBlockedReason failoverBlockedAt secondaryUnreachableSince daysSinceSecondaryReachedPrimary
  isolationWarningDaysLeft secondaryFunctionLost keepAliveIntervalSec failoverThresholdSec holdDownSec switchAddress
  notificationTargets { kind subject url } notifications { switchId target { kind subject url } attempt delivered error at }
  notificationCount configuredBy configuredAt
  primary { ${MEMBER_FIELDS} } secondary { ${MEMBER_FIELDS} }`;

describe('redundancy read model and queries (PostgreSQL, NATS)', () => {
  let kit: GatewayTestKit;
  let schema: TestSchema;
  const namespace = createTestNamespace('gwred');
  const tokens: Record<string, string> = {};
  /** Every response body, to check that none carries the key hash. */
  const bodies: unknown[] = [];

  const gql = async (query: string, token?: string, variables?: Record<string, unknown>): Promise<GraphQLBody> => {
    const { body } = await kit.graphql(query, { token, variables });
    bodies.push(body);
    return body;
  };

  beforeAll(async () => {
    schema = await createTestSchema('gwred');
    kit = await startGatewayTestKit({
      natsUrl: TEST_NATS_URL,
      databaseUrl: schema.connectionString,
      schema: schema.schema,
      namespace,
    });
    jest.spyOn(kit.app.get<Clock>(CLOCK), 'now').mockImplementation(() => new Date(NOW));
    tokens.operator = await kit.token({ sub: 'alice', role: 'operator' });
    tokens.auditor = await kit.token({ sub: 'audrey', role: 'auditor' });
    tokens.r1 = await kit.token({ sub: 'bob', role: 'reseller', reseller: 'r1' });
    tokens.r2 = await kit.token({ sub: 'carol', role: 'reseller', reseller: 'r2' });
    for (const [id, reseller] of SERVERS) {
      await appendServer(kit.store, id, [serverRegistered(id, reseller, `${reseller}-c`)]);
    }
    for (const [pairId, events] of PAIRS) await kit.store.append(pairStreamId(pairId), events);
    await waitFor('pairs projected', async () => {
      const body = await gql(
        '{ redundancyPair(id: "pair-c") { primary { available } } server(id: "cs9") { id } }',
        tokens.operator,
      );
      const pair = body.data?.redundancyPair as { primary: { available: boolean } } | null | undefined;
      return pair?.primary.available && body.data?.server ? true : undefined;
    });
  }, 30_000);

  afterAll(async () => {
    await kit?.close();
    await deleteNamespaceStreams(namespace).catch(() => undefined);
    await schema?.drop();
  });

  it('shows a pair with every event applied: split view, keep-alive lost, failover blocked, isolation warnings', async () => {
    const body = await gql(`{ redundancyPair(id: "pair-a") { ${PAIR_FIELDS} } }`, tokens.r1);
    expect(body.errors).toBeUndefined();
    expect(body.data!.redundancyPair).toEqual({
      id: 'pair-a',
      activeSystem: 'PRIMARY',
      autoFailover: false,
      lastSwitchoverAt: null,
      lastSwitchoverReason: null,
      lastSwitchoverKind: null,
      lastSwitchoverBy: null,
      failoverBlockedReason: 'automatic failover is off',
      failoverBlockedAt: at(30),
      secondaryUnreachableSince: A_UNREACHABLE_SINCE,
      daysSinceSecondaryReachedPrimary: 27,
      isolationWarningDaysLeft: 3,
      secondaryFunctionLost: false,
      keepAliveIntervalSec: 5,
      failoverThresholdSec: 15,
      holdDownSec: 300,
      switchAddress: '10.0.0.9',
      notificationTargets: [],
      notifications: [],
      notificationCount: 0,
      configuredBy: 'reseller:r1-user',
      configuredAt: expect.any(String),
      primary: {
        role: 'PRIMARY',
        server: { id: 'ap1' },
        address: '10.0.0.1',
        inControl: true,
        claimsControl: true,
        switchingService: 'UP',
        ipPhoneService: 'UP',
        keepAliveService: 'UP',
        replicationStatus: 'MONITORING',
        peerReachable: true,
        clockSkewMs: 120,
        available: false,
        unavailableSince: at(30),
        lastKeepAliveAt: at(10),
      },
      secondary: {
        role: 'SECONDARY',
        server: { id: 'as1' },
        address: '10.0.0.2',
        inControl: false,
        claimsControl: true,
        switchingService: 'UP',
        ipPhoneService: 'UP',
        keepAliveService: 'DOWN',
        replicationStatus: 'SYNCHRONIZING',
        peerReachable: false,
        clockSkewMs: -40.5,
        available: true,
        unavailableSince: null,
        lastKeepAliveAt: at(1),
      },
    });
  });

  it('shows a failover: the new active member alone in control, the notification attempts, the member back', async () => {
    const body = await gql(`{ redundancyPair(id: "pair-b") { ${PAIR_FIELDS} } }`, tokens.operator);
    expect(body.errors).toBeUndefined();
    const pair = body.data!.redundancyPair as Record<string, unknown>;
    expect(pair).toMatchObject({
      activeSystem: 'SECONDARY',
      autoFailover: true,
      lastSwitchoverAt: at(61),
      lastSwitchoverReason: 'primary unavailable for 15 s',
      lastSwitchoverKind: 'FAILOVER',
      lastSwitchoverBy: 'system:redundancy',
      failoverBlockedReason: null,
      secondaryUnreachableSince: null,
      daysSinceSecondaryReachedPrimary: null,
      isolationWarningDaysLeft: null,
      secondaryFunctionLost: false,
      notificationTargets: [
        { kind: 'SUBJECT', subject: 'alerts.pair-b', url: null },
        { kind: 'WEBHOOK', subject: null, url: 'https://hooks.example.com/pair-b' },
      ],
      notifications: [
        {
          switchId: 'sw-1',
          target: { kind: 'SUBJECT', subject: 'alerts.pair-b', url: null },
          attempt: 1,
          delivered: false,
          error: 'no responders',
          at: at(62),
        },
        {
          switchId: 'sw-1',
          target: { kind: 'SUBJECT', subject: 'alerts.pair-b', url: null },
          attempt: 2,
          delivered: true,
          error: null,
          at: at(63),
        },
        {
          switchId: 'sw-1',
          target: { kind: 'WEBHOOK', subject: null, url: 'https://hooks.example.com/pair-b' },
          attempt: 1,
          delivered: true,
          error: null,
          at: at(64),
        },
      ],
      notificationCount: 3,
      primary: {
        inControl: false,
        claimsControl: true,
        available: true,
        unavailableSince: null,
        lastKeepAliveAt: at(120),
      },
      secondary: { inControl: true, claimsControl: false, available: true },
    });
  });

  it('shows a secondary that lost function, and clears a blocked failover once the active member is back', async () => {
    const body = await gql(`{ redundancyPair(id: "pair-c") { ${PAIR_FIELDS} } }`, tokens.r2);
    expect(body.errors).toBeUndefined();
    expect(body.data!.redundancyPair).toMatchObject({
      activeSystem: 'PRIMARY',
      autoFailover: false,
      keepAliveIntervalSec: 2.5,
      holdDownSec: 0,
      failoverBlockedReason: null,
      failoverBlockedAt: null,
      secondaryUnreachableSince: C_UNREACHABLE_SINCE,
      daysSinceSecondaryReachedPrimary: 35,
      isolationWarningDaysLeft: 1,
      secondaryFunctionLost: true,
      primary: {
        inControl: true,
        claimsControl: false,
        switchingService: null,
        replicationStatus: null,
        peerReachable: null,
        clockSkewMs: null,
        available: true,
        lastKeepAliveAt: at(40),
      },
      secondary: { inControl: false, peerReachable: false, lastKeepAliveAt: at(0) },
    });
  });

  it('never shows two members in control, whatever they claim', async () => {
    const body = await gql(
      '{ redundancyPairs { id activeSystem primary { inControl claimsControl } secondary { inControl claimsControl } } }',
      tokens.auditor,
    );
    expect(body.errors).toBeUndefined();
    const pairs = body.data!.redundancyPairs as Array<{
      activeSystem: string;
      primary: { inControl: boolean; claimsControl: boolean };
      secondary: { inControl: boolean; claimsControl: boolean };
    }>;
    expect(pairs.find((p) => p.primary.claimsControl && p.secondary.claimsControl)).toBeDefined();
    for (const p of pairs) {
      expect([p.primary.inControl, p.secondary.inControl].filter(Boolean)).toHaveLength(1);
      expect(p.activeSystem === 'PRIMARY').toBe(p.primary.inControl);
    }
  });

  it("lists a reseller's own pairs only, operators and auditors every one; another tenant's pair is null", async () => {
    const list = async (token: string) =>
      ((await gql('{ redundancyPairs { id } }', token)).data!.redundancyPairs as Array<{ id: string }>).map(
        (p) => p.id,
      );
    expect(await list(tokens.operator)).toEqual(['pair-a', 'pair-b', 'pair-c']);
    expect(await list(tokens.auditor)).toEqual(['pair-a', 'pair-b', 'pair-c']);
    expect(await list(tokens.r1)).toEqual(['pair-a', 'pair-b']);
    expect(await list(tokens.r2)).toEqual(['pair-c']);
    expect(await gql('{ redundancyPair(id: "pair-a") { id } }', tokens.r2)).toEqual({ data: { redundancyPair: null } });
    expect(await gql('{ redundancyPair(id: "nope") { id } }', tokens.operator)).toEqual({
      data: { redundancyPair: null },
    });
    const anonymous = await gql('{ redundancyPairs { id } }');
    expect(anonymous.errors![0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it("counts the days since the secondary reached its primary by the gateway's clock", async () => {
    const clock = kit.app.get<Clock>(CLOCK);
    jest.spyOn(clock, 'now').mockImplementation(() => new Date(Date.parse(A_UNREACHABLE_SINCE) + 86_400_000 - 1));
    try {
      const body = await gql('{ redundancyPair(id: "pair-a") { daysSinceSecondaryReachedPrimary } }', tokens.r1);
      expect(body.data).toEqual({ redundancyPair: { daysSinceSecondaryReachedPrimary: 0 } });
    } finally {
      jest.spyOn(clock, 'now').mockImplementation(() => new Date(NOW));
    }
  });

  it('pushes a pair on each of its events after the projection committed it, to its own tenant only', async () => {
    const wsUrl = `${kit.baseUrl.replace('http', 'ws')}/graphql`;
    const r1 = await GraphQLWsClient.connect(wsUrl, { authorization: `Bearer ${tokens.r1}` });
    const r2 = await GraphQLWsClient.connect(wsUrl, { authorization: `Bearer ${tokens.r2}` });
    const operator = await GraphQLWsClient.connect(wsUrl, { authorization: `Bearer ${tokens.operator}` });
    const anonymous = await GraphQLWsClient.connect(wsUrl, {});
    const query = `subscription($id: ID) { redundancyChanged(pairId: $id) {
        id activeSystem lastSwitchoverKind lastSwitchoverReason daysSinceSecondaryReachedPrimary
        primary { server { id } inControl claimsControl } secondary { server { id } inControl claimsControl } } }`;
    try {
      for (const c of [r1, r2, operator, anonymous]) await c.next((m) => m.type === 'connection_ack');
      r1.subscribe('b', query, { id: 'pair-b' });
      r2.subscribe('all', query, {});
      r2.subscribe('b', query, { id: 'pair-b' });
      operator.subscribe('all', query, {});
      anonymous.subscribe('all', query, {});
      const refused = await anonymous.next((m) => m.id === 'all');
      expect(refused.type).toBe('error');
      expect(JSON.stringify(refused.payload)).toContain('UNAUTHENTICATED');

      await waitFor('subscriptions registered', async () => {
        await kit.store.append(pairStreamId('pair-b'), [memberReported('pair-b', 'bs1', 'secondary', at(200))]);
        return r1
          .next((m) => m.id === 'b', 1500)
          .then((m) => m)
          .catch(() => undefined);
      });
      await kit.store.append(pairStreamId('pair-b'), [
        event('ControlSwitched', {
          pairId: 'pair-b',
          switchId: 'sw-2',
          kind: 'switchover',
          from: 'secondary',
          to: 'primary',
          reason: 'back to the primary',
          by: 'operator:alice',
          at: at(300),
        }),
      ]);
      const switched = {
        data: {
          redundancyChanged: {
            id: 'pair-b',
            activeSystem: 'PRIMARY',
            lastSwitchoverKind: 'SWITCHOVER',
            lastSwitchoverReason: 'back to the primary',
            daysSinceSecondaryReachedPrimary: null,
            primary: { server: { id: 'bp1' }, inControl: true, claimsControl: true },
            secondary: { server: { id: 'bs1' }, inControl: false, claimsControl: false },
          },
        },
      };
      const isSwitch = (id: string) => (m: { id?: string; payload?: unknown }) =>
        m.id === id && JSON.stringify(m.payload).includes('SWITCHOVER');
      expect((await r1.next(isSwitch('b'))).payload).toEqual(switched);
      expect((await operator.next(isSwitch('all'))).payload).toEqual(switched);

      await kit.store.append(pairStreamId('pair-c'), [
        event('AutoFailoverSet', { pairId: 'pair-c', enabled: true, by: 'reseller:r2-user' }),
      ]);
      // pair-b changed before r2's own pair: had it been delivered to r2, it would arrive first.
      const own = await r2.next((m) => m.id === 'all' || m.id === 'b');
      expect(own).toMatchObject({
        id: 'all',
        payload: { data: { redundancyChanged: { id: 'pair-c', daysSinceSecondaryReachedPrimary: 35 } } },
      });
      bodies.push(own.payload);
      expect(r2.pending().filter((m) => m.id === 'b')).toEqual([]);
    } finally {
      r1.close();
      r2.close();
      operator.close();
      anonymous.close();
    }
  });

  // Last: every response above is checked.
  it('never stores nor shows the redundancy key hash', async () => {
    expect(bodies.length).toBeGreaterThan(5);
    for (const body of bodies) {
      expect(JSON.stringify(body)).not.toContain(KEY_HASH);
      expect(JSON.stringify(body)).not.toContain('scrypt$');
    }
    const stored = await kit.store.transaction((tx) =>
      tx.query<{ text: string }>(
        `SELECT (SELECT coalesce(jsonb_agg(to_jsonb(p)), '[]') FROM "${schema.schema}".rm_pairs p)::text ||
                (SELECT coalesce(jsonb_agg(to_jsonb(m)), '[]') FROM "${schema.schema}".rm_pair_members m)::text ||
                (SELECT coalesce(jsonb_agg(to_jsonb(c)), '[]') FROM "${schema.schema}".rm_pair_changes c)::text AS text`,
      ),
    );
    expect(stored.rows[0].text).toContain('pair-a');
    expect(stored.rows[0].text).not.toContain('scrypt$');
    const { schema: graphqlSchema } = kit.app.get(GraphQLSchemaHost);
    for (const name of ['RedundancyPair', 'Member']) {
      const type = graphqlSchema.getType(name);
      if (!isObjectType(type)) throw new Error(`${name} is not an object type`);
      expect(Object.keys(type.getFields()).filter((f) => /key|hash/i.test(f))).toEqual([]);
    }
  });
});
