import { z } from 'zod';
import type { LoggerService } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  idSchema,
  patchInstallKindSchema,
  patchInstallStarterSchema,
  patchListSchema,
} from '@fleetwarden/compliance-contracts';
import { formatPath, type Subjects } from '@fleetwarden/contracts';
import type { EventStore } from '@fleetwarden/eventstore';
import { AgentCommand } from '@fleetwarden/execution-contracts';
import type { Clock } from '@fleetwarden/shared-domain';

const LOG_CONTEXT = 'patch-dispatcher';

/** One OS-patch install to send to a server's agent as an `install-patches` command. */
export interface PatchJob {
  /** The command's job id; the agent installs a job id once and reports it as `taskId`. */
  jobId: string;
  serverId: string;
  patches: string[];
  startedBy: 'reseller' | 'automated' | 'operations';
  kind: 'regular' | 'urgent' | 'emergency';
  urgentUpdateId: string | null;
  /** Why the job exists (kept with it; not sent to the agent). */
  reason: string;
}

const patchJobSchema = z
  .object({
    jobId: idSchema,
    serverId: idSchema,
    patches: patchListSchema,
    startedBy: patchInstallStarterSchema,
    kind: patchInstallKindSchema,
    urgentUpdateId: idSchema.nullable(),
    reason: z.string().max(2000),
  })
  .strict();

/** What an agent answers to a command. */
const agentReplySchema = z.union([
  z.object({ ok: z.literal(true), jobId: z.string() }).loose(),
  z.object({ ok: z.literal(false), error: z.string() }).loose(),
]);

/** A job handed to {@link PatchDispatcher.enqueue} breaks its shape (the field is named). */
export class InvalidPatchJobError extends Error {
  override name = 'InvalidPatchJobError';
  readonly code = 'COMPLIANCE.INVALID_PATCH_JOB';
}

export interface PatchDispatcherDeps {
  store: EventStore;
  /** PostgreSQL schema of the compliance service's tables. */
  schema: string;
  nc: NatsConnection;
  subjects: Subjects;
  /** Clock of `created_at` and `accepted_at`. */
  clock: Clock;
  logger: LoggerService;
  /** Real ms before a job that was not accepted is sent again (default 5000). */
  retryMs?: number;
  /** How long one request waits for the agent's reply, in ms (default 2000). */
  requestTimeoutMs?: number;
  /** Requests awaiting their reply at once (default 64). */
  concurrency?: number;
  /** Pending jobs read per round (default 5000; those tried least come first). */
  batchSize?: number;
}

interface PendingRow {
  job_id: string;
  server_id: string;
  job: PatchJob;
}

/** Enqueued jobs are inserted this many at a time. */
const INSERT_CHUNK = 1000;

/**
 * Delivers OS-patch jobs to agents, at least once: jobs are stored in
 * `<schema>.compliance_patch_jobs`, and while started (on the leader) every pending job is sent as
 * an `install-patches` request on `<ns>.agent.<serverId>.cmd` until the agent accepts it. A job
 * not accepted (offline agent, timeout, refusal) is sent again after `retryMs`; agents ignore a
 * job id they already have, so a job sent twice is installed once. A restarted dispatcher picks
 * up the pending jobs from the table.
 */
export class PatchDispatcher {
  private readonly table: string;
  private readonly retryMs: number;
  private readonly requestTimeoutMs: number;
  private readonly concurrency: number;
  private readonly batchSize: number;
  /** Real time (performance.now) before which a job that was not accepted is not sent again. */
  private readonly notBefore = new Map<string, number>();
  private loop: Promise<void> | undefined;
  private running = false;
  private wake: (() => void) | undefined;
  private woken = false;

  constructor(private readonly deps: PatchDispatcherDeps) {
    if (!/^[a-z_][a-z0-9_]*$/i.test(deps.schema)) throw new RangeError(`invalid schema name "${deps.schema}"`);
    this.table = `${deps.schema}.compliance_patch_jobs`;
    this.retryMs = deps.retryMs ?? 5000;
    this.requestTimeoutMs = deps.requestTimeoutMs ?? 2000;
    this.concurrency = deps.concurrency ?? 64;
    this.batchSize = deps.batchSize ?? 5000;
  }

