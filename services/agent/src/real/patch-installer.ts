import type { LoggerService } from '@nestjs/common';
import type { Clock } from '@fleetwarden/shared-domain';
import type { AgentCommandReply } from '../common/agent-jobs';
import type { AgentPatchReportMessage } from '../common/agent-publisher';
import { installOf, patchReport, PatchJobLedger, type AgentInstallPatchesCommand } from '../common/patch-jobs';
import type { AgentPatchConfig } from './agent-config';
import { runShellCommand, type ShellCommandResult } from './shell-command';

const LOG_CONTEXT = 'agent-patches';

/** Output lines of a failed install kept for its log message. */
const TAIL_LINES = 20;

export interface PatchInstallerOptions {
  serverId: string;
  /** The config's patch command (none: every `install-patches` is refused). */
  patches: AgentPatchConfig | undefined;
  /** Clock of `installedAt` and `sentAt`. */
  clock: Clock;
  /** Stores one install report (the publisher retries until it is stored). */
  publish(report: AgentPatchReportMessage): Promise<void>;
  logger: LoggerService;
  /** Between SIGTERM and SIGKILL of a command being stopped, in ms (default 1000). */
  killGraceMs?: number;
}

/**
 * Runs the `install-patches` jobs of a real server one after the other: the configured argv with
 * the patch ids appended. An install that exits 0 is reported (`taskId` = job id, `installedAt`
 * = the clock when it ended); a failed one is logged and forgotten, so a redelivery tries again.
 */
export class PatchInstaller {
  private readonly ledger = new PatchJobLedger();
  private readonly abort = new AbortController();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: PatchInstallerOptions) {}

  /** Decides a command; the reply is ready at once, the install runs after those before it. */
  handle(command: AgentInstallPatchesCommand): AgentCommandReply {
    if (!this.options.patches) {
      return {
        ok: false,
        error:
          'install-patches refused: no patch install command configured (patches.installCommand in the agent config)',
      };
    }
    if (this.abort.signal.aborted) return { ok: false, error: 'install-patches refused: the agent is stopping' };
    if (!this.ledger.take(command.jobId)) return { ok: true, jobId: command.jobId };
    this.queue = this.queue.then(() =>
      this.install(command).catch((err: unknown) => {
        this.ledger.forget(command.jobId);
        this.options.logger.error(
          `patch job ${command.jobId} crashed: ${(err as Error)?.stack ?? String(err)}`,
          undefined,
          LOG_CONTEXT,
        );
      }),
    );
    return { ok: true, jobId: command.jobId };
  }

  /** Stops the running install (it is not reported) and waits for the queue to end. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.queue;
  }

  private async install(command: AgentInstallPatchesCommand): Promise<void> {
    const config = this.options.patches as AgentPatchConfig;
    if (this.abort.signal.aborted) {
      this.ledger.forget(command.jobId);
      return;
    }
    const { logger } = this.options;
    logger.log(`patch job ${command.jobId}: installing ${command.patches.length} patch(es)`, LOG_CONTEXT);
    const tail: string[] = [];
    const result = await runShellCommand([...config.installCommand, ...command.patches], {
      cwd: config.workDir,
      env: { FLEETWARDEN_JOB_ID: command.jobId },
      onLine: (line) => {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      },
      timeoutMs: config.timeoutSec * 1000,
      signal: this.abort.signal,
      killGraceMs: this.options.killGraceMs,
    });
    const failure = describeFailure(result, config.timeoutSec);
    if (failure) {
      this.ledger.forget(command.jobId);
      logger.error(
        `patch job ${command.jobId} failed: ${failure}${tail.length ? `; last output: ${tail.join(' | ')}` : ''}`,
        undefined,
        LOG_CONTEXT,
      );
      return;
    }
    const report = patchReport(this.options.serverId, installOf(command), this.options.clock.now());
    logger.log(`patch job ${command.jobId}: installed at ${report.installedAt}`, LOG_CONTEXT);
    await this.options.publish(report).catch((err: unknown) => {
      logger.error(
        `patch report of job ${command.jobId} dropped: ${(err as Error)?.message ?? String(err)}`,
        undefined,
        LOG_CONTEXT,
      );
    });
  }
}

function describeFailure(result: ShellCommandResult, timeoutSec: number): string | undefined {
  switch (result.kind) {
    case 'exited':
      return result.code === 0 ? undefined : `the install command exited with code ${result.code}`;
    case 'signalled':
      return `the install command was killed by ${result.signal}`;
    case 'timed-out':
      return `the install command took longer than ${timeoutSec} s`;
    case 'aborted':
      return 'the agent stopped';
    case 'not-started':
      return `the install command could not start: ${result.error.message}`;
  }
}
