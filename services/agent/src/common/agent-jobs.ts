import {
  AgentCommand,
  type AgentCancelCommand,
  type AgentCommandMessage,
  type AgentUpdateCommand,
  type UpdatePhase,
} from '@fleetwarden/execution-contracts';

/**
 * Reply of an agent to a request on `<ns>.agent.<serverId>.cmd`: `{ ok: true, jobId }` when it
 * took the command (or already had it), else `{ ok: false, error }` saying why not.
 */
export type AgentCommandReply = { ok: true; jobId: string } | { ok: false; error: string };

/** How a job an agent ran ended, or `running`. */
export type JobOutcome = 'running' | 'completed' | 'failed' | 'cancelled';

/** One update job an agent started. */
export interface JobRecord {
  jobId: string;
  taskId: string;
  attempt: number;
  /** Real time the agent accepted it (ISO). */
  startedAt: string;
  /** The phase it is in, or ended in (`completed`, `failed`). */
  phase: UpdatePhase;
  outcome: JobOutcome;
  /** Real time it ended (ISO). */
  finishedAt?: string;
  error?: string;
}

/** What to do with an `update`: run it, or just send the reply. */
export type UpdateDecision =
  | { run: true }
  | { run: false; reply: AgentCommandReply; /** The job id was already known: a redelivery. */ duplicate: boolean };

/** What to do with a `cancel`: stop the running job (then reply ok), or just send the reply. */
export type CancelDecision = { stop: true; job: JobRecord } | { stop: false; reply: AgentCommandReply };

/** Phases a job can still be cancelled in: not yet past installing. */
export const CANCELLABLE_PHASES: ReadonlySet<UpdatePhase> = new Set(['accepted', 'downloading', 'installing']);

/** Parses the body of a command request; an invalid one gives the reply that names the field at fault. */
export function parseAgentCommand(
  data: string,
): { ok: true; command: AgentCommandMessage } | { ok: false; reply: AgentCommandReply } {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (err) {
    return { ok: false, reply: { ok: false, error: `command is not JSON: ${(err as Error).message}` } };
  }
  try {
    return { ok: true, command: AgentCommand.parse(value) };
  } catch (err) {
    return { ok: false, reply: { ok: false, error: (err as Error).message } };
  }
}

export interface AgentJobsOptions {
  /** Finished jobs remembered for idempotency (default 1000); older ones are forgotten. */
  keep?: number;
}

/**
 * The update jobs of one agent: at most one runs at a time, a job id is executed at most once
 * (a redelivered `update` is answered again but not run again), and cancels are decided from the
 * phase the job is in.
 */
export class AgentJobs {
  private readonly jobs = new Map<string, JobRecord>();
  private current: JobRecord | undefined;
  private duplicateCount = 0;
  private readonly keep: number;

  constructor(options: AgentJobsOptions = {}) {
    this.keep = options.keep ?? 1000;
  }

  /** The job running now, if any. */
  get running(): Readonly<JobRecord> | undefined {
    return this.current;
  }

  /** `update` commands for a job id it already had: answered, not run. */
  get duplicates(): number {
    return this.duplicateCount;
  }

  /** Every remembered job, oldest first (copies). */
  list(): JobRecord[] {
    return [...this.jobs.values()].map((job) => ({ ...job }));
  }

  get(jobId: string): Readonly<JobRecord> | undefined {
    return this.jobs.get(jobId);
  }

  /** Decides an `update`; when it says run, call {@link start} before anything else. */
  decideUpdate(command: AgentUpdateCommand): UpdateDecision {
    if (this.jobs.has(command.jobId)) {
      this.duplicateCount++;
      return { run: false, reply: { ok: true, jobId: command.jobId }, duplicate: true };
    }
    if (this.current) {
      return { run: false, reply: { ok: false, error: `busy: job ${this.current.jobId} running` }, duplicate: false };
    }
    return { run: true };
  }

  /** Records an accepted update as running. */
  start(command: AgentUpdateCommand, now: Date): JobRecord {
    if (this.current) throw new Error(`job ${this.current.jobId} is still running`);
    const job: JobRecord = {
      jobId: command.jobId,
      taskId: command.taskId,
      attempt: command.attempt,
      startedAt: now.toISOString(),
      phase: 'accepted',
      outcome: 'running',
    };
    this.jobs.set(job.jobId, job);
    this.current = job;
    this.forgetOld();
    return job;
  }

  /** The running job entered `phase`. */
  advance(jobId: string, phase: UpdatePhase): void {
    const job = this.jobs.get(jobId);
    if (job && job.outcome === 'running') job.phase = phase;
  }

  /** The running job ended. */
  finish(jobId: string, outcome: Exclude<JobOutcome, 'running'>, now: Date, error?: string): void {
    const job = this.jobs.get(jobId);
    if (!job || job.outcome !== 'running') return;
    job.outcome = outcome;
    job.phase = outcome === 'completed' ? 'completed' : 'failed';
    job.finishedAt = now.toISOString();
    if (error !== undefined) job.error = error;
    if (this.current === job) this.current = undefined;
  }

  /** Decides a `cancel`: a running job not yet past installing is stopped; the rest get their reply. */
  decideCancel(command: AgentCancelCommand): CancelDecision {
    const job = this.jobs.get(command.jobId);
    if (!job) return { stop: false, reply: { ok: false, error: `unknown job ${command.jobId}` } };
    if (job.outcome === 'cancelled') return { stop: false, reply: { ok: true, jobId: job.jobId } };
    if (job.outcome !== 'running') {
      return { stop: false, reply: { ok: false, error: `too late: job ${job.jobId} already ${job.outcome}` } };
    }
    if (!CANCELLABLE_PHASES.has(job.phase)) {
      return { stop: false, reply: { ok: false, error: `too late: job ${job.jobId} is ${job.phase}` } };
    }
    return { stop: true, job: { ...job } };
  }

  private forgetOld(): void {
    if (this.jobs.size <= this.keep) return;
    for (const [jobId, job] of this.jobs) {
      if (this.jobs.size <= this.keep) break;
      if (job.outcome !== 'running') this.jobs.delete(jobId);
    }
  }
}
