import { Client, Pool, type PoolConfig } from 'pg';
import type { SqlExecutor } from './types';

/** The database underneath the event store: PostgreSQL through `pg`, or PGlite in process. */
export interface SqlDriver extends SqlExecutor {
  readonly backend: 'postgres' | 'pglite';
  /** Like `query`, as a named prepared statement where the backend has them (PostgreSQL). */
  queryPrepared<R>(name: string, sql: string, params: unknown[]): Promise<{ rows: R[]; rowCount: number }>;
  /** Runs several statements without parameters. */
  exec(sql: string): Promise<void>;
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Holds a lock named `key` for as long as `fn` runs; `acquired: false` when another holder has it. */
  tryWithLock<T>(key: string, fn: (signal: AbortSignal) => Promise<T>): Promise<{ acquired: boolean; result?: T }>;
  close(): Promise<void>;
}

export interface PostgresDriverOptions {
  connectionString: string;
  poolSize?: number;
  applicationName?: string;
}

export class PostgresDriver implements SqlDriver {
  readonly backend = 'postgres' as const;
  private readonly pool: Pool;
  private readonly config: PoolConfig;

  constructor(options: PostgresDriverOptions) {
    this.config = {
      connectionString: options.connectionString,
      application_name: options.applicationName ?? 'fleetwarden',
    };
    this.pool = new Pool({ ...this.config, max: options.poolSize ?? 10 });
    // An idle client that loses its connection must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  async query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number }> {
    const res = await this.pool.query(sql, params);
    return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
  }

  async queryPrepared<R>(name: string, sql: string, params: unknown[]): Promise<{ rows: R[]; rowCount: number }> {
    const res = await this.pool.query({ name, text: sql, values: params });
    return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const tx: SqlExecutor = {
        async query<R>(sql: string, params?: unknown[]) {
          const res = await client.query(sql, params);
          return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
        },
      };
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError;
      }
      throw err;
    } finally {
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  async tryWithLock<T>(
    key: string,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ acquired: boolean; result?: T }> {
    const client = new Client(this.config);
    const lost = new AbortController();
    client.on('error', (err) => lost.abort(err));
    client.on('end', () => lost.abort(new Error(`lock connection for "${key}" closed`)));
    await client.connect();
    try {
      const { rows } = await client.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok',
        [key],
      );
      if (!rows[0].ok) return { acquired: false };
      const result = await fn(lost.signal);
      return { acquired: true, result };
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

interface PGliteLike {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
  transaction<T>(fn: (tx: { query: PGliteLike['query'] }) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * PGlite: PostgreSQL compiled to WASM, in this process, persisted to `dataDir` (in memory
 * when none). One backend: calls are queued, so locks are process-local.
 */
export class PgliteDriver implements SqlDriver {
  readonly backend = 'pglite' as const;
  private readonly locks = new Set<string>();

  private constructor(private readonly db: PGliteLike) {}

  static async open(dataDir?: string): Promise<PgliteDriver> {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create(dataDir ? { dataDir } : {});
    return new PgliteDriver(db as unknown as PGliteLike);
  }

  async query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number }> {
    const res = await this.db.query<R>(sql, params);
    return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
  }

  queryPrepared<R>(_name: string, sql: string, params: unknown[]): Promise<{ rows: R[]; rowCount: number }> {
    return this.query<R>(sql, params);
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) =>
      fn({
        async query<R>(sql: string, params?: unknown[]) {
          const res = await tx.query<R>(sql, params);
          return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
        },
      }),
    );
  }

  async tryWithLock<T>(
    key: string,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ acquired: boolean; result?: T }> {
    if (this.locks.has(key)) return { acquired: false };
    this.locks.add(key);
    try {
      return { acquired: true, result: await fn(new AbortController().signal) };
    } finally {
      this.locks.delete(key);
    }
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
