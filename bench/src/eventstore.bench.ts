import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  createEventStore,
  PgliteDriver,
  SqlEventStore,
  type LogPosition,
  type NewEvent,
} from '@fleetwarden/eventstore';
import { compare, rate, result, type BenchResult, type Benchmark } from './harness';

export interface Target {
  label: 'pg' | 'pglite';
  /** Opens a fresh store and a raw SQL executor on the same database. */
  open(): Promise<{
    store: SqlEventStore;
    raw: (sql: string, params?: unknown[]) => Promise<unknown>;
    dispose(): Promise<void>;
  }>;
}

const metadata = {
  correlationId: '6f1c2a9e-3b1d-4c53-9a4e-0d7a1c2b3e4f',
  causationId: null,
  actor: 'bench',
  reseller: 'reseller-1',
  occurredAt: '2026-11-27T00:00:00.000Z',
};
const data = { serverId: 'server-42', version: '9.0.0.200', stage: 'production', files: 12 };

function events(n: number): NewEvent[] {
  return Array.from({ length: n }, () => ({ eventId: randomUUID(), type: 'BenchHappened', data, metadata }));
}

/**
 * The raw baseline inserts the same rows into a copy of the events table (same columns,
 * defaults and indexes): one autocommitted statement per transaction.
 */
function rawInsert(table: string, n: number, stream: string, fromVersion: number): { sql: string; params: unknown[] } {
  const values: string[] = [];
  const params: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const p = params.length;
    values.push(`($${p + 1}, $${p + 2}, $${p + 3}, 'bench', 'BenchHappened', 1, $${p + 4}, $${p + 5})`);
    params.push(randomUUID(), stream, fromVersion + i, JSON.stringify(data), JSON.stringify(metadata));
  }
  return {
    sql: `INSERT INTO ${table} (event_id, stream_id, stream_version, category, type, schema_version, data, metadata) VALUES ${values.join(', ')}`,
    params,
  };
}

export function eventStoreBenchmarks(target: Target): Benchmark[] {
  return [
    {
      name: `eventstore.append.${target.label}`,
      async run({ quick }): Promise<BenchResult[]> {
        const { store, raw, dispose } = await target.open();
        try {
          const table = `"${store.schema}".raw_events`;
          await raw(`CREATE TABLE ${table} (LIKE "${store.schema}".events INCLUDING ALL)`);
          const singles = quick ? 50 : 3000;
          const batches = quick ? 5 : 100;
          const rounds = quick ? 2 : 7;
          let rawVersion = 0;
          let batchRawVersion = 0;
          const single = await compare(
            rounds,
            (r) => {
              const stream = `bench-single${r}`;
              return rate(singles, (i) => store.append(stream, events(1), { expectedVersion: i }));
            },
            (r) =>
              rate(singles, () => {
                const q = rawInsert(table, 1, `raw-single${r}`, ++rawVersion);
                return raw(q.sql, q.params);
              }),
          );
          const batch = await compare(
            rounds,
            (r) => {
              const stream = `bench-batch${r}`;
              return rate(batches, (i) => store.append(stream, events(100), { expectedVersion: i * 100 }));
            },
            (r) =>
              rate(batches, () => {
                const q = rawInsert(table, 100, `raw-batch${r}`, batchRawVersion + 1);
                batchRawVersion += 100;
                return raw(q.sql, q.params);
              }),
          );
          const perEvent = { value: batch.value * 100, baselineValue: batch.baselineValue * 100 };
          return [
            result(
              `eventstore.append.single.${target.label}`,
              'appends/s',
              'raw single-row INSERT per transaction',
              single,
              0.8,
            ),
            result(
              `eventstore.append.batch100.${target.label}`,
              'events/s',
              'raw 100-row INSERT per transaction',
              perEvent,
              0.6,
            ),
          ];
        } finally {
          await dispose();
        }
      },
    },
    {
      name: `eventstore.readAll.${target.label}`,
      async run({ quick }): Promise<BenchResult[]> {
        const { store, raw, dispose } = await target.open();
        try {
          const total = quick ? 2000 : 20_000;
          for (let i = 0; i < total / 500; i++) await store.append(`read-${i % 7}`, events(500));
          const page = 500;
          const m = await compare(
            quick ? 2 : 5,
            async () => {
              const start = process.hrtime.bigint();
              let n = 0;
              for (let pos: LogPosition | undefined; ;) {
                const res = await store.readAll({ fromPosition: pos, limit: page });
                n += res.events.length;
                if (res.events.length < page) break;
                pos = res.nextPosition;
              }
              return n / (Number(process.hrtime.bigint() - start) / 1e9);
            },
            async () => {
              const start = process.hrtime.bigint();
              let n = 0;
              for (let after = 0; ;) {
                const rows = (await raw(
                  `SELECT * FROM "${store.schema}".events WHERE global_position > $1 ORDER BY global_position LIMIT ${page}`,
                  [after],
                )) as Array<{ global_position: string | number }>;
                n += rows.length;
                if (rows.length < page) break;
                after = Number(rows[rows.length - 1].global_position);
              }
              return n / (Number(process.hrtime.bigint() - start) / 1e9);
            },
          );
          return [
            result(`eventstore.readAll.${target.label}`, 'events/s', 'raw keyset SELECT on global_position', m, null),
          ];
        } finally {
          await dispose();
        }
      },
    },
  ];
}

export function postgresTarget(databaseUrl: string): Target {
  return {
    label: 'pg',
    async open() {
      const schema = `bench_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
      const store = await createEventStore({ databaseUrl, schema, poolSize: 4 });
      await store.migrate();
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      return {
        store,
        raw: async (sql, params) => (await client.query(sql, params)).rows,
        async dispose() {
          await client.query(`DROP SCHEMA "${schema}" CASCADE`);
          await client.end();
          await store.close();
        },
      };
    },
  };
}

export function pgliteTarget(): Target {
  return {
    label: 'pglite',
    async open() {
      const driver = await PgliteDriver.open();
      const store = new SqlEventStore(driver, { schema: 'bench' });
      await store.migrate();
      return {
        store,
        raw: async (sql, params) => (await driver.query(sql, params)).rows,
        dispose: () => store.close(),
      };
    },
  };
}
