import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Subjects } from '@fleetwarden/contracts';
import { createEventStore, type EventStore } from '@fleetwarden/eventstore';
import { JetStreamClientProxy, RemoteCommandError } from '@fleetwarden/messaging';
import {
  HaHealthChecked,
  haClusterStreamId,
  type HaComponent,
  type HaHealthReport,
} from '@fleetwarden/redundancy-contracts';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  TEST_NATS_URL,
  type TestSchema,
  serverRegisteredData,
} from '@fleetwarden/testing';
import { HaTestAgents, startRedundancyWithHaForTest } from '../testing/ha-check-test.harness';
import { appendForeignEvent } from '../testing/redundancy-test.harness';

const operator = { role: 'operator', actor: 'operator:alice' };
const reseller = { role: 'reseller', actor: 'reseller:bob', reseller: 'r1' };
const REPLY_TIMEOUT_MS = 300;

const S1: HaComponent = { serverId: 'ha-s1', role: 'server', address: '10.0.0.1' };
const S2: HaComponent = { serverId: 'ha-s2', role: 'server', address: '10.0.0.2:4222' };
const LB: HaComponent = { serverId: 'ha-lb', role: 'load-balancer', address: 'lb.example.net' };
const CLUSTER = [S1, S2, LB];

describe('HA health check (redundancy service on NATS and PostgreSQL)', () => {
  let schema: TestSchema;
  let namespace: string;
  let subjects: Subjects;
  let store: EventStore;
  let app: NestFastifyApplication;
  let nc: NatsConnection;
  let client: JetStreamClientProxy;
  let agents: HaTestAgents;

  const send = <R = unknown>(command: string, data: unknown, meta: Record<string, unknown> = operator) =>
    client.command<R>(subjects.command('redundancy', command), data, { meta });
  const check = (clusterId: string, meta: Record<string, unknown> = operator) =>
    send<HaHealthReport>('RunHaHealthCheck', { clusterId }, meta);
  const failure = async (command: string, data: unknown, meta: Record<string, unknown> = operator) => {
    try {
      await send(command, data, meta);
    } catch (err) {
      if (err instanceof RemoteCommandError) return { code: err.code, message: err.message };
      throw err;
    }
    throw new Error(`${command} succeeded`);
  };
  const recorded = async (clusterId: string) =>
    (await store.readStream(haClusterStreamId(clusterId))).map((e) => e.type);
  const rows = (report: HaHealthReport) =>
    report.messaging.map((m) => `${m.from.serverId}>${m.to.serverId} ${m.result}`);
  const clocks = (report: HaHealthReport) => report.clocks.map((c) => `${c.server.serverId} ${c.result}`);

  async function register(serverId: string, resellerId = 'r1'): Promise<void> {
    await appendForeignEvent(
      store,
      `server-${serverId}`,
      'inventory',
      'ServerRegistered',
      serverRegisteredData(serverId, resellerId),
    );
  }

  beforeAll(async () => {
    schema = await createTestSchema('red_ha');
    namespace = createTestNamespace('redha');
    subjects = new Subjects(namespace);
    store = await createEventStore({ databaseUrl: schema.connectionString, schema: schema.schema, poolSize: 2 });
    await store.migrate();
    app = await startRedundancyWithHaForTest(
      { natsUrl: TEST_NATS_URL, databaseUrl: schema.connectionString, schema: schema.schema, namespace },
      { evaluateMs: 50, pollMs: 20, retryMs: 200 },
      { replyTimeoutMs: REPLY_TIMEOUT_MS },
    );
    nc = await connect({ servers: TEST_NATS_URL, name: 'redundancy-ha-test-agents' });
    client = new JetStreamClientProxy({ connection: { url: TEST_NATS_URL, name: 'redundancy-ha-test-client' } });
    agents = new HaTestAgents(nc, subjects).add('ha-s1', 'ha-s2', 'ha-lb', 'ha-p1', 'ha-p2');
    agents.start();
    await nc.flush();
    for (const id of ['ha-s1', 'ha-s2', 'ha-lb', 'ha-p1', 'ha-p2']) await register(id);
    await register('ha-other', 'r2');
    // The service learns the servers from its view: configure once they are there.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await send('ConfigureHaCluster', { clusterId: 'c-1', components: CLUSTER }, reseller);
        break;
      } catch (err) {
        if (!(err instanceof RemoteCommandError) || err.code !== 'HA_CLUSTER.UNKNOWN_SERVERS') throw err;
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }, 30_000);

  afterAll(async () => {
    agents?.close();
    await app?.close();
    await client?.close();
    await nc?.drain();
    await store?.close();
    await deleteNamespaceStreams(namespace);
    await schema?.drop();
  });

  it('configures a cluster of the caller and replies its components', async () => {
    expect(await send('ConfigureHaCluster', { clusterId: 'c-1', components: CLUSTER }, reseller)).toEqual({
      clusterId: 'c-1',
      components: CLUSTER,
    });
    const events = await store.readStream(haClusterStreamId('c-1'));
    expect(events.map((e) => [e.type, e.metadata.reseller])).toEqual([['HaClusterConfigured', 'r1']]);
    expect(events[0].data).toEqual({
      clusterId: 'c-1',
      components: CLUSTER,
      tenant: 'r1',
      configuredBy: 'reseller:bob',
    });
  });

  it('reports every pair OK with its transfer time and every clock OK, and records the report', async () => {
    const report = await check('c-1', reseller);
    expect(rows(report)).toEqual([
      'ha-s1>ha-s2 OK',
      'ha-s1>ha-lb OK',
      'ha-s2>ha-s1 OK',
      'ha-s2>ha-lb OK',
      'ha-lb>ha-s1 OK',
      'ha-lb>ha-s2 OK',
    ]);
    expect(report.messaging[1]).toEqual({
      from: { serverId: 'ha-s1', role: 'server' },
      to: { serverId: 'ha-lb', role: 'load-balancer' },
      result: 'OK',
      transferTimeMs: 7,
      recommendation: null,
      detail: null,
    });
    expect(clocks(report)).toEqual(['ha-s1 CLOCK_OK', 'ha-s2 CLOCK_OK', 'ha-lb CLOCK_OK']);
    for (const c of report.clocks) expect(Math.abs(c.skewMs as number)).toBeLessThan(1000);
    expect(report).toMatchObject({
      clusterId: 'c-1',
      source: 'cluster',
      components: CLUSTER.map(({ address: _a, ...c }) => c),
    });
    expect(agents.requests.filter((r) => r.serverId === 'ha-lb').at(-1)?.peers).toEqual(['ha-s1', 'ha-s2']);

    const events = await store.readStream(haClusterStreamId('c-1'));
    const last = events[events.length - 1];
    expect(last.type).toBe('HaHealthChecked');
    expect(last.metadata.reseller).toBe('r1');
    expect(HaHealthChecked.parse(last.data)).toEqual({ ...report, by: 'reseller:bob' });
  });

  it('reports the rows of a stopped component as COMPONENT_DOWN, with recommendations', async () => {
    agents.stop('ha-lb');
    try {
      const started = Date.now();
      const report = await check('c-1');
      expect(Date.now() - started).toBeLessThan(REPLY_TIMEOUT_MS + 1000);
      expect(rows(report)).toEqual([
        'ha-s1>ha-s2 OK',
        'ha-s1>ha-lb COMPONENT_DOWN',
        'ha-s2>ha-s1 OK',
        'ha-s2>ha-lb COMPONENT_DOWN',
        'ha-lb>ha-s1 COMPONENT_DOWN',
        'ha-lb>ha-s2 COMPONENT_DOWN',
      ]);
      expect(report.messaging[4]).toMatchObject({
        transferTimeMs: null,
        recommendation: 'Check that ha-lb runs and its agent is connected: it did not answer the health check.',
        detail: `ha-lb: no reply within ${REPLY_TIMEOUT_MS} ms`,
      });
      expect(report.clocks[2]).toMatchObject({
        skewMs: null,
        result: 'CLOCK_UNKNOWN',
        recommendation: expect.stringContaining('its clock could not be read'),
      });
    } finally {
      agents.stop('ha-lb', false);
    }
  });

  it('reports a clock 90 s ahead as CLOCK_SKEW, telling to set the time', async () => {
    agents.setSkew('ha-s2', 90_000);
    try {
      const report = await check('c-1');
      expect(clocks(report)).toEqual(['ha-s1 CLOCK_OK', 'ha-s2 CLOCK_SKEW', 'ha-lb CLOCK_OK']);
      expect(report.clocks[1].skewMs).toBeGreaterThan(89_000);
      expect(report.clocks[1].skewMs).toBeLessThan(91_000);
      expect(report.clocks[1].recommendation).toBe(
        'Set the time on ha-s2 (it differs by 90 s); restart its HA services after a manual time change.',
      );
      expect(report.messaging.every((m) => m.result === 'OK')).toBe(true);
    } finally {
      agents.setSkew('ha-s2', 0);
    }
  });

  it('reports NO_CONNECTION from and to a server whose messaging is down', async () => {
    agents.setMessaging('ha-s1', false);
    try {
      const report = await check('c-1');
      expect(rows(report)).toEqual([
        'ha-s1>ha-s2 NO_CONNECTION',
        'ha-s1>ha-lb NO_CONNECTION',
        'ha-s2>ha-s1 NO_CONNECTION',
        'ha-s2>ha-lb OK',
        'ha-lb>ha-s1 NO_CONNECTION',
        'ha-lb>ha-s2 OK',
      ]);
      expect(report.messaging[0]).toMatchObject({
        transferTimeMs: null,
        recommendation:
          'Check that both components run and that the firewall lets the messaging port through; check the time on both servers.',
        detail: 'connect ETIMEDOUT',
      });
      expect(clocks(report)).toEqual(['ha-s1 CLOCK_OK', 'ha-s2 CLOCK_OK', 'ha-lb CLOCK_OK']);
    } finally {
      agents.setMessaging('ha-s1', true);
    }
  });

  it("checks a redundancy pair's two members by the pair's id", async () => {
    await send('ConfigurePair', {
      pairId: 'p-ha',
      primaryServerId: 'ha-p1',
      secondaryServerId: 'ha-p2',
      primaryAddress: '10.0.1.1',
      secondaryAddress: '10.0.1.2',
      redundancyKey: 'correct horse battery',
    });
    const report = await check('p-ha');
    expect(report).toMatchObject({
      clusterId: 'p-ha',
      source: 'pair',
      components: [
        { serverId: 'ha-p1', role: 'server' },
        { serverId: 'ha-p2', role: 'server' },
      ],
    });
    expect(rows(report)).toEqual(['ha-p1>ha-p2 OK', 'ha-p2>ha-p1 OK']);
    expect(await recorded('p-ha')).toEqual(['HaHealthChecked']);
    expect(await failure('ConfigureHaCluster', { clusterId: 'p-ha', components: CLUSTER })).toMatchObject({
      code: 'HA_CLUSTER.ID_TAKEN',
      message: expect.stringContaining('redundancy pair'),
    });
  });

  it('replies the first check for a repeated idempotency key, recording it once', async () => {
    const before = (await recorded('c-1')).length;
    const meta = { ...operator, idempotencyKey: 'check-once' };
    const first = await check('c-1', meta);
    agents.stop('ha-s1');
    try {
      expect(await check('c-1', meta)).toEqual(first);
    } finally {
      agents.stop('ha-s1', false);
    }
    expect((await recorded('c-1')).length).toBe(before + 1);
  });

  it('refuses bad input with clear errors and records nothing', async () => {
    expect(await failure('RunHaHealthCheck', { clusterId: 'c-none' })).toMatchObject({
      code: 'HA_CLUSTER.NOT_FOUND',
      message: 'HA cluster c-none not found (neither an HA cluster nor a redundancy pair)',
    });
    expect(
      await failure('ConfigureHaCluster', { clusterId: 'c-bad', components: [S1, { ...LB, serverId: 'ha-nope' }] }),
    ).toMatchObject({ code: 'HA_CLUSTER.UNKNOWN_SERVERS', message: 'Unknown servers: ha-nope' });
    expect(
      await failure('ConfigureHaCluster', { clusterId: 'c-bad', components: [S1, S2, { ...LB, serverId: 'ha-s1' }] }),
    ).toMatchObject({ code: 'HA_CLUSTER.SAME_SERVER_TWICE', message: expect.stringContaining('ha-s1') });
    expect(await failure('ConfigureHaCluster', { clusterId: 'c-bad', components: [S1] })).toMatchObject({
      code: 'VALIDATION',
    });
    expect(
      await failure('ConfigureHaCluster', { clusterId: 'c-bad', components: [S1, { ...S2, address: 'a b:99999' }] }),
    ).toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('components[1].address') });
    // Another tenant's server is unknown to a reseller; its cluster is not found.
    expect(
      await failure(
        'ConfigureHaCluster',
        { clusterId: 'c-bad', components: [S1, { ...S2, serverId: 'ha-other' }] },
        reseller,
      ),
    ).toMatchObject({ code: 'HA_CLUSTER.UNKNOWN_SERVERS', message: 'Unknown servers: ha-other' });
    expect(await failure('RunHaHealthCheck', { clusterId: 'c-1' }, { ...reseller, reseller: 'r2' })).toMatchObject({
      code: 'HA_CLUSTER.NOT_FOUND',
    });
    expect(await recorded('c-bad')).toEqual([]);
    expect(await recorded('c-none')).toEqual([]);
  });
});
