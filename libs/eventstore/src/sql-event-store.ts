import { EventEmitter } from 'node:events';
import { ConcurrencyError, EventIdConflictError, InvalidAppendError } from './errors';
import { MIGRATIONS } from './migrations';
import type { SqlDriver } from './sql-driver';
import {
  START,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type LogPosition,
  type NewEvent,
  type ProjectionOptions,
  type ReadAllOptions,
  type ReadAllResult,
  type ReadStreamOptions,
  type RecordedEvent,
  type SqlExecutor,
  type SubscribeOptions,
  type Subscription,
} from './types';
import { UpcasterRegistry } from './upcasting';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const DEFAULT_BATCH = 500;
const UNIQUE_VIOLATION = '23505';

interface EventRow {
  global_position: string | number;
  tx_id: string;
  event_id: string;
  stream_id: string;
  stream_version: string | number;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: RecordedEvent['metadata'];
  recorded_at: Date | string;
}

interface AppendRow {
  o_event_id: string;
  o_stream_version: string | number;
  o_global_position: string | number;
}

export interface SqlEventStoreOptions {
  /** PostgreSQL schema holding the event store's tables (created when missing). */
  schema: string;
  upcasters?: UpcasterRegistry;
  /** Called when a background loop (subscription, projection) hits an error it retries. */
  onError?: (err: unknown, where: string) => void;
}

const EVENT_COLUMNS =
  'global_position, transaction_id::text AS tx_id, event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at';

/** The event store on a SQL driver; PostgreSQL and PGlite run the same SQL. */
export class SqlEventStore implements EventStore {
  readonly backend: 'postgres' | 'pglite';
  private readonly s: string;
  private readonly upcasters: UpcasterRegistry;
  private readonly appended = new EventEmitter();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly subscriptions = new Set<Subscription>();
  private closing = false;
  /** One event: scalar parameters (the common case); no row returned means refused. */
  private readonly appendOneSql: string;
  private readonly appendBatchSql: string;

  constructor(
    private readonly db: SqlDriver,
    private readonly options: SqlEventStoreOptions,
  ) {
    if (!SCHEMA_NAME.test(options.schema)) {
      throw new Error(`Event store schema must match ${SCHEMA_NAME}, got "${options.schema}"`);
    }
    this.backend = db.backend;
    this.s = `"${options.schema}"`;
    this.upcasters = options.upcasters ?? new UpcasterRegistry();
    this.appended.setMaxListeners(0);
    this.appendOneSql = `SELECT ${this.s}.append_event($1, $2, $3, $4, $5, $6, $7) AS r`;
    this.appendBatchSql = `SELECT * FROM ${this.s}.append_events($1, $2, $3::uuid[], $4::text[], $5::int[], $6::jsonb[], $7::jsonb[])`;
  }

  get schema(): string {
    return this.options.schema;
  }

