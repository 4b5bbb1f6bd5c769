import type { LoggerService } from '@nestjs/common';
import type {
  AgentCancelCommand,
  AgentProgressMessage,
  AgentUpdateCommand,
  UpdateComponent,
  UpdatePhase,
} from '@fleetwarden/execution-contracts';
import type { ProductVersions } from '@fleetwarden/inventory-contracts';
import type { Clock } from '@fleetwarden/shared-domain';
import { AgentJobs, type AgentCommandReply } from '../common/agent-jobs';
import { JobLog } from '../common/job-log';
import type { AgentUpdateConfig, ComponentUpdateCommands } from './agent-config';
import { runShellCommand, type ShellCommandResult } from './shell-command';

const LOG_CONTEXT = 'agent-update';

type WorkPhase = 'downloading' | 'installing' | 'restarting' | 'validating';

/** The phases that run commands, in order: the command of each, and the timeout that bounds it. */
const STEPS: ReadonlyArray<{
  phase: WorkPhase;
  command: keyof ComponentUpdateCommands;
  timeout: keyof AgentUpdateCommand['timeouts'];
}> = [
  { phase: 'downloading', command: 'download', timeout: 'downloadSec' },
  { phase: 'installing', command: 'install', timeout: 'installSec' },
  { phase: 'restarting', command: 'restart', timeout: 'restartSec' },
  { phase: 'validating', command: 'validate', timeout: 'validateSec' },
];

export interface UpdateExecutorOptions {
  serverId: string;
  /** The config's update commands (none: every update is refused). */
  update: AgentUpdateConfig | undefined;
  /** Clock of `sentAt`. */
  clock: Clock;
  /** Queues one progress message (the publisher stores it in order, retrying). */
  publish(message: AgentProgressMessage): void;
  /** The product versions the probes see now. */
  probeVersions(): Promise<ProductVersions>;
  /** Called after every job that ran commands (the agent re-probes and reports what changed). */
  afterJob?(): void;
  logger: LoggerService;
  /** Between SIGTERM and SIGKILL of a command being stopped, in ms (default 1000). */
  killGraceMs?: number;
}

interface Run {
  command: AgentUpdateCommand;
  log: JobLog;
  abort: AbortController;
  /** Why it was stopped from outside (`cancelled`, `agent stopped`). */
  stopReason?: string;
  done: Promise<void>;
}

class JobFailed extends Error {
  constructor(
    readonly error: string,
    readonly validation?: { passed: false; detail: string },
  ) {
    super(error);
  }
}

/**
 * Runs the update jobs of a real server, one at a time: for each phase, the phase's command of
 * every component of the job (in the job's order), all within the phase's timeout. Progress of
 * each phase is published when it begins, with the log lines since the previous message.
 */
export class UpdateExecutor {
  private readonly jobs = new AgentJobs();
  private current: Run | undefined;

  constructor(private readonly options: UpdateExecutorOptions) {}

  /** Decides a command and starts what it asks for; the reply is ready at once. */
  handle(command: AgentUpdateCommand | AgentCancelCommand): AgentCommandReply {
    if (command.type === 'cancel') {
      const decision = this.jobs.decideCancel(command);
      if (!decision.stop) return decision.reply;
      this.stopCurrent('cancelled');
      return { ok: true, jobId: command.jobId };
    }
    const decision = this.jobs.decideUpdate(command);
    if (!decision.run) return decision.reply;
    const missing = command.components.find((c) => !this.options.update?.components[c.component]);
    if (missing) return { ok: false, error: `no update commands configured for ${missing.component}` };
    this.jobs.start(command, new Date());
    const run: Run = { command, log: new JobLog(), abort: new AbortController(), done: Promise.resolve() };
    this.current = run;
    run.done = this.execute(run).catch((err: unknown) => {
      this.options.logger.error(`job ${command.jobId} crashed: ${(err as Error)?.stack ?? String(err)}`, LOG_CONTEXT);
    });
    return { ok: true, jobId: command.jobId };
  }

  /** The job running now. */
  get running(): string | undefined {
    return this.jobs.running?.jobId;
  }

  /** Stops the running job (it ends `failed` with `reason`) and waits for it. */
  async stop(reason = 'agent stopped'): Promise<void> {
    const run = this.current;
    if (!run) return;
    this.stopCurrent(reason);
    await run.done;
  }

  private stopCurrent(reason: string): void {
    const run = this.current;
    if (!run || run.stopReason) return;
    run.stopReason = reason;
    run.abort.abort();
  }

