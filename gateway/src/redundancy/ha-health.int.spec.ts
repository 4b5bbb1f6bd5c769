import { connect } from '@nats-io/transport-node';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import type { HaHealthReport } from '@fleetwarden/redundancy-contracts';
import {
  TEST_NATS_URL,
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  type TestSchema,
} from '@fleetwarden/testing';
import { startGatewayTestKit, type GatewayTestKit, type GraphQLBody } from '../testing/gateway-test-kit';

interface Received {
  command: string;
  data: Record<string, unknown>;
  meta: Record<string, unknown>;
}

type Reply = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string; details?: unknown } };

const AT = '2026-03-01T12:00:05.000Z';
const S1 = { serverId: 'ha-s1', role: 'server' } as const;
const LB = { serverId: 'ha-lb', role: 'load-balancer' } as const;

/** What the redundancy service replies for a cluster whose load balancer is stopped and whose server's clock is off. */
const REPORT: HaHealthReport = {
  clusterId: 'c-1',
  checkId: 'chk-1',
  at: AT,
  source: 'cluster',
  components: [S1, LB],
  messaging: [
    {
      from: S1,
      to: LB,
      result: 'COMPONENT_DOWN',
      transferTimeMs: null,
      recommendation: 'Check that ha-lb runs and its agent is connected: it did not answer the health check.',
      detail: 'ha-lb: no reply within 3000 ms',
    },
    {
      from: LB,
      to: S1,
      result: 'COMPONENT_DOWN',
      transferTimeMs: null,
      recommendation: 'Check that ha-lb runs and its agent is connected: it did not answer the health check.',
      detail: 'ha-lb: no reply within 3000 ms',
    },
  ],
  clocks: [
    {
      server: S1,
      skewMs: 90_012,
      result: 'CLOCK_SKEW',
      recommendation: 'Set the time on ha-s1 (it differs by 90 s); restart its HA services after a manual time change.',
      detail: "90 s ahead of the control plane's clock",
    },
    {
      server: LB,
      skewMs: null,
      result: 'CLOCK_UNKNOWN',
      recommendation: 'Check that ha-lb runs and its agent is connected: its clock could not be read.',
      detail: 'no reply within 3000 ms',
    },
  ],
};

const CHECK = `{ haHealthCheck(clusterId: "c-1") {
  clusterId checkId checkedAt source components { id role }
  messaging { from { id role } to { id role } result transferTimeMs recommendation detail }
  clocks { server { id } skewMs result recommendation } } }`;

const CONFIGURE = (
  components: string,
) => `mutation { configureHaCluster(input: { id: "c-1", components: [${components}] }) {
  id components { id role address } } }`;
const TWO =
  '{ serverId: "ha-s1", role: SERVER, address: "10.0.0.1" }, { serverId: "ha-lb", role: LOAD_BALANCER, address: "lb.example.net:4222" }';