  async migrate(): Promise<void> {
    await this.db.exec(
      `CREATE SCHEMA IF NOT EXISTS ${this.s};
       CREATE TABLE IF NOT EXISTS ${this.s}.schema_migrations (
         version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());`,
    );
    await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${this.options.schema}:migrate`]);
      const { rows } = await tx.query<{ version: number }>(`SELECT version FROM ${this.s}.schema_migrations`);
      const applied = new Set(rows.map((r) => Number(r.version)));
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        for (const statement of splitStatements(m.sql(this.s))) await tx.query(statement);
        await tx.query(`INSERT INTO ${this.s}.schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      }
    });
  }

  append(streamId: string, events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.closing) return Promise.reject(new InvalidAppendError('Event store is closing'));
    const p = this.doAppend(streamId, events, options);
    this.inFlight.add(p);
    const untrack = () => this.inFlight.delete(p);
    p.then(untrack, untrack);
    return p;
  }

  private async doAppend(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const expected = options.expectedVersion ?? 'any';
    validateAppend(streamId, events, expected);
    if (events.length === 0) {
      return { nextVersion: await this.streamVersion(streamId), positions: [], duplicate: false };
    }
    const ids = events.map((e) => e.eventId.toLowerCase());
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.appendOnce(streamId, events, ids, expected);
      } catch (err) {
        // Two appends at version 'any' raced for the same next version: take the new one.
        if (!(err instanceof ConcurrencyError) || expected !== 'any' || attempt >= 20) throw err;
      }
    }
  }

  private async appendOnce(
    streamId: string,
    events: readonly NewEvent[],
    ids: string[],
    expected: number | 'any',
  ): Promise<AppendResult> {
    const expectedParam = expected === 'any' ? -1 : expected;
    let rows: AppendRow[];
    try {
      if (events.length === 1) {
        const [r] = (
          await this.db.queryPrepared<{ r: Array<string | number | null> }>('fw_append_event', this.appendOneSql, [
            streamId,
            expectedParam,
            ids[0],
            events[0].type,
            events[0].schemaVersion ?? 1,
            JSON.stringify(events[0].data ?? null),
            JSON.stringify(events[0].metadata),
          ])
        ).rows;
        rows = r.r[0] === null ? [] : [{ o_event_id: ids[0], o_global_position: r.r[0], o_stream_version: r.r[1]! }];
      } else {
        rows = (
          await this.db.queryPrepared<AppendRow>('fw_append_events', this.appendBatchSql, [
            streamId,
            expectedParam,
            ids,
            events.map((e) => e.type),
            events.map((e) => e.schemaVersion ?? 1),
            events.map((e) => JSON.stringify(e.data ?? null)),
            events.map((e) => JSON.stringify(e.metadata)),
          ])
        ).rows;
      }
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'FW409' && code !== 'FW412' && code !== UNIQUE_VIOLATION) throw err;
      return this.explainRejectedAppend(streamId, ids, expected);
    }
    // A single event that was not written (version check or unique index): find out why.
    if (rows.length === 0) return this.explainRejectedAppend(streamId, ids, expected);
    const positions = rows
      .map((r) => ({
        eventId: r.o_event_id,
        streamVersion: Number(r.o_stream_version),
        globalPosition: Number(r.o_global_position),
      }))
      .sort((x, y) => x.streamVersion - y.streamVersion);
    this.appended.emit('appended');
    return { nextVersion: positions[positions.length - 1].streamVersion, positions, duplicate: false };
  }

  /** Slow path after a refused append: an idempotent repeat, an event-id conflict or a stale version. */
  private async explainRejectedAppend(
    streamId: string,
    ids: string[],
    expected: number | 'any',
  ): Promise<AppendResult> {
    const stored = await this.storedPositions(streamId, ids);
    if (stored) return stored;
    const actual = await this.streamVersion(streamId);
    throw new ConcurrencyError(streamId, expected === 'any' ? -1 : expected, actual);
  }

  /** The original positions when every id of the batch is stored in this stream; null when none is. */
  private async storedPositions(streamId: string, ids: string[]): Promise<AppendResult | null> {
    const { rows } = await this.db.query<{
      event_id: string;
      stream_id: string;
      stream_version: string;
      global_position: string;
    }>(
      `SELECT event_id, stream_id, stream_version, global_position FROM ${this.s}.events WHERE event_id = ANY($1::uuid[])`,
      [ids],
    );
    if (rows.length === 0) return null;
    if (rows.length !== ids.length || rows.some((r) => r.stream_id !== streamId)) {
      throw new EventIdConflictError(
        streamId,
        rows.map((r) => r.event_id),
      );
    }
    const byId = new Map(rows.map((r) => [r.event_id, r]));
    const positions = ids.map((id) => {
      const r = byId.get(id)!;
      return { eventId: id, streamVersion: Number(r.stream_version), globalPosition: Number(r.global_position) };
    });
    return { nextVersion: Math.max(...positions.map((p) => p.streamVersion)), positions, duplicate: true };
  }

  async streamVersion(streamId: string): Promise<number> {
    const { rows } = await this.db.query<{ version: string }>(
      `SELECT coalesce(max(stream_version), 0) AS version FROM ${this.s}.events WHERE stream_id = $1`,
      [streamId],
    );
    return Number(rows[0].version);
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const { rows } = await this.db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${this.s}.events
        WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version LIMIT $3`,
      [streamId, options.fromVersion ?? 1, options.limit ?? null],
    );
    return rows.map((r) => this.toEvent(r));
  }

  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    const from = options.fromPosition ?? START;
    const params: unknown[] = [from.transactionId, from.globalPosition, options.limit ?? DEFAULT_BATCH];
    let filter = '';
    if (options.types?.length) {
      params.push(options.types);
      filter += ` AND type = ANY($${params.length}::text[])`;
    }
    if (options.category) {
      params.push(options.category);
      filter += ` AND category = $${params.length}`;
    }
    const { rows } = await this.db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${this.s}.events
        WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
          AND transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))${filter}
        ORDER BY transaction_id, global_position
        LIMIT $3`,
      params,
    );
    const events = rows.map((r) => this.toEvent(r));
    const last = events[events.length - 1];
    return {
      events,
      nextPosition: last ? { transactionId: last.transactionId, globalPosition: last.globalPosition } : from,
    };
  }

  subscribe(handler: (event: RecordedEvent) => Promise<void>, options: SubscribeOptions = {}): Subscription {
    return this.loop(
      'subscription',
      options,
      async () => options.fromPosition ?? START,
      async (events) => {
        for (const e of events) await handler(e);
      },
    );
  }

  runProjection(options: ProjectionOptions): Subscription {
    const { name, handle } = options;
    return this.loop(
      `projection ${name}`,
      options,
      () => this.loadCheckpoint(name),
      (events, next) =>
        this.db.transaction(async (tx) => {
          for (const e of events) await handle(e, tx);
          await this.saveCheckpoint(name, next, tx);
        }),
      `projection:${name}`,
    );
  }

  /**
   * Catch-up then live: reads batches after the position and hands them to `apply`; when a
   * batch comes back short, waits for an append in this process or the poll interval. With
   * `lockName`, runs only while holding that lock (one instance of N), retrying to take it.
   */
  private loop(
    what: string,
    options: SubscribeOptions,
    start: () => Promise<LogPosition>,
    apply: (events: RecordedEvent[], next: LogPosition) => Promise<void>,
    lockName?: string,
  ): Subscription {
    const batchSize = options.batchSize ?? DEFAULT_BATCH;
    const pollMs = options.pollIntervalMs ?? 100;
    const stopper = new AbortController();
    let position: LogPosition = START;

    const wait = (ms: number) =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.appended.off('appended', done);
          stopper.signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        this.appended.once('appended', done);
        stopper.signal.addEventListener('abort', done, { once: true });
      });

    const follow = async (lost?: AbortSignal) => {
      position = await start();
      while (!stopper.signal.aborted && !lost?.aborted) {
        const batch = await this.readAll({
          fromPosition: position,
          limit: batchSize,
          types: options.types,
          category: options.category,
        });
        if (batch.events.length > 0) {
          await apply(batch.events, batch.nextPosition);
          position = batch.nextPosition;
        }
        if (batch.events.length < batchSize) await wait(pollMs);
      }
    };

    const run = async () => {
      while (!stopper.signal.aborted) {
        try {
          if (!lockName) return await follow();
          const { acquired } = await this.db.tryWithLock(`${this.options.schema}:${lockName}`, follow);
          if (!acquired) await sleep(2000, stopper.signal);
        } catch (err) {
          if (stopper.signal.aborted) return;
          this.options.onError?.(err, what);
          await sleep(Math.min(5000, pollMs * 10), stopper.signal);
        }
      }
    };

    const done = run();
    const sub: Subscription = {
      done,
      get position() {
        return position;
      },
      stop: async () => {
        stopper.abort();
        await done;
        this.subscriptions.delete(sub);
      },
    };
    this.subscriptions.add(sub);
    return sub;
  }

  async loadCheckpoint(name: string): Promise<LogPosition> {
    const { rows } = await this.db.query<{ transaction_id: string; global_position: string }>(
      `SELECT transaction_id::text AS transaction_id, global_position FROM ${this.s}.checkpoints WHERE name = $1`,
      [name],
    );
    return rows.length
      ? { transactionId: rows[0].transaction_id, globalPosition: Number(rows[0].global_position) }
      : START;
  }

  async saveCheckpoint(name: string, position: LogPosition, tx: SqlExecutor = this.db): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.s}.checkpoints (name, transaction_id, global_position, updated_at)
       VALUES ($1, $2::xid8, $3, now())
       ON CONFLICT (name) DO UPDATE
         SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position, updated_at = now()`,
      [name, position.transactionId, position.globalPosition],
    );
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  tryWithLock<T>(name: string, fn: (signal: AbortSignal) => Promise<T>): Promise<{ acquired: boolean; result?: T }> {
    return this.db.tryWithLock(`${this.options.schema}:${name}`, fn);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled([...this.subscriptions].map((s) => s.stop()));
    await this.db.close();
  }

  private toEvent(r: EventRow): RecordedEvent {
    const event: RecordedEvent = {
      eventId: r.event_id,
      type: r.type,
      schemaVersion: Number(r.schema_version),
      streamId: r.stream_id,
      streamVersion: Number(r.stream_version),
      globalPosition: Number(r.global_position),
      transactionId: r.tx_id,
      data: r.data,
      metadata: r.metadata,
      recordedAt: (r.recorded_at instanceof Date ? r.recorded_at : new Date(r.recorded_at)).toISOString(),
    };
    return this.upcasters.size ? this.upcasters.apply(event) : event;
  }
}

function validateAppend(streamId: string, events: readonly NewEvent[], expected: number | 'any'): void {
  if (typeof streamId !== 'string' || streamId.length === 0 || streamId.length > 200) {
    throw new InvalidAppendError('streamId must be a non-empty string of at most 200 characters');
  }
  if (expected !== 'any' && (!Number.isSafeInteger(expected) || expected < 0)) {
    throw new InvalidAppendError(`expectedVersion must be 'any' or an integer >= 0, got ${String(expected)}`);
  }
  const seen = new Set<string>();
  for (const [i, e] of events.entries()) {
    if (typeof e.eventId !== 'string' || !UUID.test(e.eventId)) {
      throw new InvalidAppendError(`events[${i}].eventId must be a UUID`);
    }
    if (seen.has(e.eventId.toLowerCase()))
      throw new InvalidAppendError(`events[${i}].eventId is repeated in the batch`);
    seen.add(e.eventId.toLowerCase());
    if (typeof e.type !== 'string' || e.type.length === 0)
      throw new InvalidAppendError(`events[${i}].type is required`);
    if (e.schemaVersion !== undefined && (!Number.isInteger(e.schemaVersion) || e.schemaVersion < 1)) {
      throw new InvalidAppendError(`events[${i}].schemaVersion must be an integer >= 1`);
    }
    if (!e.metadata || typeof e.metadata !== 'object')
      throw new InvalidAppendError(`events[${i}].metadata is required`);
  }
}

/** Splits a migration into statements, keeping dollar-quoted function bodies whole. */
function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let current = '';
  let inDollar = false;
  for (const line of sql.split('\n')) {
    if (line.trim().startsWith('--') && !inDollar) continue;
    current += line + '\n';
    const marks = line.match(/\$fn\$/g)?.length ?? 0;
    if (marks % 2 === 1) inDollar = !inDollar;
    if (!inDollar && line.trim().endsWith(';')) {
      out.push(current.trim());
      current = '';
    }
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
