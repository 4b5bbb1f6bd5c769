import { randomBytes, randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { LoggerService } from '@nestjs/common';
import { Subjects } from '@fleetwarden/contracts';
import { createEventStore, type EventStore, type NewEvent } from '@fleetwarden/eventstore';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectNats } from '@fleetwarden/messaging';
import { CommandExecutor } from '@fleetwarden/platform';
import { PresenceTracker, ServerDirectory } from '@fleetwarden/service-inventory';
import type { Clock } from '@fleetwarden/shared-domain';
import { result, type Benchmark, type BenchResult } from './harness';

/** Heartbeats/s the inventory must absorb (100k servers at one heartbeat per 20 s). */
const TARGET_RATE = 5000;
const MAX_P99_LAG_MS = 1000;
const HEARTBEAT_INTERVAL_SEC = 20;

const quiet: LoggerService = { log() {}, warn() {}, error() {} };
const systemClock: Clock = { now: () => new Date() };

/**
 * Publishes heartbeats of servers `bs-0..bs-<n-1>` from a worker thread with its own NATS
 * connection, so that building and sending them does not take the tracker's CPU time.
 * Command: `paced` (a rate for a duration); `close`.
 */
const PUBLISHER = `
const { parentPort, workerData } = require('node:worker_threads');
const { connect } = require(workerData.natsModule);
(async () => {
  const nc = await connect({ servers: workerData.natsUrl, name: 'bench-heartbeat-publisher' });
  const { prefix, servers } = workerData;
  let seq = 0;
  let next = 0;
  const one = () => {
    const id = 'bs-' + (next++ % servers);
    nc.publish(prefix + id + '.heartbeat',
      '{"serverId":"' + id + '","seq":' + (seq++) + ',"sentAt":"' + new Date().toISOString() + '"}');
  };
  parentPort.on('message', async (m) => {
    const start = performance.now();
    let sent = 0;
    if (m.cmd === 'paced') {
      for (;;) {
        const elapsed = performance.now() - start;
        if (elapsed >= m.durationMs) break;
        const due = Math.floor((m.rate * elapsed) / 1000);
        while (sent < due) { one(); sent++; }
        await new Promise((r) => setTimeout(r, 2));
      }
    } else if (m.cmd === 'close') {
      await nc.drain();
      parentPort.postMessage({ closed: true });
      return;
    }
    await nc.flush();
    parentPort.postMessage({ sent, ms: performance.now() - start });
  });
  parentPort.postMessage({ ready: true });
})().catch((err) => { console.error(err); process.exit(1); });
`;

class Publisher {
  private constructor(private readonly worker: Worker) {}

  static async start(natsUrl: string, prefix: string, servers: number): Promise<Publisher> {
    const worker = new Worker(PUBLISHER, {
      eval: true,
      workerData: { natsUrl, prefix, servers, natsModule: require.resolve('@nats-io/transport-node') },
    });
    const publisher = new Publisher(worker);
    await publisher.next();
    return publisher;
  }

  paced(rate: number, durationMs: number): Promise<{ sent: number; ms: number }> {
    this.worker.postMessage({ cmd: 'paced', rate, durationMs });
    return this.next();
  }

  async close(): Promise<void> {
    this.worker.postMessage({ cmd: 'close' });
    await Promise.race([this.next(), new Promise((r) => setTimeout(r, 2000))]);
    await this.worker.terminate();
  }

  private next<T>(): Promise<T> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.worker.once('error', onError);
      this.worker.once('message', (m: T) => {
        this.worker.off('error', onError);
        resolve(m);
      });
    });
  }
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/** Registers `count` connected servers `bs-<i>` (the events an agent's first hello leaves). */
async function seedServers(store: EventStore, count: number): Promise<void> {
  const at = new Date().toISOString();
  const metadata = {
    correlationId: randomUUID(),
    causationId: null,
    actor: 'system:bench',
    reseller: 'bench-reseller',
    occurredAt: at,
    context: 'inventory',
  };
  const eventsOf = (i: number): NewEvent[] => {
    const serverId = `bs-${i}`;
    return [
      {
        eventId: randomUUID(),
        type: 'ServerRegistered',
        data: {
          serverId,
          reseller: { id: 'bench-reseller', name: 'Bench' },
          company: { id: 'bench-co', name: 'Bench Co' },
          address: '',
          serverVersion: '9.0.0.200',
          webAppsVersion: null,
          stage: 'production',
          hostingProvider: 'operator',
          registeredBy: 'agent',
        },
        metadata,
      },
      {
        eventId: randomUUID(),
        type: 'ServerConnected',
        data: { serverId, at, heartbeatIntervalSec: HEARTBEAT_INTERVAL_SEC },
        metadata,
      },
    ];
  };
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await store.append(`server-bs-${i}`, eventsOf(i), { expectedVersion: 0 });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

interface Step {
  rate: number;
  sent: number;
  processed: number;
  achieved: number;
  p99: number;
  ok: boolean;
}

/** A consumer of heartbeats under test: how many it has taken, and the p99 of their lag. */
interface Sink {
  received(): number;
  resetLag(): void;
  p99LagMs(): number;
}

/**
 * Offers heartbeats at each rate in turn for `stepMs` and stops at the first rate the sink does
 * not absorb completely with p99 lag under 1 s. Returns the highest achieved rate that passed.
 */
async function climb(label: string, publisher: Publisher, rates: number[], stepMs: number, sink: Sink) {
  const steps: Step[] = [];
  for (const rate of rates) {
    sink.resetLag();
    const before = sink.received();
    const { sent, ms } = await publisher.paced(rate, stepMs);
    await until(() => sink.received() - before >= sent, 3000);
    const processed = sink.received() - before;
    const p99 = sink.p99LagMs();
    const ok = processed >= sent && p99 < MAX_P99_LAG_MS;
    steps.push({ rate, sent, processed, achieved: processed / (ms / 1000), p99, ok });
    process.stderr.write(
      `  ${label}: ${rate}/s offered, ${processed}/${sent} processed, p99 lag ${p99} ms${ok ? '' : '  <- not sustained'}\n`,
    );
    if (!ok) break;
  }
  const passed = steps.filter((s) => s.ok);
  return {
    value: passed.length ? Math.max(...passed.map((s) => s.achieved)) : 0,
    saturated: passed.length < steps.length,
  };
}

/** A raw core-NATS subscription that only parses each heartbeat (and notes its lag). */
function rawSubscription(nc: NatsConnection, subject: string): Sink & { stop(): void } {
  let count = 0;
  let lags: number[] = [];
  const sub = nc.subscribe(subject, {
    callback: (_err, msg) => {
      const body = JSON.parse(msg.string()) as { sentAt: string };
      lags.push(Date.now() - Date.parse(body.sentAt));
      count++;
    },
  });
  return {
    received: () => count,
    resetLag: () => {
      lags = [];
    },
    p99LagMs: () => {
      if (lags.length === 0) return 0;
      const sorted = Float64Array.from(lags).sort();
      return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)];
    },
    stop: () => sub.unsubscribe(),
  };
}

