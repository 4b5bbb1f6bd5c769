import { randomUUID } from 'node:crypto';
import { ConsoleLogger, Controller, Inject, Module } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import request from 'supertest';
import type { EventStore } from '@fleetwarden/eventstore';
import { JetStreamClientProxy, type EventEnvelope } from '@fleetwarden/messaging';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  TEST_NATS_URL,
  type TestSchema,
} from '@fleetwarden/testing';
import { loadConfig, type FleetwardenConfig } from '../config/config';
import { DependencyError } from '../errors';
import { openPlatformResources, type PlatformResources } from '../runtime/resources';
import { EVENT_STORE } from '../tokens';
import { PLATFORM_RESOURCES } from './platform.module';
import { startServiceApp } from './service-app';

const received: EventEnvelope[] = [];
let slowStarted: () => void = () => undefined;
let releaseSlow: Promise<void> = Promise.resolve();

function probeEvent(eventId: string, data: unknown) {
  return {
    eventId,
    type: 'ProbeRecorded',
    data,
    metadata: {
      correlationId: eventId,
      causationId: null,
      actor: 'system:test',
      reseller: null,
      occurredAt: new Date().toISOString(),
    },
  };
}

@Controller()
class ProbeHandler {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @MessagePattern('RecordProbe')
  async record(@Payload() data: { probe: string }): Promise<{ eventId: string }> {
    const eventId = randomUUID();
    await this.store.append(`inventory-${data.probe}`, [probeEvent(eventId, data)]);
    return { eventId };
  }

  @MessagePattern('RecordSlowProbe')
  async recordSlow(@Payload() data: { probe: string }): Promise<{ eventId: string }> {
    slowStarted();
    await releaseSlow;
    const eventId = randomUUID();
    await this.store.append(`inventory-${data.probe}`, [probeEvent(eventId, data)]);
    return { eventId };
  }

  @EventPattern('inventory.ProbeRecorded')
  seen(@Payload() event: EventEnvelope): void {
    received.push(event);
  }
}

@Module({ controllers: [ProbeHandler] })
class ProbeModule {}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a service app on the platform (PostgreSQL, NATS)', () => {
  const logger = new ConsoleLogger({ logLevels: ['error', 'fatal'] });
  let schema: TestSchema;
  let config: FleetwardenConfig;
  let app: NestFastifyApplication | undefined;
  let client: JetStreamClientProxy;

  beforeAll(async () => {
    schema = await createTestSchema('plat');
    config = loadConfig({
      NATS_URL: TEST_NATS_URL,
      DATABASE_URL: schema.connectionString,
      FLEETWARDEN_DB_SCHEMA: schema.schema,
      FLEETWARDEN_NAMESPACE: createTestNamespace('plat'),
    });
    client = new JetStreamClientProxy({ connection: { url: TEST_NATS_URL, name: 'platform-test' } });
  });

  afterAll(async () => {
    await app?.close();
    await client.close();
    await deleteNamespaceStreams(config.namespace);
    await schema.drop();
  });

  it('serves commands, relays appended events to its consumers and reports its health', async () => {
    const healthPort = 20_000 + Math.floor(Math.random() * 20_000);
    app = await startServiceApp(
      { name: 'probe', context: 'inventory', module: ProbeModule },
      { config, logger, healthPort },
    );

    const { eventId } = await client.command<{ eventId: string }>(`${config.namespace}.cmd.inventory.RecordProbe`, {
      probe: 'p1',
    });
    const event = await waitFor('event delivered to the consumer', () => received.find((e) => e.eventId === eventId));
    expect(event).toMatchObject({ type: 'ProbeRecorded', streamId: 'inventory-p1', data: { probe: 'p1' } });

    const res = await request(`http://127.0.0.1:${healthPort}`).get('/health').expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      parts: {
        database: { status: 'up', backend: 'postgres' },
        nats: { status: 'up' },
        eventsStream: { status: 'up', messages: 1 },
        relay: { status: 'up', role: 'leader', published: 1 },
      },
    });
  });

  it('finishes the command in flight when it stops, then closes its own connections', async () => {
    const resources = app!.get<PlatformResources>(PLATFORM_RESOURCES);
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    let release: () => void = () => undefined;
    releaseSlow = new Promise<void>((resolve) => (release = resolve));

    const reply = client.command<{ eventId: string }>(`${config.namespace}.cmd.inventory.RecordSlowProbe`, {
      probe: 'p2',
    });
    await started;
    const closing = app!.close();
    app = undefined;
    release();
    const { eventId } = await reply;
    await closing;

    expect(resources.nats.isClosed()).toBe(true);
    const db = new Client({ connectionString: schema.connectionString });
    await db.connect();
    try {
      const { rows } = await db.query(`SELECT stream_id FROM "${schema.schema}".events WHERE event_id = $1`, [eventId]);
      expect(rows).toEqual([{ stream_id: 'inventory-p2' }]);
    } finally {
      await db.end();
    }
  });
});

describe('openPlatformResources when a dependency is missing', () => {
  it('names NATS_URL when no NATS server answers', async () => {
    const config = loadConfig({ NATS_URL: 'nats://127.0.0.1:1', FLEETWARDEN_NAMESPACE: 'unused' });
    const failure = openPlatformResources(config, { name: 'test' });
    await expect(failure).rejects.toBeInstanceOf(DependencyError);
    await expect(failure).rejects.toThrow('NATS is unreachable at NATS_URL=nats://127.0.0.1:1 (connection refused)');
  });

  it('names DATABASE_URL, without its password, when PostgreSQL does not answer', async () => {
    const config = loadConfig({
      NATS_URL: TEST_NATS_URL,
      DATABASE_URL: 'postgres://fleet:topsecret@127.0.0.1:1/fleet',
      FLEETWARDEN_NAMESPACE: createTestNamespace('platdb'),
    });
    const failure = openPlatformResources(config, { name: 'test' });
    await expect(failure).rejects.toBeInstanceOf(DependencyError);
    await expect(failure).rejects.toThrow(
      /^Cannot use the database at DATABASE_URL=postgres:\/\/fleet:\*\*\*@127\.0\.0\.1:1\/fleet \(/,
    );
    await deleteNamespaceStreams(config.namespace);
  });
});
