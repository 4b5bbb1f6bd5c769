import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Subjects } from '@fleetwarden/contracts';
import { connectNats } from '@fleetwarden/messaging';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  TEST_NATS_URL,
  type TestSchema,
} from '@fleetwarden/testing';
import { graphqlRequest } from './support/stack';
import { freePort, killIfRunning, pollUntil, runEntry, startRunner, type Spawned } from './support/processes';

jest.setTimeout(180_000);

const SERVERS = 200;
const RESELLERS = 3;
const HEARTBEAT_SEC = 2;
const JWT_SECRET = 'e2e-secret-that-is-at-least-32-characters-long';

interface ServerNode {
  id: string;
  connected: boolean;
  reseller: { id: string };
}

// issue 3, "Must show": the stack and a simulated fleet of 200 servers in separate processes,
// on real NATS and PostgreSQL; tenancy as each role sees it; agents stopped and started again.
describe('inventory end to end: npm start + npm run fleet -- --servers 200 --resellers 3', () => {
  const namespace = createTestNamespace('e2einv');
  const subjects = new Subjects(namespace);
  let schema: TestSchema;
  let runner: Spawned | undefined;
  let fleet: Spawned | undefined;
  let port: number;
  let nc: NatsConnection;
  const env = () => ({
    NATS_URL: TEST_NATS_URL,
    FLEETWARDEN_NAMESPACE: namespace,
    FLEETWARDEN_JWT_SECRET: JWT_SECRET,
    FLEETWARDEN_START_NATS: 'false',
  });

  async function token(...args: string[]): Promise<string> {
    const cli = runEntry('tools/token.ts', env(), args);
    expect(await cli.exited).toBe(0);
    return cli.stdout().trim();
  }

  const graphql = <T>(tokenValue: string, query: string, variables: Record<string, unknown> = {}): Promise<T> =>
    graphqlRequest<T>(port, tokenValue, query, variables);

  async function allServers(tokenValue: string): Promise<ServerNode[]> {
    const nodes: ServerNode[] = [];
    let after: string | null = null;
    for (;;) {
      const data: {
        servers: { edges: Array<{ node: ServerNode }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      } = await graphql(
        tokenValue,
        `
          query ($after: String) {
            servers(first: 100, after: $after) {
              edges {
                node {
                  id
                  connected
                  reseller {
                    id
                  }
                }
              }
              pageInfo {
                hasNextPage
                endCursor
              }
            }
          }
        `,
        { after },
      );
      nodes.push(...data.servers.edges.map((e) => e.node));
      if (!data.servers.pageInfo.hasNextPage) return nodes;
      after = data.servers.pageInfo.endCursor;
    }
  }

  async function eventsOfType(type: string): Promise<Array<{ serverId: string; at: string; lastSeenAt?: string }>> {
    const js = jetstream(nc);
    const consumer = await js.consumers.get(subjects.eventsStream, {
      filter_subjects: subjects.event('inventory', type),
    });
    const out: Array<{ serverId: string; at: string; lastSeenAt?: string }> = [];
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(subjects.eventsStream, { subjects_filter: subjects.event('inventory', type) });
    const expected = info.state.subjects?.[subjects.event('inventory', type)] ?? 0;
    if (expected === 0) return out;
    const messages = await consumer.fetch({ max_messages: expected, expires: 5000 });
    for await (const m of messages) {
      out.push((m.json() as { data: { serverId: string; at: string; lastSeenAt?: string } }).data);
      if (out.length === expected) break;
    }
    return out;
  }

  async function simControl(action: 'stop' | 'start', serverIds: string[]): Promise<void> {
    const reply = await nc.request(`${namespace}.sim.control`, JSON.stringify({ action, serverIds }), {
      timeout: 5000,
    });
    expect(reply.json()).toMatchObject({ ok: true });
  }

  beforeAll(async () => {
    schema = await createTestSchema('e2einv');
    port = await freePort();
    nc = await connectNats({ url: TEST_NATS_URL, name: 'e2e-inventory' });
    runner = startRunner({
      ...env(),
      PORT: String(port),
      DATABASE_URL: schema.connectionString,
      FLEETWARDEN_DB_SCHEMA: schema.schema,
    });
    await pollUntil(
      'npm start ready',
      async () => (/Fleetwarden ready/.test(runner!.stdout() + runner!.stderr()) ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 100, abort: runner.exited },
    );
    fleet = runEntry('services/agent/src/fleet.ts', env(), [
      '--servers',
      String(SERVERS),
      '--resellers',
      String(RESELLERS),
      '--seed',
      '7',
      '--heartbeat',
      String(HEARTBEAT_SEC),
    ]);
  });

  afterAll(async () => {
    await killIfRunning(fleet);
    await killIfRunning(runner);
    await nc?.close();
    await deleteNamespaceStreams(namespace).catch(() => undefined);
    await schema?.drop();
  });

  it('shows the operator all 200 servers and each reseller exactly its own', async () => {
    const operator = await token('--role', 'operator');
    const all = await pollUntil(
      '200 connected servers in the read model',
      async () => {
        const nodes = await allServers(operator);
        return nodes.length === SERVERS && nodes.every((n) => n.connected) ? nodes : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, abort: fleet!.exited },
    );
    const byReseller = new Map<string, string[]>();
    for (const n of all) byReseller.set(n.reseller.id, [...(byReseller.get(n.reseller.id) ?? []), n.id]);
    expect([...byReseller.keys()].sort()).toEqual(['reseller-1', 'reseller-2', 'reseller-3']);

    for (const [reseller, ids] of byReseller) {
      const own = await allServers(await token('--role', 'reseller', '--reseller', reseller));
      expect(own.map((n) => n.id).sort()).toEqual([...ids].sort());
    }

    const reseller1 = await token('--role', 'reseller', '--reseller', 'reseller-1');
    const foreign = byReseller.get('reseller-2')![0];
    const cross = await graphql<{ server: unknown }>(reseller1, 'query ($id: ID!) { server(id: $id) { id address } }', {
      id: foreign,
    });
    expect(cross.server).toBeNull();
    const ownId = byReseller.get('reseller-1')![0];
    const own = await graphql<{ server: { id: string } | null }>(
      reseller1,
      'query ($id: ID!) { server(id: $id) { id } }',
      {
        id: ownId,
      },
    );
    expect(own.server).toEqual({ id: ownId });
  });

  it('turns exactly the 20 stopped agents disconnected within 3 heartbeat intervals, one event each, then connected again', async () => {
    const operator = await token('--role', 'operator');
    const stopped = Array.from({ length: 20 }, (_, i) => `srv-${String(i * 10 + 1).padStart(5, '0')}`);
    const connectedBefore = (await eventsOfType('ServerConnected')).length;

    const stoppedAt = Date.now();
    await simControl('stop', stopped);
    const offline = await pollUntil(
      'the 20 stopped servers disconnected',
      async () => {
        const nodes = await allServers(operator);
        const down = nodes.filter((n) => !n.connected).map((n) => n.id);
        return down.length >= stopped.length ? down : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const elapsedMs = Date.now() - stoppedAt;
    expect(offline.sort()).toEqual([...stopped].sort());
    // 3 intervals after the last heartbeat, plus one sweep (a quarter interval) and the projection's poll.
    expect(elapsedMs).toBeLessThan(3 * HEARTBEAT_SEC * 1000 + 2500);

    const disconnected = await pollUntil(
      'ServerDisconnected on the events stream',
      async () => {
        const events = await eventsOfType('ServerDisconnected');
        return events.length >= stopped.length ? events : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect(disconnected.map((e) => e.serverId).sort()).toEqual([...stopped].sort());
    for (const e of disconnected) {
      const silentMs = Date.parse(e.at) - Date.parse(e.lastSeenAt ?? e.at);
      expect(silentMs).toBeGreaterThanOrEqual(3 * HEARTBEAT_SEC * 1000);
      expect(silentMs).toBeLessThan(3 * HEARTBEAT_SEC * 1000 + 1000);
    }

    await simControl('start', stopped);
    await pollUntil(
      'all 200 connected again',
      async () => {
        const nodes = await allServers(operator);
        return nodes.every((n) => n.connected) ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const reconnected = (await eventsOfType('ServerConnected')).slice(connectedBefore);
    expect(reconnected.map((e) => e.serverId).sort()).toEqual([...stopped].sort());
    expect(await eventsOfType('ServerDisconnected')).toHaveLength(stopped.length);
  });
});