/**
 * `inventory.heartbeats`: the presence tracker on a real PostgreSQL schema and NATS namespace
 * with N registered, connected servers; heartbeats come from another connection at increasing
 * rates. Value: the highest rate it absorbs completely with p99 lag (processing time - sentAt)
 * under 1 s. Baseline: the same climb against a raw core-NATS subscription doing only JSON.parse
 * on the same messages, in the same run. The target is absolute (>= 5000/s), so the ratio
 * carries none.
 */
export function inventoryBenchmarks(env: { databaseUrl: string; natsUrl: string }): Benchmark[] {
  return [
    {
      name: 'inventory.heartbeats',
      async run({ quick }): Promise<BenchResult[]> {
        const servers = quick ? 2000 : 20_000;
        const stepMs = quick ? 1000 : 2000;
        const rates = quick ? [5000, 10_000, 20_000] : [5000, 10_000, 20_000, 40_000, 80_000, 120_000, 160_000];
        const suffix = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
        const schema = `bench_inv_${suffix}`;
        const subjects = new Subjects(`benchinv${suffix}`);
        const store = await createEventStore({ databaseUrl: env.databaseUrl, schema, poolSize: 16 });
        const nc = await connectNats({ url: env.natsUrl, name: 'bench-inventory' });
        let publisher: Publisher | undefined;
        let tracker: PresenceTracker | undefined;
        let directory: ServerDirectory | undefined;
        try {
          await store.migrate();
          const seedStart = performance.now();
          await seedServers(store, servers);
          process.stderr.write(`  seeded ${servers} servers in ${Math.round(performance.now() - seedStart)} ms\n`);
          publisher = await Publisher.start(env.natsUrl, `${subjects.namespace}.agent.`, servers);

          // Baseline first, while nothing else listens: a raw subscription, JSON.parse only.
          const heartbeats = `${subjects.namespace}.agent.*.heartbeat`;
          const raw = rawSubscription(nc, heartbeats);
          await nc.flush();
          const baseline = await climb('raw subscription', publisher, rates, stepMs, raw);
          raw.stop();

          directory = new ServerDirectory(store, { logger: quiet });
          tracker = new PresenceTracker({
            nc,
            subjects,
            store,
            schema,
            executor: new CommandExecutor(store, systemClock),
            clock: systemClock,
            clockSpeed: 1,
            directory,
            logger: quiet,
          });
          await tracker.start();
          if (tracker.stats.servers !== servers) {
            throw new Error(`tracker knows ${tracker.stats.servers} servers, expected ${servers}`);
          }
          await nc.flush();

          const t = tracker;
          const measured = await climb('presence tracker', publisher, rates, stepMs, {
            received: () => t.heartbeatsReceived,
            resetLag: () => t.resetLag(),
            p99LagMs: () => t.lagPercentile(0.99),
          });
          const stats = tracker.stats;
          if (stats.disconnects > 0 || stats.dropped.unknown > 0 || stats.dropped.invalid > 0) {
            throw new Error(`tracker misbehaved under load: ${JSON.stringify(stats)}`);
          }
          const value = measured.value;
          process.stderr.write(
            `  inventory.heartbeats: ${Math.round(value)} heartbeats/s sustained with p99 lag < ${MAX_P99_LAG_MS} ms ` +
              `(target >= ${TARGET_RATE}/s: ${value >= TARGET_RATE ? 'ok' : 'BELOW TARGET'}` +
              `${measured.saturated ? '' : '; never saturated: a lower bound'})\n`,
          );
          return [
            result(
              'inventory.heartbeats',
              'heartbeats/s',
              'raw core-NATS subscription, JSON.parse only, same messages',
              { value, baselineValue: baseline.value },
              null,
            ),
          ];
        } finally {
          await tracker?.stop().catch(() => undefined);
          await directory?.stop().catch(() => undefined);
          await publisher?.close().catch(() => undefined);
          await nc.close();
          await store.close();
          const { Client } = await import('pg');
          const c = new Client({ connectionString: env.databaseUrl });
          await c.connect();
          await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await c.end();
        }
      },
    },
  ];
}
