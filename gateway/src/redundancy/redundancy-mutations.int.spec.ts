import { connect } from '@nats-io/transport-node';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { pairStreamId } from '@fleetwarden/redundancy-contracts';
import {
  TEST_NATS_URL,
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  type TestSchema,
} from '@fleetwarden/testing';
import {
  appendServer,
  event,
  serverRegistered,
  startGatewayTestKit,
  waitFor,
  type GatewayTestKit,
  type GraphQLBody,
  answerCommands,
  type CommandReplyBody,
  type ReceivedCommand,
} from '../testing/gateway-test-kit';
import { KEY_HASH, pairConfigured } from './testing/pair-events';

type Received = ReceivedCommand;

type Reply = CommandReplyBody;
type Behaviour = (r: Received) => Promise<Reply | undefined>;

const COMMAND_TIMEOUT_MS = 400;
const RESELLER_OF: Record<string, string> = { 'p-1': 'r1', 's-1': 'r1', 'p-9': 'r2', 's-9': 'r2' };
const KEY = 'correct horse battery staple';

const CONFIGURE = `mutation { configurePair(input: {
    id: "pair-1", primaryServerId: "p-1", secondaryServerId: "s-1", primaryAddress: "10.1.0.1",
    secondaryAddress: "10.1.0.2", switchAddress: "10.1.0.9", redundancyKey: "${KEY}", failoverThresholdSec: 20,
    notificationTargets: [{ kind: SUBJECT, subject: "ops.pair-1" }, { kind: WEBHOOK, url: "https://hooks.example.com/p1" }]
  }) {
  id activeSystem autoFailover keepAliveIntervalSec failoverThresholdSec holdDownSec switchAddress configuredBy
  notificationTargets { kind subject url }
  primary { server { id } address inControl } secondary { server { id } address inControl } } }`;

