import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type Msg, type NatsConnection } from '@nats-io/nats-core';
import { Subjects } from '@fleetwarden/contracts';
import { createTestNamespace, deleteNamespaceStreams, TEST_NATS_URL } from '@fleetwarden/testing';
import {
  connectNats,
  ensureEventsStream,
  FleetHeaders,
  JetStreamEventContext,
  JetStreamExceptionFilter,
  JetStreamServer,
  type EventEnvelope,
} from './index';
import { deferred, envelope, waitFor, type Deferred } from './testing/messaging-test.helpers';

const SERVICE = 'projector';
const MAX_DELIVER = 3;

/** What each handler saw, by event id: the delivery counts in order. */
const seen = new Map<string, number[]>();
const gates = new Map<string, { started: Deferred; release: Deferred }>();

function record(event: EventEnvelope, ctx: JetStreamEventContext): number {
  const deliveries = ctx.getDeliveryCount();
  seen.set(event.eventId, [...(seen.get(event.eventId) ?? []), deliveries]);
  return deliveries;
}

@Controller()
class Projections {
  @EventPattern('inventory.ServerFlaked')
  async flaky(@Payload() event: EventEnvelope, @Ctx() ctx: JetStreamEventContext) {
    if (record(event, ctx) === 1) throw new Error('first attempt fails');
  }

  @EventPattern('inventory.ServerPoisoned')
  poisoned(@Payload() event: EventEnvelope<string, { ok?: boolean }>, @Ctx() ctx: JetStreamEventContext) {
    record(event, ctx);
    if (!event.data.ok) throw new Error('cannot project\nthis event');
  }

  @EventPattern('scheduling.*', { consumer: 'slow' })
  async slow(@Payload() event: EventEnvelope, @Ctx() ctx: JetStreamEventContext) {
    record(event, ctx);
    const gate = gates.get(event.eventId);
    if (gate) {
      gate.started.resolve();
      await gate.release.promise;
    }
  }
}

@Module({ controllers: [Projections] })
class ProjectionsModule {}

