import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import { Subjects } from '@fleetwarden/contracts';
import { createEventStore, START, type EventStore, type LogPosition, type NewEvent } from '@fleetwarden/eventstore';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  TEST_NATS_URL,
  type TestSchema,
} from '@fleetwarden/testing';
import { connectNats, ensureEventsStream, FleetHeaders, OutboxRelay, type OutboxRelayOptions } from './index';
import { comparePositions, newEvent, readStream, waitFor } from './testing/messaging-test.helpers';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('OutboxRelay', () => {
  const namespace = createTestNamespace('msgrelay');
  const subjects = new Subjects(namespace);
  let schema: TestSchema;
  let store: EventStore;
  let nc: NatsConnection;
  const relays: OutboxRelay[] = [];

  const relay = (options: OutboxRelayOptions = {}) => {
    const r = new OutboxRelay(store, nc, subjects, { lockRetryMs: 100, logger: quiet, ...options });
    relays.push(r);
    return r;
  };

  async function appendMany(count: number, streams = 10, type = 'ServerRegistered'): Promise<NewEvent[]> {
    const all: NewEvent[] = [];
    const perStream = Math.ceil(count / streams);
    for (let s = 0; s < streams && all.length < count; s++) {
      const events = Array.from({ length: Math.min(perStream, count - all.length) }, (_, i) => newEvent(type, { i }));
      const streamId = `inventory-srv${s}x${Math.random().toString(36).slice(2, 8)}`;
      for (let i = 0; i < events.length; i += 100) await store.append(streamId, events.slice(i, i + 100));
      all.push(...events);
      appended.push(...events.map((e) => e.eventId));
    }
    return all;
  }

  const appended: string[] = [];

  async function storedIds(): Promise<string[]> {
    const ids: string[] = [];
    let from: LogPosition | undefined;
    for (;;) {
      const { events, nextPosition } = await store.readAll({ fromPosition: from, limit: 5000 });
      if (events.length === 0) return ids;
      ids.push(...events.map((e) => e.eventId));
      from = nextPosition;
    }
  }

  /** Every event appended so far is readable, and the relay's checkpoint is past all of them. */
  const caughtUp = (r: OutboxRelay) =>
    waitFor(
      `relay past all ${appended.length} events`,
      async () => {
        const checkpoint = r.stats.lastPosition;
        if (!checkpoint || (await store.readAll({ fromPosition: checkpoint, limit: 1 })).events.length > 0)
          return false;
        return (await storedIds()).length === appended.length;
      },
      { timeoutMs: 15_000 },
    );

  beforeAll(async () => {
    schema = await createTestSchema('msgrelay');
    store = await createEventStore({ databaseUrl: schema.connectionString, schema: schema.schema });
    await store.migrate();
    nc = await connectNats({ url: TEST_NATS_URL, name: 'relay-test' });
    await ensureEventsStream(await jetstreamManager(nc), subjects, { duplicateWindowMs: 120_000 });
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
  });

  afterAll(async () => {
    await store.close();
    await nc.close();
    await schema.drop();
    await deleteNamespaceStreams(namespace);
  });

  it('publishes every event once, in order, with its subject, msg id, headers and envelope', async () => {
    const events = await appendMany(250, 5);
    const scheduled = newEvent('TaskScheduled', { task: 1 }, { context: 'scheduling' });
    await store.append('task-1', [scheduled]);
    appended.push(scheduled.eventId);
    const r = relay({ batchSize: 100 });
    r.start();
    await caughtUp(r);
    expect(r.stats).toMatchObject({ published: 251, duplicates: 0, leader: true, running: true });
    expect(r.stats.batches).toBeGreaterThanOrEqual(3);

    const messages = await readStream(nc, subjects.eventsStream);
    expect(messages).toHaveLength(251);
    const byId = new Map(messages.map((m) => [m.msgId, m]));
    for (const e of events) {
      const m = byId.get(e.eventId)!;
      expect(m.subject).toBe(subjects.event('inventory', 'ServerRegistered'));
      expect(m.json).toMatchObject({
        eventId: e.eventId,
        type: e.type,
        data: e.data,
        metadata: e.metadata,
        schemaVersion: 1,
      });
    }
    const stored = await store.readAll({ limit: 1000 });
    expect(stored.events).toHaveLength(251);
    expect(messages.map((m) => m.msgId)).toEqual(stored.events.map((e) => e.eventId));
    const last = messages[messages.length - 1]!;
    expect(last.subject).toBe(subjects.event('scheduling', 'TaskScheduled'));
    expect(last.headers?.get(FleetHeaders.EventType)).toBe('TaskScheduled');
    expect(last.headers?.get(FleetHeaders.StreamId)).toBe('task-1');
    expect(Object.keys(last.json as object).sort()).toEqual(
      [
        'data',
        'eventId',
        'globalPosition',
        'metadata',
        'recordedAt',
        'schemaVersion',
        'streamId',
        'streamVersion',
        'type',
      ].sort(),
    );
    expect((await store.loadCheckpoint('outbox-relay')).globalPosition).toBe(
      stored.events[stored.events.length - 1]!.globalPosition,
    );
  });

  it('resumes from its checkpoint after stop(), and JetStream drops re-published events', async () => {
    const first = relay();
    first.start();
    await appendMany(20, 2);
    await caughtUp(first);
    await first.stop();
    expect(first.stats).toMatchObject({ leader: false, running: false });

    const before = (await readStream(nc, subjects.eventsStream)).length;
    const more = await appendMany(30, 3);
    const second = relay();
    second.start();
    await caughtUp(second);
    expect(second.stats).toMatchObject({ published: 30, duplicates: 0 });

    await second.stop();
    const checkpoint = await store.loadCheckpoint('outbox-relay');
    await store.saveCheckpoint('outbox-relay', START);
    const third = relay();
    third.start();
    await waitFor(
      'replay from the start',
      () => third.stats.lastPosition && comparePositions(third.stats.lastPosition, checkpoint) >= 0,
    );
    expect(third.stats.published).toBeGreaterThanOrEqual(before + more.length);
    expect(third.stats.duplicates).toBe(third.stats.published);
    const after = await readStream(nc, subjects.eventsStream);
    expect(after).toHaveLength(before + more.length);
    expect(new Set(after.map((m) => m.msgId)).size).toBe(after.length);
  });

  it('with two relays on one store, exactly one relays, the other takes over, and nothing is duplicated', async () => {
    const a = relay({ batchSize: 50 });
    const b = relay({ batchSize: 50 });
    a.start();
    b.start();
    await waitFor('a leader', () => a.stats.leader || b.stats.leader);
    const writing = appendMany(400, 8);
    await writing;
    const leader = a.stats.leader ? a : b;
    const standby = leader === a ? b : a;
    await caughtUp(leader);
    expect(standby.stats).toMatchObject({ leader: false, published: 0 });

    await leader.stop();
    await appendMany(60, 3);
    await waitFor('standby takes over', () => standby.stats.leader);
    await caughtUp(standby);

    const messages = await readStream(nc, subjects.eventsStream);
    expect(messages.map((m) => m.msgId)).toEqual(await storedIds());
    expect(messages).toHaveLength(appended.length);
  });

  it('after failed publishes, backs off and retries from the last checkpoint', async () => {
    const r = relay({ retryInitialMs: 10, retryMaxMs: 50 });
    r.start();
    await caughtUp(r);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(subjects.eventsStream);
    const during = await appendMany(40, 2);
    await waitFor('failed rounds', () => r.stats.errors >= 2);
    expect(r.stats.leader).toBe(true);

    await ensureEventsStream(jsm, subjects);
    await caughtUp(r);
    const messages = await readStream(nc, subjects.eventsStream);
    expect(messages.map((m) => m.msgId)).toEqual(during.map((e) => e.eventId));
  });

  it('stops at an event it cannot route instead of skipping it', async () => {
    const r = relay({ retryInitialMs: 10, retryMaxMs: 20 });
    r.start();
    await caughtUp(r);
    const good = newEvent('ServerRegistered');
    const bad = newEvent('Mystery');
    await store.append('inventory-ok', [good]);
    await store.append('nowhere-1', [bad]);
    appended.push(good.eventId, bad.eventId);
    await waitFor('routing failures', () => r.stats.errors >= 2);
    const messages = await readStream(nc, subjects.eventsStream);
    expect(messages.some((m) => m.msgId === good.eventId)).toBe(true);
    expect(messages.some((m) => m.msgId === bad.eventId)).toBe(false);
    const checkpoint = await store.loadCheckpoint('outbox-relay');
    const stored = await store.readAll({ fromPosition: checkpoint });
    expect(stored.events[0]?.eventId).toBe(bad.eventId);
  });
});
