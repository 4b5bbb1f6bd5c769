import { randomUUID } from 'node:crypto';
import { ConcurrencyError, EventIdConflictError, InvalidAppendError } from '../errors';
import type { SqlEventStore } from '../sql-event-store';
import { START, type NewEvent, type RecordedEvent } from '../types';

export interface ContractFixture {
  store: SqlEventStore;
  /** Closes the store and drops what the fixture created. */
  dispose(): Promise<void>;
}

export function newEvent(type = 'ThingHappened', data: unknown = { n: 1 }): NewEvent {
  return {
    eventId: randomUUID(),
    type,
    data,
    metadata: {
      correlationId: randomUUID(),
      causationId: null,
      actor: 'test',
      reseller: null,
      occurredAt: '2026-01-01T00:00:00.000Z',
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The behaviour every backend of the event store must show. Each backend's spec file calls
 * this with a factory giving a fresh, empty store.
 */
export function eventStoreContract(backend: string, open: () => Promise<ContractFixture>): void {
  describe(`event store contract (${backend})`, () => {
    let fx: ContractFixture;
    let store: SqlEventStore;

    // PGlite compiles its WebAssembly at open: seconds on a busy 2-core machine.
    beforeAll(async () => {
      fx = await open();
      store = fx.store;
      await store.migrate();
    }, 60_000);
    afterAll(() => fx.dispose(), 60_000);

    describe('append', () => {
      it('stores a batch with consecutive stream versions and returns their positions', async () => {
        const stream = `thing-${randomUUID()}`;
        const events = [newEvent('A'), newEvent('B'), newEvent('C')];
        const res = await store.append(stream, events, { expectedVersion: 0 });
        expect(res.duplicate).toBe(false);
        expect(res.nextVersion).toBe(3);
        expect(res.positions.map((p) => p.streamVersion)).toEqual([1, 2, 3]);
        expect(res.positions.map((p) => p.eventId)).toEqual(events.map((e) => e.eventId));
        const read = await store.readStream(stream);
        expect(read.map((e) => e.type)).toEqual(['A', 'B', 'C']);
        expect(read[0]).toMatchObject({
          eventId: events[0].eventId,
          streamId: stream,
          streamVersion: 1,
          schemaVersion: 1,
          data: { n: 1 },
          metadata: events[0].metadata,
        });
        expect(typeof read[0].recordedAt).toBe('string');
        expect(await store.streamVersion(stream)).toBe(3);
      });

      it('reads a stream from a version', async () => {
        const stream = `thing-${randomUUID()}`;
        await store.append(stream, [newEvent('A'), newEvent('B'), newEvent('C')]);
        const read = await store.readStream(stream, { fromVersion: 2 });
        expect(read.map((e) => e.streamVersion)).toEqual([2, 3]);
      });

      it('raises ConcurrencyError with the actual version when the expected one is stale', async () => {
        const stream = `thing-${randomUUID()}`;
        await store.append(stream, [newEvent(), newEvent()], { expectedVersion: 0 });
        const err = await store.append(stream, [newEvent()], { expectedVersion: 1 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConcurrencyError);
        expect(err).toMatchObject({ code: 'EVENTSTORE.CONCURRENCY', actualVersion: 2, expectedVersion: 1 });
        const created = await store.append(stream, [newEvent()], { expectedVersion: 0 }).catch((e: unknown) => e);
        expect(created).toMatchObject({ actualVersion: 2 });
        expect(await store.streamVersion(stream)).toBe(2);
      });

      it('lets exactly one of 10 concurrent writers win each version, the others get ConcurrencyError', async () => {
        const stream = `thing-${randomUUID()}`;
        const winners: string[] = [];
        for (let version = 0; version < 10; version++) {
          const attempts = Array.from({ length: 10 }, () => newEvent('Attempt', { version }));
          const results = await Promise.allSettled(
            attempts.map((e) => store.append(stream, [e], { expectedVersion: version })),
          );
          const ok = results.filter((r) => r.status === 'fulfilled');
          const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
          expect(ok).toHaveLength(1);
          expect(failed).toHaveLength(9);
          for (const f of failed) expect(f.reason).toBeInstanceOf(ConcurrencyError);
          winners.push(attempts[results.findIndex((r) => r.status === 'fulfilled')].eventId);
        }
        const read = await store.readStream(stream);
        expect(read.map((e) => e.eventId)).toEqual(winners);
        expect(read.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      });

      it('is idempotent by event id: a re-append returns the original positions and writes nothing', async () => {
        const stream = `thing-${randomUUID()}`;
        const events = [newEvent('A'), newEvent('B')];
        const first = await store.append(stream, events, { expectedVersion: 0 });
        const again = await store.append(stream, events, { expectedVersion: 0 });
        const anyVersion = await store.append(stream, events, { expectedVersion: 'any' });
        expect(again).toEqual({ ...first, duplicate: true });
        expect(anyVersion).toEqual({ ...first, duplicate: true });
        expect(await store.readStream(stream)).toHaveLength(2);
        expect(await store.streamVersion(stream)).toBe(2);
      });

      it('refuses a batch that mixes stored and new events, writing none of it', async () => {
        const stream = `thing-${randomUUID()}`;
        const stored = newEvent('A');
        await store.append(stream, [stored]);
        const err = await store.append(stream, [newEvent('B'), stored]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(EventIdConflictError);
        expect(await store.streamVersion(stream)).toBe(1);
        expect(await store.readStream(stream)).toHaveLength(1);
      });

      it('refuses an event id already stored in another stream', async () => {
        const e = newEvent('A');
        await store.append(`thing-${randomUUID()}`, [e]);
        const other = `thing-${randomUUID()}`;
        await expect(store.append(other, [e])).rejects.toBeInstanceOf(EventIdConflictError);
        expect(await store.streamVersion(other)).toBe(0);
      });

      it('validates its input with errors naming the field', async () => {
        await expect(store.append('', [newEvent()])).rejects.toThrow(/streamId/);
        await expect(store.append('x-1', [{ ...newEvent(), eventId: 'nope' }])).rejects.toThrow(/events\[0\]\.eventId/);
        await expect(store.append('x-1', [newEvent()], { expectedVersion: -3 })).rejects.toBeInstanceOf(
          InvalidAppendError,
        );
      });
    });

    describe('readAll', () => {
      it('returns every event once, in order, with no gaps after 10k events from concurrent writers', async () => {
        const from = (await store.readAll({ fromPosition: START, limit: 1_000_000 })).nextPosition;
        const writers = 4;
        const batches = 25;
        const ids = new Set<string>();
        await Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            for (let b = 0; b < batches; b++) {
              const batch = Array.from({ length: 100 }, (_, i) => newEvent('Bulk', { w, b, i }));
              batch.forEach((e) => ids.add(e.eventId));
              await store.append(`bulk-${w}`, batch);
            }
          }),
        );
        // Reads see only transactions older than every one still running in the whole database
        // (other test files run beside this one), and the starting point may lie before events of
        // earlier tests that were still behind that horizon: page on until every bulk event came,
        // and keep this test's events.
        const read: RecordedEvent[] = [];
        let position = from;
        const deadline = Date.now() + 20_000;
        while (read.length < ids.size && Date.now() < deadline) {
          const page = await store.readAll({ fromPosition: position, limit: 777 });
          read.push(...page.events.filter((e) => e.streamId.startsWith('bulk-')));
          if (page.events.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
          position = page.nextPosition;
        }
        expect(read).toHaveLength(10_000);
        expect(new Set(read.map((e) => e.eventId))).toEqual(ids);
        for (let i = 1; i < read.length; i++) {
          const a = read[i - 1];
          const b = read[i];
          const ordered =
            BigInt(a.transactionId) < BigInt(b.transactionId) ||
            (a.transactionId === b.transactionId && a.globalPosition < b.globalPosition);
          expect(ordered).toBe(true);
        }
        const positions = read.map((e) => e.globalPosition).sort((a, b) => a - b);
        expect(positions[positions.length - 1] - positions[0]).toBe(positions.length - 1);
        for (const stream of ['bulk-0', 'bulk-1']) {
          const versions = read.filter((e) => e.streamId === stream).map((e) => e.streamVersion);
          expect(versions).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
        }
      });

      it('filters by type and by category', async () => {
        const tag = randomUUID().slice(0, 8);
        await store.append(`cata${tag}-1`, [newEvent(`Left${tag}`), newEvent(`Right${tag}`)]);
        await store.append(`catb${tag}-1`, [newEvent(`Left${tag}`)]);
        // Reads see only transactions older than every one still running in the whole database
        // (other test files write beside this one): read again until the horizon passed them.
        const readUntil = async (options: { types?: string[]; category?: string }, count: number) => {
          const deadline = Date.now() + 20_000;
          for (;;) {
            const page = await store.readAll({ ...options, limit: 1_000_000 });
            if (page.events.length >= count || Date.now() > deadline) return page.events;
            await sleep(50);
          }
        };
        const byType = await readUntil({ types: [`Left${tag}`] }, 2);
        expect(byType.map((e) => e.streamId)).toEqual([`cata${tag}-1`, `catb${tag}-1`]);
        const byCategory = await readUntil({ category: `cata${tag}` }, 2);
        expect(byCategory.map((e) => e.type)).toEqual([`Left${tag}`, `Right${tag}`]);
      });

      it('waits for a transaction that commits late instead of passing it', async () => {
        const from = (await store.readAll({ limit: 1_000_000 })).nextPosition;
        const late = newEvent('Late');
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let opened!: () => void;
        const isOpen = new Promise<void>((r) => (opened = r));
        const held = store.transaction(async (tx) => {
          await tx.query(
            `SELECT * FROM "${store.schema}".append_events($1, -1, $2::uuid[], $3::text[], $4::int[], $5::jsonb[], $6::jsonb[])`,
            ['late-1', [late.eventId], [late.type], [1], [JSON.stringify(late.data)], [JSON.stringify(late.metadata)]],
          );
          opened();
          await gate;
        });
        await isOpen;
        const early = [newEvent('Early'), newEvent('Early')];
        const laterAppends = Promise.all(early.map((e, i) => store.append(`early-${i}`, [e])));
        // PostgreSQL commits these now; PGlite (one backend) queues them behind the open transaction.
        await Promise.race([laterAppends, sleep(300)]);
        const whileOpen = store.readAll({ fromPosition: from, limit: 100 });
        setTimeout(release, 200);
        const seenWhileOpen = (await whileOpen).events.map((e) => e.eventId);
        await held;
        await laterAppends;
        const after = (await store.readAll({ fromPosition: from, limit: 100 })).events.map((e) => e.eventId);
        expect(after[0]).toBe(late.eventId);
        expect(new Set(after)).toEqual(new Set([late.eventId, ...early.map((e) => e.eventId)]));
        // Whatever was visible while the late transaction was open is a prefix of the final order.
        expect(after.slice(0, seenWhileOpen.length)).toEqual(seenWhileOpen);
      });
    });

    describe('subscribe', () => {
      it('catches up, then delivers live appends, resumable from a position', async () => {
        const tag = randomUUID().slice(0, 8);
        const category = `sub${tag}`;
        await store.append(`${category}-1`, [newEvent('Before'), newEvent('Before')]);
        const seen: RecordedEvent[] = [];
        const sub = store.subscribe(async (e) => void seen.push(e), { category, pollIntervalMs: 20 });
        await store.append(`${category}-1`, [newEvent('After')]);
        await waitFor(() => seen.length === 3);
        const resumeAt = sub.position;
        await sub.stop();
        await store.append(`${category}-2`, [newEvent('WhileStopped')]);
        const resumed: RecordedEvent[] = [];
        const sub2 = store.subscribe(async (e) => void resumed.push(e), {
          category,
          fromPosition: resumeAt,
          pollIntervalMs: 20,
        });
        await waitFor(() => resumed.length === 1);
        await sub2.stop();
        expect(seen.map((e) => e.type)).toEqual(['Before', 'Before', 'After']);
        expect(resumed.map((e) => e.type)).toEqual(['WhileStopped']);
      });
    });

    describe('projections', () => {
      it('applies events and advances the checkpoint in one transaction; a failed batch is retried whole', async () => {
        const tag = randomUUID().slice(0, 8);
        const category = `proj${tag}`;
        const table = `"${store.schema}".counts_${tag}`;
        await store.transaction((tx) => tx.query(`CREATE TABLE ${table} (type text PRIMARY KEY, n int NOT NULL)`));
        await store.append(`${category}-1`, [newEvent('X'), newEvent('Poison'), newEvent('X')]);
        let failures = 0;
        const errors: unknown[] = [];
        const projection = store.runProjection({
          name: `counts-${tag}`,
          category,
          pollIntervalMs: 20,
          handle: async (e, tx) => {
            await tx.query(
              `INSERT INTO ${table} (type, n) VALUES ($1, 1) ON CONFLICT (type) DO UPDATE SET n = ${table}.n + 1`,
              [e.type],
            );
            if (e.type === 'Poison' && failures++ === 0) throw new Error('boom once');
          },
        });
        await waitFor(async () => (await store.loadCheckpoint(`counts-${tag}`)).globalPosition > 0, 10_000);
        await projection.stop();
        void errors;
        const { rows } = await store.transaction((tx) =>
          tx.query<{ type: string; n: number }>(`SELECT type, n FROM ${table} ORDER BY type`),
        );
        expect(rows).toEqual([
          { type: 'Poison', n: 1 },
          { type: 'X', n: 2 },
        ]);
        expect(failures).toBe(2);
        const checkpoint = await store.loadCheckpoint(`counts-${tag}`);
        const last = (await store.readStream(`${category}-1`))[2];
        expect(checkpoint).toEqual({ transactionId: last.transactionId, globalPosition: last.globalPosition });
      });
    });

    describe('upcasting', () => {
      it('is covered by the registry unit spec; stored schemaVersion is kept on read', async () => {
        const stream = `up-${randomUUID()}`;
        await store.append(stream, [{ ...newEvent('Versioned'), schemaVersion: 2 }]);
        expect((await store.readStream(stream))[0].schemaVersion).toBe(2);
      });
    });
  });
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}
