/** Who and why: carried by every event, set by the command that caused it. */
export interface EventMetadata {
  correlationId: string;
  causationId: string | null;
  /** User or system that caused the event (`operator:alice`, `agent:srv-1`, `system:scheduler`). */
  actor: string;
  /** Reseller the event belongs to, when it belongs to one (tenancy filter). */
  reseller: string | null;
  /** ISO-8601 time at which the fact happened, from the injected clock. */
  occurredAt: string;
  [key: string]: unknown;
}

/** An event as a caller hands it to `append`. */
export interface NewEvent<T extends string = string, D = unknown> {
  eventId: string;
  type: T;
  schemaVersion?: number;
  data: D;
  metadata: EventMetadata;
}

/** An event as stored and read back. */
export interface RecordedEvent<T extends string = string, D = unknown> {
  eventId: string;
  type: T;
  schemaVersion: number;
  streamId: string;
  streamVersion: number;
  globalPosition: number;
  /** PostgreSQL transaction id (xid8) of the append, as a decimal string; part of the read position. */
  transactionId: string;
  data: D;
  metadata: EventMetadata;
  recordedAt: string;
}

/**
 * A position in the global log. Events are read in `(transactionId, globalPosition)` order,
 * and only from transactions older than every transaction still running, so a transaction that
 * commits late is never passed over.
 */
export interface LogPosition {
  transactionId: string;
  globalPosition: number;
}

export const START: LogPosition = Object.freeze({ transactionId: '0', globalPosition: 0 });

/** `number`: the stream must be at exactly that version (0: must not exist yet). `'any'`: no check. */
export type ExpectedVersion = number | 'any';

export interface AppendOptions {
  expectedVersion?: ExpectedVersion;
}

export interface AppendResult {
  /** Stream version after the append (of the last event of the batch). */
  nextVersion: number;
  /** Positions of the appended events, in batch order. */
  positions: Array<{ eventId: string; streamVersion: number; globalPosition: number }>;
  /** True when every event was already stored (idempotent re-append): nothing was written. */
  duplicate: boolean;
}

export interface ReadStreamOptions {
  /** First stream version to return (1-based, default 1). */
  fromVersion?: number;
  limit?: number;
}

export interface ReadAllOptions {
  /** Read events after this position (exclusive). Default: the start. */
  fromPosition?: LogPosition;
  limit?: number;
  types?: readonly string[];
  /** Stream category: the part of the stream id before the first `-`. */
  category?: string;
}

export interface ReadAllResult {
  events: RecordedEvent[];
  /** Where the next read should start: the last event returned, or `fromPosition` when none. */
  nextPosition: LogPosition;
}

/** A SQL connection inside a transaction, handed to projection handlers. */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number }>;
}

export interface SubscribeOptions {
  /** Start after this position; default: the start (or the stored checkpoint for projections). */
  fromPosition?: LogPosition;
  types?: readonly string[];
  category?: string;
  batchSize?: number;
  /** How often to look for new events from other processes, in ms (default 100). */
  pollIntervalMs?: number;
}

export interface Subscription {
  /** Resolves when the loop has stopped (after `stop()` or on an unrecoverable error). */
  readonly done: Promise<void>;
  /** Position of the last event handed to the handler. */
  readonly position: LogPosition;
  stop(): Promise<void>;
}

export interface ProjectionOptions extends Omit<SubscribeOptions, 'fromPosition'> {
  /** Stable name; its checkpoint is stored under it. */
  name: string;
  /** Applies one event inside the transaction that also advances the checkpoint. */
  handle(event: RecordedEvent, tx: SqlExecutor): Promise<void>;
}

/** Converts an old event shape to the next version: `(data, event) => newData`. */
export interface Upcaster {
  type: string;
  fromVersion: number;
  upcast(data: unknown, event: RecordedEvent): unknown;
}

export interface EventStore {
  readonly backend: 'postgres' | 'pglite';
  /** Applies pending schema migrations. Called once at start (idempotent). */
  migrate(): Promise<void>;
  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Current version of a stream, 0 when it does not exist. */
  streamVersion(streamId: string): Promise<number>;
  readAll(options?: ReadAllOptions): Promise<ReadAllResult>;
  /** Catch-up from `fromPosition`, then live. The handler is awaited for each event in order. */
  subscribe(handler: (event: RecordedEvent) => Promise<void>, options?: SubscribeOptions): Subscription;
  /** Runs `handle` for each event and stores the checkpoint in the same transaction. */
  runProjection(options: ProjectionOptions): Subscription;
  /** Stored checkpoint of a named reader (projection, relay), START when none. */
  loadCheckpoint(name: string): Promise<LogPosition>;
  saveCheckpoint(name: string, position: LogPosition, tx?: SqlExecutor): Promise<void>;
  /** Runs `fn` in one database transaction. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` while holding a cluster-wide lock named `name` (PostgreSQL advisory lock on a
   * dedicated connection); `fn` gets a signal aborted if the lock's connection is lost.
   * Resolves false without running `fn` when another holder has it.
   */
  tryWithLock<T>(name: string, fn: (signal: AbortSignal) => Promise<T>): Promise<{ acquired: boolean; result?: T }>;
  /** Wait until in-flight appends have finished, then close connections. */
  close(): Promise<void>;
}