describe('JetStream transport: events', () => {
  const namespace = createTestNamespace('msgevt');
  const subjects = new Subjects(namespace);
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let app: INestMicroservice | null = null;
  const deadLetters: Msg[] = [];

  const publish = (subject: string, event: EventEnvelope | string) =>
    js.publish(subject, typeof event === 'string' ? event : JSON.stringify(event), {
      msgID: typeof event === 'string' ? undefined : event.eventId,
    });

  const consumerInfo = (handler: string) =>
    jsm.consumers.info(subjects.eventsStream, subjects.consumerName(SERVICE, handler));

  beforeAll(async () => {
    nc = await connectNats({ url: TEST_NATS_URL, name: 'events-test' });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    await ensureEventsStream(jsm, subjects, { storage: 'memory' });
    nc.subscribe(`${namespace}.dlq.>`, { callback: (_err, msg) => void deadLetters.push(msg) });
    app = await NestFactory.createMicroservice(ProjectionsModule, {
      strategy: new JetStreamServer({
        connection: { url: TEST_NATS_URL },
        subjects,
        context: 'inventory',
        service: SERVICE,
        events: { maxDeliver: MAX_DELIVER, retryInitialMs: 20, retryMaxMs: 100, ackWaitMs: 5000, concurrency: 4 },
        deadLetterStream: { storage: 'memory' },
      }),
      logger: false,
    });
    app.useGlobalFilters(new JetStreamExceptionFilter());
    await app.listen();
  });

  afterAll(async () => {
    for (const g of gates.values()) g.release.resolve();
    await app?.close();
    await nc.close();
    await deleteNamespaceStreams(namespace);
  });

  it('creates one durable pull consumer per handler with explicit ack and max_deliver', async () => {
    const info = await consumerInfo('inventory_ServerFlaked');
    expect(info.config).toMatchObject({
      durable_name: `${namespace.toUpperCase()}_${SERVICE}_inventory_ServerFlaked`,
      filter_subject: `${namespace}.events.inventory.ServerFlaked`,
      ack_policy: 'explicit',
      max_deliver: MAX_DELIVER,
    });
    expect((await consumerInfo('slow')).config.filter_subject).toBe(`${namespace}.events.scheduling.*`);
  });

  it('redelivers an event whose handler threw, then acks it', async () => {
    const event = envelope('ServerFlaked');
    await publish(subjects.event('inventory', 'ServerFlaked'), event);
    await waitFor('second delivery', () => seen.get(event.eventId)?.length === 2);
    expect(seen.get(event.eventId)).toEqual([1, 2]);
    await waitFor('ack', async () => {
      const info = await consumerInfo('inventory_ServerFlaked');
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });
  });

  it('dead-letters a poison event after max_deliver tries with the error attached, and moves on', async () => {
    const poison = envelope('ServerPoisoned', { ok: false }, 'inventory-poison');
    const next = envelope('ServerPoisoned', { ok: true });
    const subject = subjects.event('inventory', 'ServerPoisoned');
    const poisonAck = await publish(subject, poison);
    await publish(subject, next);

    const consumer = subjects.consumerName(SERVICE, 'inventory_ServerPoisoned');
    const dead = await waitFor('dead letter', () =>
      deadLetters.find(
        (m) => m.subject === subjects.deadLetter(consumer) && m.headers?.get(FleetHeaders.Deliveries) !== '1',
      ),
    );
    expect(seen.get(poison.eventId)).toEqual([1, 2, 3]);
    expect(dead.headers?.get(FleetHeaders.Error)).toBe('cannot project this event');
    expect(dead.headers?.get(FleetHeaders.Deliveries)).toBe(String(MAX_DELIVER));
    expect(dead.headers?.get(FleetHeaders.OriginalSubject)).toBe(subject);
    expect(dead.headers?.get(FleetHeaders.OriginalSequence)).toBe(String(poisonAck.seq));
    expect(JSON.parse(dead.string())).toEqual(poison);

    await waitFor('next event handled', () => seen.get(next.eventId)?.length === 1);
    await waitFor('consumer settled', async () => {
      const info = await consumerInfo('inventory_ServerPoisoned');
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });
    const dlqStream = await jsm.streams.info(`${namespace.toUpperCase()}_DLQ`);
    expect(dlqStream.state.messages).toBeGreaterThanOrEqual(1);
  });

  it('dead-letters a payload that is not JSON at once, without calling the handler', async () => {
    const subject = subjects.event('inventory', 'ServerPoisoned');
    const before = seen.size;
    const h = natsHeaders();
    await js.publish(subject, '{not json', { headers: h });
    const consumer = subjects.consumerName(SERVICE, 'inventory_ServerPoisoned');
    const dead = await waitFor('dead letter of the bad payload', () =>
      deadLetters.find((m) => m.subject === subjects.deadLetter(consumer) && m.string() === '{not json'),
    );
    expect(dead.headers?.get(FleetHeaders.Deliveries)).toBe('1');
    expect(dead.headers?.get(FleetHeaders.Error)).toContain('not JSON');
    expect(seen.size).toBe(before);
  });

  it('acks only after the handler finished', async () => {
    const event = envelope('TaskScheduled');
    const gate = { started: deferred(), release: deferred() };
    gates.set(event.eventId, gate);
    const ack = await publish(subjects.event('scheduling', 'TaskScheduled'), event);
    await gate.started.promise;

    const during = await consumerInfo('slow');
    expect(during.num_ack_pending).toBe(1);
    expect(during.ack_floor.stream_seq).toBeLessThan(ack.seq);

    gate.release.resolve();
    await waitFor('ack after the handler finished', async () => {
      const info = await consumerInfo('slow');
      return info.num_ack_pending === 0 && info.ack_floor.stream_seq >= ack.seq;
    });
    expect(seen.get(event.eventId)).toEqual([1]);
  });

  it('close() waits for the handlers in flight, which then ack', async () => {
    const event = envelope('TaskStarted');
    const gate = { started: deferred(), release: deferred() };
    gates.set(event.eventId, gate);
    const ack = await publish(subjects.event('scheduling', 'TaskStarted'), event);
    await gate.started.promise;

    let closed = false;
    const closing = app!.close().then(() => (closed = true));
    app = null;
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    gate.release.resolve();
    await closing;

    await waitFor('ack sent before the connection closed', async () => {
      const info = await consumerInfo('slow');
      return info.num_ack_pending === 0 && info.ack_floor.stream_seq >= ack.seq;
    });
  });
});
