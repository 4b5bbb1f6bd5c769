import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Client } from 'pg';
import { createEventStore, type EventStore } from '@fleetwarden/eventstore';
import { createClock } from '@fleetwarden/platform';
import type { Clock } from '@fleetwarden/shared-domain';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  TEST_NATS_URL,
  type TestSchema,
} from '@fleetwarden/testing';
import {
  inventoryRuntime,
  inventoryTestConfig,
  startInventoryForTest,
  waitFor,
  type InventoryTestEnv,
} from '../testing/inventory-test.harness';

/** The clock runs 10x faster: an announced interval of 5 s is 0.5 s of real time. */
const SPEED = 10;
const INTERVAL_SEC = 5;
const REAL_INTERVAL_MS = (INTERVAL_SEC * 1000) / SPEED;
const TIMINGS = { presenceRetryMs: 100, presenceFlushIntervalMs: 100 };

describe('presence (NATS, PostgreSQL, clock at 10x)', () => {
  let schema: TestSchema;
  let env: InventoryTestEnv;
  let clock: Clock;
  let nc: NatsConnection;
  let store: EventStore;
  const apps: NestFastifyApplication[] = [];
  const beating = new Map<string, NodeJS.Timeout>();
  let seq = 0;

  const heartbeat = (serverId: string) =>
    nc.publish(
      `${env.namespace}.agent.${serverId}.heartbeat`,
      JSON.stringify({ serverId, seq: seq++, sentAt: clock.now().toISOString() }),
    );
  const startBeating = (serverId: string) => {
    heartbeat(serverId);
    beating.set(
      serverId,
      setInterval(() => heartbeat(serverId), REAL_INTERVAL_MS / 3),
    );
  };
  const stopBeating = (serverId: string) => {
    clearInterval(beating.get(serverId));
    beating.delete(serverId);
  };
  const hello = (serverId: string) =>
    nc.publish(
      `${env.namespace}.agent.${serverId}.hello`,
      JSON.stringify({
        serverId,
        agentVersion: '1.0.0',
        heartbeatIntervalSec: INTERVAL_SEC,
        sentAt: clock.now().toISOString(),
        identity: {
          reseller: { id: 'r1', name: 'R1' },
          company: { id: 'c1', name: 'C1' },
          address: '',
          stage: 'production',
          hostingProvider: 'operator',
        },
        versions: { serverVersion: '9.0.0.200', webAppsVersion: null },
        config: { fqdn: `${serverId}.example.net`, hostName: serverId, publicIp: null, privateIp: null },
        files: [],
      }),
    );
  const connection = async (serverId: string) =>
    (await store.readStream(`server-${serverId}`))
      .filter((e) => e.type === 'ServerConnected' || e.type === 'ServerDisconnected')
      .map((e) => ({ type: e.type, data: e.data as Record<string, string>, actor: e.metadata.actor }));
  const untilConnection = (serverId: string, count: number, timeoutMs = 5000) =>
    waitFor(
      `${count} connection events of ${serverId}`,
      async () => {
        const events = await connection(serverId);
        return events.length >= count ? events : undefined;
      },
      timeoutMs,
    );
  const leader = () => apps.find((app) => inventoryRuntime(app).presence.isLeader);

  beforeAll(async () => {
    schema = await createTestSchema('inv_presence');
    env = {
      natsUrl: TEST_NATS_URL,
      databaseUrl: schema.connectionString,
      schema: schema.schema,
      namespace: createTestNamespace('invpres'),
      clockSpeed: SPEED,
    };
    const config = inventoryTestConfig(env);
    clock = createClock(config.clockSpeed, config.clockOrigin);
    nc = await connect({ servers: TEST_NATS_URL, name: 'presence-test' });
    store = await createEventStore({ databaseUrl: schema.connectionString, schema: schema.schema, poolSize: 2 });
    apps.push(await startInventoryForTest(env, TIMINGS));
    await waitFor('a presence leader', () => leader());
  });

  afterAll(async () => {
    for (const id of [...beating.keys()]) stopBeating(id);
    for (const app of apps) await app.close();
    await nc?.close();
    await store?.close();
    await deleteNamespaceStreams(env.namespace);
    await schema?.drop();
  });

  it('keeps a heartbeating server connected and records its last-seen time', async () => {
    hello('p1');
    startBeating('p1');
    await untilConnection('p1', 1);
    const db = new Client({ connectionString: schema.connectionString });
    await db.connect();
    try {
      const row = await waitFor('last-seen row', async () => {
        const { rows } = await db.query<{ last_seen_at: Date; heartbeat_interval_sec: number }>(
          `SELECT last_seen_at, heartbeat_interval_sec FROM "${schema.schema}".inventory_presence WHERE server_id = 'p1'`,
        );
        return rows[0];
      });
      expect(row.heartbeat_interval_sec).toBe(INTERVAL_SEC);
      expect(Math.abs(row.last_seen_at.getTime() - clock.now().getTime())).toBeLessThan(INTERVAL_SEC * 1000);
    } finally {
      await db.end();
    }
    // Four announced intervals of heartbeats: still exactly the one ServerConnected of the hello.
    const until = Date.now() + 4 * REAL_INTERVAL_MS;
    await waitFor('four intervals', () => (Date.now() >= until ? true : undefined));
    expect((await connection('p1')).map((e) => e.type)).toEqual(['ServerConnected']);
  });

  it('disconnects a server once, 3 intervals after its last heartbeat, and connects it again', async () => {
    stopBeating('p1');
    const stoppedAt = clock.now().getTime();
    const [, disconnected] = await untilConnection('p1', 2);
    expect(disconnected).toMatchObject({ type: 'ServerDisconnected', actor: 'system:inventory-presence' });
    const at = Date.parse(disconnected.data.at);
    expect(at - Date.parse(disconnected.data.lastSeenAt)).toBeGreaterThanOrEqual(3 * INTERVAL_SEC * 1000);
    expect(at - stoppedAt).toBeLessThan(3 * INTERVAL_SEC * 1000 + 2 * INTERVAL_SEC * 1000);

    startBeating('p1');
    const events = await untilConnection('p1', 3);
    expect(events.map((e) => e.type)).toEqual(['ServerConnected', 'ServerDisconnected', 'ServerConnected']);
    expect(events[2].data).toMatchObject({ heartbeatIntervalSec: INTERVAL_SEC });
  });

  it('drops heartbeats of unknown servers', async () => {
    const tracker = inventoryRuntime(leader()!).presence.tracker!;
    const before = tracker.stats.dropped.unknown;
    heartbeat('nobody');
    await waitFor('dropped', () => (tracker.stats.dropped.unknown > before ? true : undefined));
    expect(await connection('nobody')).toEqual([]);
  });

  it('fails over to another instance without disconnecting anyone', async () => {
    hello('p2');
    startBeating('p2');
    await untilConnection('p2', 1);
    apps.push(await startInventoryForTest(env, TIMINGS));
    const [first, second] = apps;
    expect(inventoryRuntime(second).presence.isLeader).toBe(false);

    // The leader goes; p2's agent dies with it, p1's keeps beating.
    await first.close();
    apps.shift();
    stopBeating('p2');
    const tracker = await waitFor(
      'the second instance leads',
      () => inventoryRuntime(second).presence.tracker ?? undefined,
    );
    const takeoverAt = tracker.startedAt;

    const p2 = await untilConnection('p2', 2);
    expect(p2[1]).toMatchObject({ type: 'ServerDisconnected' });
    expect(Date.parse(p2[1].data.at) - takeoverAt).toBeGreaterThanOrEqual(3 * INTERVAL_SEC * 1000);
    expect(Date.parse(p2[1].data.at) - Date.parse(p2[1].data.lastSeenAt)).toBeGreaterThanOrEqual(
      3 * INTERVAL_SEC * 1000,
    );
    expect((await connection('p1')).map((e) => e.type)).toEqual([
      'ServerConnected',
      'ServerDisconnected',
      'ServerConnected',
    ]);

    stopBeating('p1');
    const p1 = await untilConnection('p1', 4);
    expect(p1.map((e) => e.type)).toEqual([
      'ServerConnected',
      'ServerDisconnected',
      'ServerConnected',
      'ServerDisconnected',
    ]);
    expect(tracker.stats.disconnects).toBe(2);
  }, 20_000);
});