describe('redundancy mutations (fake redundancy service on NATS)', () => {
  let kit: GatewayTestKit;
  let schema: TestSchema;
  const namespace = createTestNamespace('gwredm');
  let nc: NatsConnection;
  let sub: Subscription | undefined;
  const received: Received[] = [];
  let behaviour: Behaviour = async () => ({ ok: false, error: { code: 'INTERNAL', message: 'no behaviour' } });
  const tokens: Record<string, string> = {};
  const bodies: GraphQLBody[] = [];

  const mutate = async (query: string, token: string, headers?: Record<string, string>): Promise<GraphQLBody> => {
    const { body } = await kit.graphql(query, { token, headers });
    bodies.push(body);
    return body;
  };

  /** Answers `<ns>.cmd.redundancy.*` as the command protocol says: `{ data, meta }` in, `{ ok, data | error }` out. */
  function startFakeService(): void {
    sub = answerCommands(nc, `${kit.config.namespace}.cmd.redundancy.*`, received, (r) => behaviour(r));
  }

  /** Accepts the three commands and appends what the redundancy service would. */
  const pairService: Behaviour = async (r) => {
    const pairId = r.data.pairId as string;
    const d = r.data as Record<string, never>;
    if (r.command === 'ConfigurePair') {
      const { redundancyKey: _key, ...config } = d;
      await kit.store.append(pairStreamId(pairId), [
        pairConfigured(pairId, d.primaryServerId, d.secondaryServerId, r.meta.reseller as string | null, {
          ...config,
          redundancyKeyHash: KEY_HASH,
          configuredBy: r.meta.actor,
        }),
      ]);
      return { ok: true, data: { pairId } };
    }
    if (r.command === 'SetAutoFailover') {
      await kit.store.append(pairStreamId(pairId), [
        event('AutoFailoverSet', { pairId, enabled: d.enabled, by: r.meta.actor }),
      ]);
      return { ok: true, data: { pairId, enabled: d.enabled } };
    }
    if (r.command === 'ManualSwitchover') {
      const switchedAt = new Date().toISOString();
      await kit.store.append(pairStreamId(pairId), [
        event('ControlSwitched', {
          pairId,
          switchId: `sw-${received.length}`,
          kind: 'switchover',
          from: 'primary',
          to: 'secondary',
          reason: d.reason,
          by: r.meta.actor,
          at: switchedAt,
        }),
      ]);
      return { ok: true, data: { pairId, activeSystem: 'secondary', switchedAt } };
    }
    return { ok: false, error: { code: 'INTERNAL', message: `unexpected ${r.command}` } };
  };

  beforeAll(async () => {
    schema = await createTestSchema('gwredm');
    kit = await startGatewayTestKit(
      { natsUrl: TEST_NATS_URL, databaseUrl: schema.connectionString, schema: schema.schema, namespace },
      { commandTimeoutMs: COMMAND_TIMEOUT_MS, readModelWaitMs: 5000 },
    );
    nc = await connect({ servers: TEST_NATS_URL, name: 'fake-redundancy' });
    tokens.operator = await kit.token({ sub: 'alice', role: 'operator' });
    tokens.auditor = await kit.token({ sub: 'audrey', role: 'auditor' });
    tokens.r1 = await kit.token({ sub: 'bob', role: 'reseller', reseller: 'r1' });
    tokens.r2 = await kit.token({ sub: 'carol', role: 'reseller', reseller: 'r2' });
    for (const [id, reseller] of Object.entries(RESELLER_OF)) {
      await appendServer(kit.store, id, [serverRegistered(id, reseller, `${reseller}-c`)]);
    }
    await waitFor('servers projected', async () => {
      const body = await mutate('{ servers { edges { node { id } } } }', tokens.operator);
      return (body.data?.servers as { edges: unknown[] } | undefined)?.edges.length === 4 ? true : undefined;
    });
  }, 30_000);

  afterAll(async () => {
    await sub?.drain();
    await nc?.close();
    await kit?.close();
    await deleteNamespaceStreams(namespace).catch(() => undefined);
    await schema?.drop();
  });

  beforeEach(() => {
    received.length = 0;
  });

  it('says when no redundancy service is running', async () => {
    const body = await mutate('mutation { setAutoFailover(id: "pair-x", enabled: false) { id } }', tokens.operator);
    expect(body.errors![0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(body.errors![0].message).toMatch(/No redundancy service is running/);
    startFakeService();
    await nc.flush();
  });

  it('configures a pair for a reseller with the caller in the metadata, returning it from the read model', async () => {
    behaviour = pairService;
    const body = await mutate(
      CONFIGURE.replace('configurePair(', 'configurePair(idempotencyKey: "cfg-1", '),
      tokens.r1,
      {
        'x-correlation-id': 'corr-9',
      },
    );
    expect(body).toEqual({
      data: {
        configurePair: {
          id: 'pair-1',
          activeSystem: 'PRIMARY',
          autoFailover: true,
          keepAliveIntervalSec: 5,
          failoverThresholdSec: 20,
          holdDownSec: 300,
          switchAddress: '10.1.0.9',
          configuredBy: 'reseller:bob',
          notificationTargets: [
            { kind: 'SUBJECT', subject: 'ops.pair-1', url: null },
            { kind: 'WEBHOOK', subject: null, url: 'https://hooks.example.com/p1' },
          ],
          primary: { server: { id: 'p-1' }, address: '10.1.0.1', inControl: true },
          secondary: { server: { id: 's-1' }, address: '10.1.0.2', inControl: false },
        },
      },
    });
    expect(received).toEqual([
      {
        command: 'ConfigurePair',
        data: {
          pairId: 'pair-1',
          primaryServerId: 'p-1',
          secondaryServerId: 's-1',
          primaryAddress: '10.1.0.1',
          secondaryAddress: '10.1.0.2',
          switchAddress: '10.1.0.9',
          redundancyKey: KEY,
          autoFailover: true,
          keepAliveIntervalSec: 5,
          failoverThresholdSec: 20,
          holdDownSec: 300,
          notificationTargets: [
            { kind: 'subject', subject: 'ops.pair-1' },
            { kind: 'webhook', url: 'https://hooks.example.com/p1' },
          ],
        },
        meta: {
          actor: 'reseller:bob',
          role: 'reseller',
          reseller: 'r1',
          correlationId: 'corr-9',
          idempotencyKey: 'cfg-1',
        },
      },
    ]);
  });

  it('turns auto-failover off and switches over, returning the pair once the read model has it', async () => {
    behaviour = pairService;
    const off = await mutate(
      'mutation { setAutoFailover(id: "pair-1", enabled: false) { id autoFailover } }',
      tokens.r1,
    );
    expect(off).toEqual({ data: { setAutoFailover: { id: 'pair-1', autoFailover: false } } });
    expect(received[0]).toMatchObject({ command: 'SetAutoFailover', data: { pairId: 'pair-1', enabled: false } });

    const switched = await mutate(
      `mutation { manualSwitchover(id: "pair-1", reason: "update the primary") {
         activeSystem lastSwitchoverKind lastSwitchoverReason lastSwitchoverBy lastSwitchoverAt
         primary { inControl } secondary { inControl } } }`,
      tokens.operator,
    );
    expect(switched).toEqual({
      data: {
        manualSwitchover: {
          activeSystem: 'SECONDARY',
          lastSwitchoverKind: 'SWITCHOVER',
          lastSwitchoverReason: 'update the primary',
          lastSwitchoverBy: 'operator:alice',
          lastSwitchoverAt: expect.any(String),
          primary: { inControl: false },
          secondary: { inControl: true },
        },
      },
    });
    expect(received[1]).toMatchObject({
      command: 'ManualSwitchover',
      data: { pairId: 'pair-1', reason: 'update the primary' },
      meta: { actor: 'operator:alice', role: 'operator', reseller: null },
    });
    await mutate('mutation { manualSwitchover(id: "pair-1") { id } }', tokens.r1);
    expect(received[2].data).toEqual({ pairId: 'pair-1', reason: 'manual switchover' });
  });

  it("refuses every mutation to auditors, and another tenant's pair to a reseller, sending nothing", async () => {
    for (const q of [
      'mutation { manualSwitchover(id: "pair-1") { id } }',
      'mutation { setAutoFailover(id: "pair-1", enabled: true) { id } }',
    ]) {
      const other = await mutate(q, tokens.r2);
      expect(other.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', argument: 'id' });
      const auditor = await mutate(q, tokens.auditor);
      expect(auditor.errors![0].extensions).toEqual({ code: 'FORBIDDEN' });
    }
    const configure = await mutate(CONFIGURE, tokens.auditor);
    expect(configure.errors![0].extensions).toEqual({ code: 'FORBIDDEN' });
    expect(received).toEqual([]);
  });

  it.each([
    ['redundancyKey: "' + KEY + '"', 'redundancyKey: "short"', 'input.redundancyKey'],
    ['id: "pair-1"', 'id: "pair 1"', 'input.id'],
    ['failoverThresholdSec: 20', 'failoverThresholdSec: -1', 'input.failoverThresholdSec'],
    ['subject: "ops.pair-1"', 'subject: "ops.>"', 'input.notificationTargets.0.subject'],
    ['subject: "ops.pair-1"', 'subject: "ops.pair-1", url: "https://x.example.com"', 'input.notificationTargets.0.url'],
    ['url: "https://hooks.example.com/p1"', 'url: "ftp://hooks.example.com"', 'input.notificationTargets.1.url'],
  ])('validates configurePair before sending: %s -> %s names %s', async (from, to, argument) => {
    const body = await mutate(CONFIGURE.replace(from, to), tokens.operator);
    expect(body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
    expect(body.errors![0].message).not.toContain('short');
    expect(received).toEqual([]);
  });

  it.each([
    [
      'PAIR.SAME_SERVER_TWICE',
      'Server p-1 cannot be both primary and secondary',
      { code: 'BAD_USER_INPUT', argument: 'input.secondaryServerId' },
    ],
    [
      'PAIR.UNKNOWN_SERVERS',
      'Unknown servers: p-1, s-1',
      { code: 'BAD_USER_INPUT', argument: 'input.primaryServerId' },
    ],
    ['PAIR.UNKNOWN_SERVERS', 'Unknown servers: s-1', { code: 'BAD_USER_INPUT', argument: 'input.secondaryServerId' }],
    [
      'PAIR.INVALID_THRESHOLD',
      'Invalid keep-alive timing: 20 <= 30',
      { code: 'BAD_USER_INPUT', argument: 'input.failoverThresholdSec' },
    ],
    ['PAIR.SERVER_IN_OTHER_PAIR', 'Already members of another pair: s-1', { code: 'CONFLICT' }],
    ['PAIR.MEMBERS_CHANGED', 'The members of pair pair-1 cannot be changed', { code: 'CONFLICT' }],
    ['PAIR.SERVERS_FORBIDDEN', 'not your servers', { code: 'FORBIDDEN' }],
    ['INTERNAL', 'boom', { code: 'INTERNAL_SERVER_ERROR' }],
  ])('maps a %s reply of configurePair (%s) to a GraphQL error', async (code, message, extensions) => {
    behaviour = async () => ({ ok: false, error: { code, message, details: {} } });
    const body = await mutate(CONFIGURE, tokens.operator);
    expect(body.data).toEqual({ configurePair: null });
    expect(body.errors![0].extensions).toMatchObject({
      ...extensions,
      ...(code === 'INTERNAL' ? {} : { reason: code }),
      correlationId: expect.any(String),
    });
    if (code !== 'INTERNAL') expect(body.errors![0].message).toContain(message);
    expect(received).toHaveLength(1);
  });

  it('maps a refused switchover to CONFLICT with the reason, an unknown pair to NOT_FOUND, and a late reply', async () => {
    behaviour = async () => ({
      ok: false,
      error: {
        code: 'PAIR.SWITCHOVER_REFUSED',
        message: 'Switchover of pair pair-1 refused: the standby is still synchronizing',
        details: { pairId: 'pair-1', reason: 'the standby is still synchronizing' },
      },
    });
    const refused = await mutate('mutation { manualSwitchover(id: "pair-1") { id } }', tokens.r1);
    expect(refused.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PAIR.SWITCHOVER_REFUSED' });
    expect(refused.errors![0].message).toBe('Switchover of pair pair-1 refused: the standby is still synchronizing');

    behaviour = async () => ({ ok: false, error: { code: 'PAIR.NOT_FOUND', message: 'Pair pair-x not found' } });
    const missing = await mutate('mutation { setAutoFailover(id: "pair-x", enabled: true) { id } }', tokens.operator);
    expect(missing.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'PAIR.NOT_FOUND' });

    behaviour = async () => undefined;
    const late = await mutate(
      'mutation { manualSwitchover(id: "pair-1", idempotencyKey: "sw-late") { id } }',
      tokens.operator,
    );
    expect(late.errors![0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', idempotencyKey: 'sw-late' });
    expect(late.errors![0].message).toContain(`did not answer ManualSwitchover within ${COMMAND_TIMEOUT_MS} ms`);
  });

  it('keeps the redundancy key and its hash out of every response and the read model', async () => {
    const state = await mutate(`{ redundancyPairs { id primary { claimsControl } } }`, tokens.operator);
    expect(state.data).toEqual({ redundancyPairs: [{ id: 'pair-1', primary: { claimsControl: false } }] });
    for (const body of bodies) {
      const text = JSON.stringify(body);
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(KEY_HASH);
    }
    const stored = await kit.store.transaction((tx) =>
      tx.query<{ text: string }>(
        `SELECT (SELECT jsonb_agg(to_jsonb(p)) FROM "${schema.schema}".rm_pairs p)::text ||
                (SELECT jsonb_agg(to_jsonb(c)) FROM "${schema.schema}".rm_pair_changes c)::text AS text`,
      ),
    );
    expect(stored.rows[0].text).toContain('pair-1');
    expect(stored.rows[0].text).not.toContain(KEY);
    expect(stored.rows[0].text).not.toContain(KEY_HASH);
  });
});
