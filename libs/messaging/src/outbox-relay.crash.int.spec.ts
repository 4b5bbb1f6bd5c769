import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Subjects } from '@fleetwarden/contracts';
import { createEventStore, type EventStore, type LogPosition } from '@fleetwarden/eventstore';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  TEST_NATS_URL,
  type TestSchema,
} from '@fleetwarden/testing';
import { connectNats, ensureEventsStream } from './index';
import { comparePositions, newEvent, readStream, waitFor } from './testing/messaging-test.helpers';

const ROOT = path.resolve(__dirname, '../../..');
const SCRIPT = 'libs/messaging/src/testing/run-outbox-relay.ts';
const BACKLOG = 20_000;
const BATCH = 500;

describe('OutboxRelay killed with SIGKILL mid-backlog', () => {
  const namespace = createTestNamespace('msgcrash');
  const subjects = new Subjects(namespace);
  let schema: TestSchema;
  let store: EventStore;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const children: ChildProcess[] = [];

  function startRelay(): { child: ChildProcess; output: () => string } {
    const child = spawn(process.execPath, ['tools/run.js', SCRIPT], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: schema.connectionString,
        FLEETWARDEN_SCHEMA: schema.schema,
        NATS_URL: TEST_NATS_URL,
        FLEETWARDEN_NAMESPACE: namespace,
        RELAY_BATCH_SIZE: String(BATCH),
        RELAY_LOCK_RETRY_MS: '100',
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    return { child, output: () => out };
  }

  async function storedIds(): Promise<{ ids: string[]; end: LogPosition }> {
    const ids: string[] = [];
    let from: LogPosition | undefined;
    for (;;) {
      const { events, nextPosition } = await store.readAll({ fromPosition: from, limit: 10_000 });
      if (events.length === 0) return { ids, end: nextPosition };
      ids.push(...events.map((e) => e.eventId));
      from = nextPosition;
    }
  }

  const streamCount = async () => (await jsm.streams.info(subjects.eventsStream)).state.messages;

  beforeAll(async () => {
    schema = await createTestSchema('msgcrash');
    store = await createEventStore({ databaseUrl: schema.connectionString, schema: schema.schema });
    await store.migrate();
    nc = await connectNats({ url: TEST_NATS_URL, name: 'relay-crash-test' });
    jsm = await jetstreamManager(nc);
    await ensureEventsStream(jsm, subjects);
    const perStream = 1000;
    await Promise.all(
      Array.from({ length: BACKLOG / perStream }, async (_, s) => {
        for (let i = 0; i < perStream; i += 250) {
          await store.append(
            `inventory-crash${s}`,
            Array.from({ length: 250 }, (_, k) => newEvent('ServerRegistered', { s, n: i + k })),
          );
        }
      }),
    );
  }, 30_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await store.close();
    await nc.close();
    await schema.drop();
    await deleteNamespaceStreams(namespace);
  });

  it('leaves every event in the stream exactly once after a restart', async () => {
    const { ids, end } = await waitFor('every appended event to be readable', async () => {
      const read = await storedIds();
      return read.ids.length === BACKLOG ? read : null;
    });

    const first = startRelay();
    const killedAt = await waitFor(
      'the first relay to be in the middle of a batch',
      async () => {
        const n = await streamCount();
        return n >= 2000 && n % BATCH !== 0 ? n : 0;
      },
      { timeoutMs: 20_000, intervalMs: 2 },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\nrelay output:\n${first.output()}`);
    });
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');

    const afterKill = await streamCount();
    const checkpointAfterKill = await store.loadCheckpoint('outbox-relay');
    expect(killedAt).toBeLessThan(BACKLOG);
    expect(afterKill).toBeLessThan(BACKLOG);
    expect(comparePositions(checkpointAfterKill, end)).toBeLessThan(0);

    const second = startRelay();
    await waitFor(
      'the second relay to reach the end of the log',
      async () => comparePositions(await store.loadCheckpoint('outbox-relay'), end) >= 0,
      { timeoutMs: 20_000, intervalMs: 20 },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\nrelay output:\n${second.output()}`);
    });
    second.child.kill('SIGTERM');
    const [code] = await once(second.child, 'exit');
    expect(code).toBe(0);
    expect(second.output()).toContain('stopped');

    const messages = await readStream(nc, subjects.eventsStream);
    expect(messages).toHaveLength(BACKLOG);
    expect(messages.map((m) => m.msgId)).toEqual(ids);
  }, 45_000);
});
