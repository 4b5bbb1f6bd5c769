/**
 * Measures the outbox relay's publish rate against raw pipelined JetStream publishing of the
 * same envelopes on the same server, and prints both and their ratio (target >= 0.7).
 *
 * Run: `node tools/run.js libs/messaging/src/testing/measure-relay-throughput.ts`. Environment:
 * DATABASE_URL (default the local test PostgreSQL; a throwaway schema is created and dropped),
 * NATS_URL, EVENTS (default 20000), BATCH (default 500), ROUNDS (default 3; the median ratio
 * is printed last).
 */
import { randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { Subjects } from '@fleetwarden/contracts';
import { createEventStore, START } from '@fleetwarden/eventstore';
import { Client } from 'pg';
import { FleetHeaders, toEventEnvelope } from '../event-envelope';
import { ensureEventsStream } from '../jetstream-streams';
import { connectNats } from '../nats-connection';
import { OutboxRelay } from '../outbox-relay';
import { comparePositions, newEvent } from './messaging-test.helpers';

async function main(): Promise<void> {
  const total = Number(process.env['EVENTS'] ?? 20_000);
  const batchSize = Number(process.env['BATCH'] ?? 500);
  const rounds = Number(process.env['ROUNDS'] ?? 3);
  const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  await sql(databaseUrl, `CREATE SCHEMA "${schema}"`);
  const store = await createEventStore({ databaseUrl, schema });
  await store.migrate();
  const nc = await connectNats({ url: natsUrl, name: 'relay-bench' });
  const jsm = await jetstreamManager(nc);
  const namespaces: Subjects[] = [];
  const fresh = async () => {
    const subjects = new Subjects(`bench${randomBytes(4).toString('hex')}`);
    namespaces.push(subjects);
    await ensureEventsStream(jsm, subjects);
    return subjects;
  };
  try {
    for (let i = 0; i < total; i += 500) {
      await store.append(
        `inventory-bench${i}`,
        Array.from({ length: Math.min(500, total - i) }, (_, k) => newEvent('ServerRegistered', { n: i + k })),
      );
    }
    const all = [];
    let from = START;
    for (;;) {
      const { events, nextPosition } = await store.readAll({ fromPosition: from, limit: 5000 });
      if (events.length === 0) break;
      all.push(...events);
      from = nextPosition;
    }
    const end = from;
    const js = jetstream(nc);
    const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const rawNs = await fresh();
      const rawStart = performance.now();
      await Promise.all(
        all.map((e) => {
          const h = headers();
          h.set(FleetHeaders.EventType, e.type);
          h.set(FleetHeaders.StreamId, e.streamId);
          return js.publish(rawNs.event('inventory', e.type), JSON.stringify(toEventEnvelope(e)), {
            msgID: e.eventId,
            headers: h,
          });
        }),
      );
      const rawRate = total / ((performance.now() - rawStart) / 1000);

      const relay = new OutboxRelay(store, nc, await fresh(), {
        batchSize,
        logger: quiet,
        checkpointName: `bench-${round}`,
      });
      const relayStart = performance.now();
      relay.start();
      while (!relay.stats.lastPosition || comparePositions(relay.stats.lastPosition, end) < 0) {
        await new Promise((r) => setImmediate(r));
      }
      const relayRate = total / ((performance.now() - relayStart) / 1000);
      await relay.stop();
      ratios.push(relayRate / rawRate);
      console.log(
        JSON.stringify({
          round,
          events: total,
          batchSize,
          rawPerSec: Math.round(rawRate),
          relayPerSec: Math.round(relayRate),
          ratio: +(relayRate / rawRate).toFixed(2),
        }),
      );
    }
    ratios.sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        name: 'messaging.outbox-relay.publish',
        medianRatio: +ratios[Math.floor(ratios.length / 2)]!.toFixed(2),
        target: 0.7,
      }),
    );
  } finally {
    await store.close();
    for (const s of namespaces) await jsm.streams.delete(s.eventsStream).catch(() => undefined);
    await nc.close();
    await sql(databaseUrl, `DROP SCHEMA "${schema}" CASCADE`);
  }
}

async function sql(connectionString: string, statement: string): Promise<void> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