  /** Creates the jobs table when missing (every instance, at start). */
  async ensureTables(): Promise<void> {
    await this.deps.store.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${this.deps.schema}:compliance-patch-jobs`]);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
        job_id text PRIMARY KEY,
        server_id text NOT NULL,
        job jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        accepted_at timestamptz,
        last_error text
      )`);
      await tx.query(
        `CREATE INDEX IF NOT EXISTS compliance_patch_jobs_pending ON ${this.table} (attempts, created_at) WHERE accepted_at IS NULL`,
      );
    });
  }

  /**
   * Stores jobs to deliver; a job id already stored is ignored. Returns how many were new. Throws
   * {@link InvalidPatchJobError} naming the field (and stores nothing) when a job is malformed.
   */
  async enqueue(jobs: PatchJob[]): Promise<number> {
    const valid = jobs.map((job, i) => {
      const parsed = patchJobSchema.safeParse(job);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new InvalidPatchJobError(
          `patch job ${i} (${String((job as Partial<PatchJob>)?.jobId)}): ${formatPath(issue.path)}: ${issue.message}`,
        );
      }
      if (parsed.data.kind === 'urgent' && parsed.data.urgentUpdateId === null) {
        throw new InvalidPatchJobError(
          `patch job ${i} (${parsed.data.jobId}): urgentUpdateId: required when kind is urgent`,
        );
      }
      return parsed.data;
    });
    if (valid.length === 0) return 0;
    const createdAt = this.deps.clock.now().toISOString();
    let added = 0;
    await this.deps.store.transaction(async (tx) => {
      for (let i = 0; i < valid.length; i += INSERT_CHUNK) {
        const chunk = valid.slice(i, i + INSERT_CHUNK);
        const result = await tx.query(
          `INSERT INTO ${this.table} (job_id, server_id, job, created_at)
           SELECT j.job_id, j.server_id, j.job, $4::timestamptz
           FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS j(job_id, server_id, job)
           ON CONFLICT (job_id) DO NOTHING`,
          [chunk.map((j) => j.jobId), chunk.map((j) => j.serverId), chunk.map((j) => JSON.stringify(j)), createdAt],
        );
        added += result.rowCount;
      }
    });
    if (added > 0) this.poke();
    return added;
  }

  /** Starts sending pending jobs (call on the leader only); resolves once the loop runs. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops sending; waits for the requests under way. Pending jobs stay stored. */
  async stop(): Promise<void> {
    this.running = false;
    this.poke();
    await this.loop;
    this.loop = undefined;
  }

  /** Jobs not yet accepted by their agent. */
  async pending(): Promise<number> {
    const { rows } = await this.deps.store.transaction((tx) =>
      tx.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table} WHERE accepted_at IS NULL`),
    );
    return Number(rows[0]?.n ?? 0);
  }

  private poke(): void {
    this.woken = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      let waitMs = this.retryMs;
      try {
        waitMs = await this.round();
      } catch (err) {
        this.deps.logger.error(
          `patch dispatch round failed: ${(err as Error)?.message ?? String(err)}`,
          undefined,
          LOG_CONTEXT,
        );
      }
      if (!this.running) break;
      if (this.woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, waitMs));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Sends every pending job that is due; returns how long to wait for the next one due. */
  private async round(): Promise<number> {
    const { rows } = await this.deps.store.transaction((tx) =>
      tx.query<PendingRow>(
        `SELECT job_id, server_id, job FROM ${this.table} WHERE accepted_at IS NULL ORDER BY attempts, created_at LIMIT $1`,
        [this.batchSize],
      ),
    );
    const now = performance.now();
    const due = rows.filter((r) => (this.notBefore.get(r.job_id) ?? 0) <= now);
    let next = this.retryMs;
    for (const r of rows) {
      const at = this.notBefore.get(r.job_id);
      if (at !== undefined && at > now) next = Math.min(next, at - now);
    }
    let index = 0;
    const worker = async () => {
      while (this.running && index < due.length) await this.deliver(due[index++]);
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, due.length) }, worker));
    return due.length > 0 ? Math.min(next, this.retryMs) : next;
  }

  private async deliver(row: PendingRow): Promise<void> {
    const outcome = await this.send(row.server_id, row.job);
    if (outcome.accepted) {
      this.notBefore.delete(row.job_id);
      await this.deps.store.transaction((tx) =>
        tx.query(
          `UPDATE ${this.table} SET attempts = attempts + 1, accepted_at = $2, last_error = NULL WHERE job_id = $1 AND accepted_at IS NULL`,
          [row.job_id, this.deps.clock.now().toISOString()],
        ),
      );
      this.deps.logger.log(`patch job ${row.job_id} accepted by ${row.server_id}`, LOG_CONTEXT);
      return;
    }
    this.notBefore.set(row.job_id, performance.now() + this.retryMs);
    const { rows } = await this.deps.store.transaction((tx) =>
      tx.query<{ attempts: number }>(
        `UPDATE ${this.table} SET attempts = attempts + 1, last_error = $2 WHERE job_id = $1 RETURNING attempts`,
        [row.job_id, outcome.error.slice(0, 2000)],
      ),
    );
    const attempts = rows[0]?.attempts ?? 0;
    // Offline agents are normal: say so on the first failure and then now and then.
    if (attempts === 1 || attempts % 100 === 0) {
      this.deps.logger.warn(
        `patch job ${row.job_id} not accepted by ${row.server_id} (attempt ${attempts}), retrying every ${this.retryMs} ms: ${outcome.error}`,
        LOG_CONTEXT,
      );
    }
  }

  private async send(
    serverId: string,
    job: PatchJob,
  ): Promise<{ accepted: true } | { accepted: false; error: string }> {
    let body: string;
    try {
      body = JSON.stringify(
        AgentCommand.parse({
          type: 'install-patches',
          jobId: job.jobId,
          patches: job.patches,
          startedBy: job.startedBy,
          kind: job.kind,
          urgentUpdateId: job.urgentUpdateId,
        }),
      );
    } catch (err) {
      return { accepted: false, error: `invalid command: ${(err as Error).message}` };
    }
    let raw: string;
    try {
      const reply = await this.deps.nc.request(this.deps.subjects.agent(serverId, 'cmd'), body, {
        timeout: this.requestTimeoutMs,
      });
      raw = reply.string();
    } catch (err) {
      return { accepted: false, error: (err as Error)?.message ?? String(err) };
    }
    let parsed: z.output<typeof agentReplySchema>;
    try {
      parsed = agentReplySchema.parse(JSON.parse(raw));
    } catch {
      return { accepted: false, error: `unreadable reply from agent ${serverId}` };
    }
    if (!parsed.ok) return { accepted: false, error: `refused: ${parsed.error}` };
    if (parsed.jobId !== job.jobId) {
      return { accepted: false, error: `the agent replied for job ${parsed.jobId}, not ${job.jobId}` };
    }
    return { accepted: true };
  }
}