describe('haHealthCheck and configureHaCluster (fake redundancy service on NATS)', () => {
  let kit: GatewayTestKit;
  let schema: TestSchema;
  const namespace = createTestNamespace('gwha');
  let nc: NatsConnection;
  let sub: Subscription | undefined;
  const received: Received[] = [];
  let reply: (r: Received) => Reply = () => ({ ok: false, error: { code: 'INTERNAL', message: 'no reply' } });
  const tokens: Record<string, string> = {};

  const gql = async (query: string, token: string): Promise<GraphQLBody> => (await kit.graphql(query, { token })).body;

  beforeAll(async () => {
    schema = await createTestSchema('gwha');
    kit = await startGatewayTestKit(
      { natsUrl: TEST_NATS_URL, databaseUrl: schema.connectionString, schema: schema.schema, namespace },
      { commandTimeoutMs: 2000 },
    );
    nc = await connect({ servers: TEST_NATS_URL, name: 'fake-redundancy-ha' });
    sub = nc.subscribe(`${kit.config.namespace}.cmd.redundancy.*`, {
      callback: (err, msg) => {
        if (err) return;
        const request = JSON.parse(msg.string()) as { data: Record<string, unknown>; meta: Record<string, unknown> };
        const r: Received = { command: msg.subject.split('.').pop()!, data: request.data, meta: request.meta };
        received.push(r);
        msg.respond(JSON.stringify(reply(r)));
      },
    });
    await nc.flush();
    tokens.operator = await kit.token({ sub: 'alice', role: 'operator' });
    tokens.auditor = await kit.token({ sub: 'audrey', role: 'auditor' });
    tokens.r1 = await kit.token({ sub: 'bob', role: 'reseller', reseller: 'r1' });
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

  it('runs the check through RunHaHealthCheck and returns the report with its recommendations', async () => {
    reply = () => ({ ok: true, data: REPORT });
    const body = await gql(CHECK, tokens.r1);
    expect(body).toEqual({
      data: {
        haHealthCheck: {
          clusterId: 'c-1',
          checkId: 'chk-1',
          checkedAt: AT,
          source: 'CLUSTER',
          components: [
            { id: 'ha-s1', role: 'SERVER' },
            { id: 'ha-lb', role: 'LOAD_BALANCER' },
          ],
          messaging: [
            {
              from: { id: 'ha-s1', role: 'SERVER' },
              to: { id: 'ha-lb', role: 'LOAD_BALANCER' },
              result: 'COMPONENT_DOWN',
              transferTimeMs: null,
              recommendation: 'Check that ha-lb runs and its agent is connected: it did not answer the health check.',
              detail: 'ha-lb: no reply within 3000 ms',
            },
            {
              from: { id: 'ha-lb', role: 'LOAD_BALANCER' },
              to: { id: 'ha-s1', role: 'SERVER' },
              result: 'COMPONENT_DOWN',
              transferTimeMs: null,
              recommendation: 'Check that ha-lb runs and its agent is connected: it did not answer the health check.',
              detail: 'ha-lb: no reply within 3000 ms',
            },
          ],
          clocks: [
            {
              server: { id: 'ha-s1' },
              skewMs: 90_012,
              result: 'CLOCK_SKEW',
              recommendation:
                'Set the time on ha-s1 (it differs by 90 s); restart its HA services after a manual time change.',
            },
            {
              server: { id: 'ha-lb' },
              skewMs: null,
              result: 'CLOCK_UNKNOWN',
              recommendation: 'Check that ha-lb runs and its agent is connected: its clock could not be read.',
            },
          ],
        },
      },
    });
    expect(received).toEqual([
      {
        command: 'RunHaHealthCheck',
        data: { clusterId: 'c-1' },
        meta: expect.objectContaining({ actor: 'reseller:bob', role: 'reseller', reseller: 'r1' }),
      },
    ]);
  });

  it('returns null for a cluster the caller does not have, and refuses auditors', async () => {
    reply = () => ({
      ok: false,
      error: {
        code: 'HA_CLUSTER.NOT_FOUND',
        message: 'HA cluster c-1 not found (neither an HA cluster nor a redundancy pair)',
      },
    });
    expect(await gql(CHECK, tokens.operator)).toEqual({ data: { haHealthCheck: null } });
    const forbidden = await gql(CHECK, tokens.auditor);
    expect(forbidden.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(received.map((r) => r.command)).toEqual(['RunHaHealthCheck']);
  });

  it('configures a cluster and returns its components', async () => {
    reply = (r) => ({ ok: true, data: { clusterId: r.data.clusterId, components: r.data.components } });
    expect(await gql(CONFIGURE(TWO), tokens.operator)).toEqual({
      data: {
        configureHaCluster: {
          id: 'c-1',
          components: [
            { id: 'ha-s1', role: 'SERVER', address: '10.0.0.1' },
            { id: 'ha-lb', role: 'LOAD_BALANCER', address: 'lb.example.net:4222' },
          ],
        },
      },
    });
    expect(received[0]).toMatchObject({
      command: 'ConfigureHaCluster',
      data: {
        clusterId: 'c-1',
        components: [
          { serverId: 'ha-s1', role: 'server', address: '10.0.0.1' },
          { serverId: 'ha-lb', role: 'load-balancer', address: 'lb.example.net:4222' },
        ],
      },
    });
  });

  it('names the components argument when the service refuses them', async () => {
    reply = () => ({ ok: false, error: { code: 'HA_CLUSTER.UNKNOWN_SERVERS', message: 'Unknown servers: ha-lb' } });
    const body = await gql(CONFIGURE(TWO), tokens.r1);
    expect(body.errors?.[0]).toMatchObject({
      message: 'Invalid argument "input.components": Unknown servers: ha-lb',
      extensions: { code: 'BAD_USER_INPUT', argument: 'input.components', reason: 'HA_CLUSTER.UNKNOWN_SERVERS' },
    });
  });

  it('refuses a bad address or a single component before sending anything', async () => {
    const badAddress = await gql(
      CONFIGURE(
        '{ serverId: "ha-s1", role: SERVER, address: "10.0.0.1" }, { serverId: "ha-lb", role: SERVER, address: "a b" }',
      ),
      tokens.operator,
    );
    expect(badAddress.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'input.components.1.address',
    });
    const single = await gql(CONFIGURE('{ serverId: "ha-s1", role: SERVER, address: "10.0.0.1" }'), tokens.operator);
    expect(single.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.components' });
    expect(received).toEqual([]);
  });
});
