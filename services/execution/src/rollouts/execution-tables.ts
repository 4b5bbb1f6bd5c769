import type { EventStore, SqlExecutor } from '@fleetwarden/eventstore';

/** Names of the execution service's own tables in `schema`. */
export function executionTables(schema: string) {
  return {
    /** Tasks as the scheduling events describe them, and where their rollout stands. */
    tasks: `${schema}.execution_tasks`,
    /** Whether each server's agent is connected, from the inventory events. */
    presence: `${schema}.execution_presence`,
    /** Redundancy pairs and the member in control, from the redundancy events. */
    pairs: `${schema}.execution_pairs`,
  };
}

/** Where a task stands for the execution service. */
export type ExecutionTaskStatus = 'scheduled' | 'running' | 'finished';

/** Creates the execution service's tables when missing (every instance, at start). */
export async function ensureExecutionTables(store: EventStore, schema: string): Promise<void> {
  const t = executionTables(schema);
  await store.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${schema}:execution-tables`]);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${t.tasks} (
      task_id text PRIMARY KEY,
      tenant text,
      server_ids jsonb NOT NULL,
      versions jsonb NOT NULL,
      stagger_seconds double precision NOT NULL,
      max_concurrency integer,
      failure_threshold integer,
      maintenance_window jsonb,
      retry_of text,
      attempt integer NOT NULL,
      status text NOT NULL DEFAULT 'scheduled'
    )`);
    await tx.query(
      `CREATE INDEX IF NOT EXISTS execution_tasks_running ON ${t.tasks} (task_id) WHERE status = 'running'`,
    );
    await tx.query(`CREATE TABLE IF NOT EXISTS ${t.pairs} (
      pair_id text PRIMARY KEY,
      primary_server_id text NOT NULL,
      secondary_server_id text NOT NULL,
      active_server_id text NOT NULL,
      position bigint NOT NULL
    )`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${t.presence} (
      server_id text PRIMARY KEY,
      connected boolean NOT NULL,
      position bigint NOT NULL
    )`);
  });
}

/** One statement in its own transaction. */
export function sql<R = Record<string, unknown>>(
  store: EventStore,
  text: string,
  params: unknown[] = [],
): Promise<{ rows: R[]; rowCount: number }> {
  return store.transaction((tx: SqlExecutor) => tx.query<R>(text, params));
}

/** Records where a task's rollout stands. */
export async function setTaskStatus(
  store: EventStore,
  schema: string,
  taskId: string,
  status: ExecutionTaskStatus,
): Promise<void> {
  await sql(store, `UPDATE ${executionTables(schema).tasks} SET status = $2 WHERE task_id = $1`, [taskId, status]);
}
