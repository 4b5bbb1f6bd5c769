import { createTestSchema, type TestSchema } from '@fleetwarden/testing';
import { createEventStore } from './create-event-store';
import type { SqlEventStore } from './sql-event-store';
import { newEvent, waitFor } from './testing/event-store.contract';

// "Known pitfalls" in ARCHITECTURE.md: a reader can pass the single late-commit test and still
// skip events under concurrent load. This drives 8 appenders for 10 s while a subscriber follows.
describe('subscription under concurrent load (PostgreSQL)', () => {
  let schema: TestSchema;
  let store: SqlEventStore;

  beforeAll(async () => {
    schema = await createTestSchema('esload');
    store = await createEventStore({ databaseUrl: schema.connectionString, schema: schema.schema, poolSize: 12 });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await schema.drop();
  });

  it('delivers every committed event exactly once while 8 writers append for 10 s', async () => {
    const delivered: string[] = [];
    const sub = store.subscribe(async (e) => void delivered.push(e.eventId), { pollIntervalMs: 5, batchSize: 200 });
    const deadline = Date.now() + 10_000;
    let appends = 0;
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; Date.now() < deadline; i++) {
          const size = 1 + (i % 5);
          const events = Array.from({ length: size }, () => newEvent('Load', { w, i }));
          // Half the writers use optimistic concurrency on a shared stream, so that some appends fail.
          const stream = w % 2 === 0 ? `load-${w}` : 'load-shared';
          const expectedVersion = w % 2 === 0 ? 'any' : await store.streamVersion(stream);
          try {
            await store.append(stream, events, { expectedVersion });
            appends++;
          } catch {
            conflicts++;
          }
        }
      }),
    );
    const { rows } = await store.transaction((tx) =>
      tx.query<{ event_id: string }>(`SELECT event_id FROM "${schema.schema}".events`),
    );
    const stored = new Set(rows.map((r) => r.event_id));
    await waitFor(() => delivered.length >= rows.length, 30_000).catch(() => undefined);
    await sub.stop();
    const deliveredSet = new Set(delivered);
    const missing = [...stored].filter((id) => !deliveredSet.has(id));
    expect({ missing: missing.length, duplicates: delivered.length - deliveredSet.size }).toEqual({
      missing: 0,
      duplicates: 0,
    });
    expect(appends).toBeGreaterThan(100);
    expect(conflicts).toBeGreaterThan(0);
    expect(delivered).toHaveLength(rows.length);
    expect(deliveredSet).toEqual(stored);
  }, 60_000);
});