  private async execute(run: Run): Promise<void> {
    const { command, log } = run;
    log.add(
      `accepted job ${command.jobId} (task ${command.taskId}, attempt ${command.attempt}): ${command.components
        .map((c) => `${c.component} ${c.version}`)
        .join(', ')}`,
    );
    this.send(run, 'accepted');
    try {
      for (const step of STEPS) {
        this.checkStopped(run);
        this.jobs.advance(command.jobId, step.phase);
        this.send(run, step.phase);
        await this.runStep(run, step);
      }
      this.checkStopped(run);
      const versions = await this.probedVersions(run);
      this.checkStopped(run);
      this.end(run, 'completed', {
        versions,
        validation: {
          passed: true,
          detail: `validate exited 0 for ${command.components.map((c) => c.component).join(', ')}`,
        },
      });
    } catch (err) {
      if (!(err instanceof JobFailed)) throw err;
      const outcome = run.stopReason === 'cancelled' ? 'cancelled' : 'failed';
      this.end(run, outcome, {
        error: err.error,
        ...(err.validation ? { validation: err.validation } : {}),
      });
    } finally {
      if (this.current === run) this.current = undefined;
      this.options.afterJob?.();
    }
  }

  private async runStep(run: Run, step: (typeof STEPS)[number]): Promise<void> {
    const { command, log } = run;
    const deadline = performance.now() + command.timeouts[step.timeout] * 1000;
    for (const { component, version } of command.components) {
      const text = this.options.update?.components[component]?.[step.command];
      if (!text) continue;
      const result = await runShellCommand(text, {
        cwd: this.options.update?.workDir ?? process.cwd(),
        env: {
          FLEETWARDEN_COMPONENT: component,
          FLEETWARDEN_VERSION: version,
          FLEETWARDEN_JOB_ID: command.jobId,
          FLEETWARDEN_PHASE: step.phase,
        },
        onLine: (line) => log.add(line),
        timeoutMs: deadline - performance.now(),
        signal: run.abort.signal,
        killGraceMs: this.options.killGraceMs,
      });
      this.checkStopped(run);
      this.checkResult(run, result, step, component);
    }
  }

  private checkResult(
    run: Run,
    result: ShellCommandResult,
    step: (typeof STEPS)[number],
    component: UpdateComponent,
  ): void {
    const what = `${step.command} of ${component}`;
    let error: string;
    switch (result.kind) {
      case 'exited':
        if (result.code === 0) return;
        error = `${what} exited with code ${result.code}`;
        break;
      case 'signalled':
        error = `${what} was killed by ${result.signal}`;
        break;
      case 'timed-out':
        run.log.add(
          `fleetwarden: ${what} killed: ${step.phase} took longer than ${run.command.timeouts[step.timeout]} s`,
        );
        throw new JobFailed(`timed out while ${step.phase}`);
      case 'aborted':
        throw new JobFailed(run.stopReason ?? 'cancelled');
      case 'not-started':
        error = `${what} could not start: ${result.error.message}`;
        break;
    }
    run.log.add(`fleetwarden: ${error}`);
    if (step.phase === 'validating') {
      throw new JobFailed(`validation failed: ${error}`, { passed: false, detail: error });
    }
    throw new JobFailed(error);
  }

  private checkStopped(run: Run): void {
    if (run.stopReason) throw new JobFailed(run.stopReason);
  }

  /** The job's components at the versions the probes now see (the commanded one when no probe tells). */
  private async probedVersions(run: Run): Promise<NonNullable<AgentProgressMessage['versions']>> {
    let probed: ProductVersions;
    try {
      probed = await this.options.probeVersions();
    } catch (err) {
      run.log.add(`fleetwarden: version probe failed: ${(err as Error).message}`);
      throw new JobFailed(`validated, but the version probe failed: ${(err as Error).message}`);
    }
    return run.command.components.map(({ component, version }) => {
      const seen =
        component === 'server-image'
          ? probed.serverVersion
          : component === 'web-apps'
            ? probed.webAppsVersion
            : undefined;
      return { component, version: seen ?? version };
    });
  }

  private end(
    run: Run,
    outcome: 'completed' | 'failed' | 'cancelled',
    extra: Partial<Pick<AgentProgressMessage, 'error' | 'versions' | 'validation'>>,
  ): void {
    if (extra.error !== undefined) extra.error = clip(extra.error);
    if (extra.validation) extra.validation = { ...extra.validation, detail: clip(extra.validation.detail) };
    this.jobs.finish(run.command.jobId, outcome, new Date(), extra.error);
    this.send(run, outcome === 'completed' ? 'completed' : 'failed', extra);
    this.options.logger.log(`job ${run.command.jobId} ${outcome}${extra.error ? `: ${extra.error}` : ''}`, LOG_CONTEXT);
  }

  private send(
    run: Run,
    phase: UpdatePhase,
    extra: Partial<Pick<AgentProgressMessage, 'error' | 'versions' | 'validation'>> = {},
  ): void {
    this.options.publish({
      serverId: this.options.serverId,
      jobId: run.command.jobId,
      phase,
      sentAt: this.options.clock.now().toISOString(),
      ...extra,
      log: run.log.take(),
    });
  }
}

/** The contract's limit of `error` and `validation.detail`. */
const MAX_TEXT = 2000;

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}
