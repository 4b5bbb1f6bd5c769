import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { Subjects } from '@fleetwarden/contracts';
import { createEventStore, type NewEvent } from '@fleetwarden/eventstore';
import { connectNats, ensureEventsStream, OutboxRelay, toEventEnvelope } from '@fleetwarden/messaging';
import { compare, result, type Benchmark, type BenchResult } from './harness';

const metadata = {
  correlationId: '6f1c2a9e-3b1d-4c53-9a4e-0d7a1c2b3e4f',
  causationId: null,
  actor: 'bench',
  reseller: 'reseller-1',
  occurredAt: '2026-11-27T00:00:00.000Z',
  context: 'inventory',
};
const data = { serverId: 'server-42', version: '9.0.0.200', stage: 'production', files: 12 };

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('relay benchmark timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * Relay throughput (read from the event store, publish to JetStream with dedupe ids, wait for
 * acks, checkpoint) against the raw client publishing the same payloads asynchronously in
 * batches of the same size. Each round gets its own stream, so no message is a duplicate.
 */
export function relayBenchmarks(env: { databaseUrl: string; natsUrl: string }): Benchmark[] {
  return [
    {
      name: 'relay.publish',
      async run({ quick }): Promise<BenchResult[]> {
        const total = quick ? 1000 : 20_000;
        const batchSize = 500;
        const schema = `bench_relay_${Date.now().toString(36)}`;
        const store = await createEventStore({ databaseUrl: env.databaseUrl, schema, poolSize: 4 });
        await store.migrate();
        const nc: NatsConnection = await connectNats({ url: env.natsUrl, name: 'bench-relay' });
        const jsm = await jetstreamManager(nc);
        const streams: string[] = [];
        const freshNamespace = async () => {
          const subjects = new Subjects(`bench${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`);
          await ensureEventsStream(jsm, subjects, { storage: 'file' });
          streams.push(subjects.eventsStream);
          return subjects;
        };
        try {
          for (let i = 0; i < total / 100; i++) {
            const batch: NewEvent[] = Array.from({ length: 100 }, () => ({
              eventId: randomUUID(),
              type: 'BenchHappened',
              data,
              metadata,
            }));
            await store.append(`server-${i % 50}`, batch);
          }
          const recorded = (await store.readAll({ limit: total })).events;
          const m = await compare(
            quick ? 2 : 5,
            async (r) => {
              const subjects = await freshNamespace();
              const relay = new OutboxRelay(store, nc, subjects, {
                batchSize,
                pollIntervalMs: 5,
                checkpointName: `bench-${r}-${subjects.namespace}`,
                logger: { log() {}, error() {}, warn() {} },
              });
              const start = process.hrtime.bigint();
              relay.start();
              await until(() => relay.stats.published >= total, 120_000);
              const seconds = Number(process.hrtime.bigint() - start) / 1e9;
              await relay.stop();
              return total / seconds;
            },
            async () => {
              const subjects = await freshNamespace();
              const js = jetstream(nc);
              const start = process.hrtime.bigint();
              for (let i = 0; i < recorded.length; i += batchSize) {
                await Promise.all(
                  recorded.slice(i, i + batchSize).map((e) => {
                    const h = headers();
                    h.set('Fleet-Event-Type', e.type);
                    h.set('Fleet-Stream-Id', e.streamId);
                    return js.publish(subjects.event('inventory', e.type), JSON.stringify(toEventEnvelope(e)), {
                      msgID: e.eventId,
                      headers: h,
                    });
                  }),
                );
              }
              return total / (Number(process.hrtime.bigint() - start) / 1e9);
            },
          );
          return [
            result('relay.publish', 'events/s', 'raw async JetStream publish, same payloads and batches', m, 0.7),
          ];
        } finally {
          for (const name of streams) await jsm.streams.delete(name).catch(() => undefined);
          await nc.close();
          await store.close();
          const { Client } = await import('pg');
          const c = new Client({ connectionString: env.databaseUrl });
          await c.connect();
          await c.query(`DROP SCHEMA "${schema}" CASCADE`);
          await c.end();
        }
      },
    },
  ];
}
