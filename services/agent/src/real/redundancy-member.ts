import type { LoggerService } from '@nestjs/common';
import type { AgentControlMessage, AgentKeepAliveMessage } from '@fleetwarden/redundancy-contracts';
import type { Clock } from '@fleetwarden/shared-domain';
import { pairControlReply, type PairControlReply } from './pair-control';
import type { AgentRedundancyConfig } from './redundancy-config';
import { runRedundancyProbes, type ProbedRedundancy, type RedundancyState } from './redundancy-probes';
import { runShellCommand } from './shell-command';

const LOG_CONTEXT = 'agent-redundancy';
/** Longest output line of a control command that is logged. */
const MAX_LOGGED_LINE = 2000;

export interface RedundancyMemberOptions {
  serverId: string;
  config: AgentRedundancyConfig;
  /** Clock of `sentAt`. */
  clock: Clock;
  /** How many times faster than real time `clock` runs (default 1): the interval is clock time. */
  speed?: number;
  /** Sends one keep-alive (the publisher checks it against the contract; may throw). */
  publish(message: AgentKeepAliveMessage): void;
  logger: LoggerService;
  /** Between SIGTERM and SIGKILL of a control command being stopped, in ms (default 1000). */
  killGraceMs?: number;
  /** Default: the config's probes ({@link runRedundancyProbes}). */
  probe?: (signal: AbortSignal) => Promise<ProbedRedundancy>;
}

interface ControlRun {
  type: AgentControlMessage['type'];
  reply: Promise<PairControlReply>;
}

/**
 * The redundancy side of a real agent: a keep-alive every interval from the config's probes
 * (one probe run at a time; a run still going when the next is due delays it), and the
 * `assume-control` / `release-control` commands, run one at a time in the order they came. A
 * request of the same type as the last one waiting or running shares its reply. After each
 * command a fresh keep-alive is sent at once, and none from a probe run that began before the
 * command ended: every keep-alive sent after the reply shows what the command did.
 */
export class RedundancyMember {
  private readonly intervalMs: number;
  private readonly aborted = new AbortController();
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private nextAt = 0;
  /** The probe run going on now. */
  private current: Promise<boolean> | undefined;
  /** A probe run waiting for {@link current}. */
  private queued: Promise<boolean> | undefined;
  /** The last control command waiting or running. */
  private controlTail: ControlRun | undefined;
  /** Control commands ended so far: a probe run that overlapped the end of one is stale, and not sent. */
  private controlsEnded = 0;
  /** The state of the last keep-alive sent and its problems, to log changes only. */
  private lastLogged: string | undefined;
  private sendErrors = 0;
  private sent = 0;

  constructor(private readonly options: RedundancyMemberOptions) {
    this.intervalMs = (options.config.keepAliveIntervalSec * 1000) / (options.speed ?? 1);
  }

  /** Keep-alives sent so far. */
  get keepAlivesSent(): number {
    return this.sent;
  }

  /** Sends the first keep-alive now, then one every interval. */
  start(): void {
    const { config } = this.options;
    this.options.logger.log(
      `redundancy: keep-alive every ${config.keepAliveIntervalSec} s, peer ${config.probes.peer}`,
      LOG_CONTEXT,
    );
    this.nextAt = performance.now();
    this.tick();
  }

  /** Stops the keep-alives, kills running probes and control commands (their request fails), and waits for them. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.aborted.abort();
    await Promise.allSettled([this.current, this.queued, this.controlTail?.reply]);
  }

  /**
   * Probes (after the run going on, if any, so that what it reports is at least as new as the
   * call) and sends a keep-alive. True when one was sent. Calls made while a run waits share it.
   */
  sendKeepAlive(): Promise<boolean> {
    this.queued ??= (this.current ?? Promise.resolve(false))
      .catch(() => false)
      .then(() => {
        this.queued = undefined;
        const run = this.probeAndSend();
        this.current = run;
        return run.finally(() => {
          if (this.current === run) this.current = undefined;
        });
      });
    return this.queued;
  }

  /** Runs the command of an `assume-control` / `release-control` request; the reply tells whether it exited 0. */
  control(message: AgentControlMessage): Promise<PairControlReply> {
    const tail = this.controlTail;
    if (tail?.type === message.type) {
      this.options.logger.log(
        `${message.type} (pair ${message.pairId}) joins the one already under way: ${message.reason}`,
        LOG_CONTEXT,
      );
      return tail.reply;
    }
    const reply = (tail?.reply ?? Promise.resolve(undefined))
      .catch(() => undefined)
      .then(() => this.runControl(message));
    const run: ControlRun = { type: message.type, reply };
    this.controlTail = run;
    void reply
      .finally(() => {
        if (this.controlTail === run) this.controlTail = undefined;
      })
      .catch(() => undefined);
    return reply;
  }

  private async runControl(message: AgentControlMessage): Promise<PairControlReply> {
    if (this.stopped) return { ok: false, error: `${message.type} not run: the agent is stopping` };
    const { config, logger } = this.options;
    const command = message.type === 'assume-control' ? config.assumeControl : config.releaseControl;
    logger.log(
      `${message.type} (pair ${message.pairId}, switch ${message.switchId ?? 'none'}): ${message.reason}; running ${command}`,
      LOG_CONTEXT,
    );
    let lastLine: string | undefined;
    const result = await runShellCommand(command, {
      cwd: config.workDir,
      env: {
        FLEETWARDEN_CONTROL: message.type,
        FLEETWARDEN_PAIR_ID: message.pairId,
        FLEETWARDEN_SWITCH_ID: message.switchId ?? '',
        FLEETWARDEN_REASON: message.reason,
      },
      onLine: (line) => {
        if (line.trim().length > 0) lastLine = line;
        logger.log(
          `${message.type}: ${line.length > MAX_LOGGED_LINE ? `${line.slice(0, MAX_LOGGED_LINE)}…` : line}`,
          LOG_CONTEXT,
        );
      },
      timeoutMs: config.controlTimeoutSec * 1000,
      signal: this.aborted.signal,
      killGraceMs: this.options.killGraceMs,
    });
    const reply = pairControlReply(message.type, result, { timeoutSec: config.controlTimeoutSec, lastLine });
    if (reply.ok) logger.log(`${message.type} (pair ${message.pairId}) done`, LOG_CONTEXT);
    else logger.warn(`${message.type} (pair ${message.pairId}) failed: ${reply.error}`, LOG_CONTEXT);
    this.controlsEnded++;
    if (!this.stopped) void this.sendKeepAlive();
    return reply;
  }

  private tick(): void {
    if (this.stopped) return;
    // A run under way (after a control command) stands for this one.
    const run = this.queued ?? this.current ?? this.sendKeepAlive();
    void run
      .catch(() => false)
      .then(() => {
        if (this.stopped) return;
        const now = performance.now();
        this.nextAt += this.intervalMs;
        // More than an interval behind (slow probes, a blocked event loop): carry on from now, no burst.
        if (this.nextAt < now - this.intervalMs) this.nextAt = now;
        this.timer = setTimeout(() => this.tick(), Math.max(0, this.nextAt - now));
      });
  }

  private async probeAndSend(): Promise<boolean> {
    const { config, logger } = this.options;
    const controlsEnded = this.controlsEnded;
    let probed: ProbedRedundancy;
    try {
      probed = await (this.options.probe ?? ((signal) => runRedundancyProbes(config, { signal })))(this.aborted.signal);
    } catch (err) {
      logger.error(
        `redundancy probes failed, no keep-alive: ${(err as Error)?.message ?? String(err)}`,
        undefined,
        LOG_CONTEXT,
      );
      return false;
    }
    // A control command ended meanwhile: what this run saw may be from before it; a fresh run follows.
    if (this.stopped || this.controlsEnded !== controlsEnded) return false;
    try {
      this.options.publish({
        serverId: this.options.serverId,
        sentAt: this.options.clock.now().toISOString(),
        ...probed.state,
      });
    } catch (err) {
      if (this.sendErrors++ % 100 === 0) {
        logger.warn(
          `keep-alive not sent (${this.sendErrors} so far): ${(err as Error)?.message ?? String(err)}`,
          LOG_CONTEXT,
        );
      }
      return false;
    }
    this.sent++;
    this.logChange(probed);
    return true;
  }

  private logChange(probed: ProbedRedundancy): void {
    const line = describeState(probed.state);
    const key = `${line}|${probed.problems.join('|')}`;
    if (key === this.lastLogged) return;
    this.lastLogged = key;
    if (probed.problems.length === 0) this.options.logger.log(`keep-alive: ${line}`, LOG_CONTEXT);
    else this.options.logger.warn(`keep-alive: ${line} (${probed.problems.join('; ')})`, LOG_CONTEXT);
  }
}

/** `in control, switching up, ip-phone up, keep-alive up, replication monitoring, peer reachable` */
export function describeState(state: RedundancyState): string {
  return [
    state.inControl ? 'in control' : 'standing by',
    `switching ${state.switchingService}`,
    `ip-phone ${state.ipPhoneService}`,
    `keep-alive ${state.keepAliveService}`,
    `replication ${state.replicationStatus}`,
    state.peerReachable ? 'peer reachable' : 'peer unreachable',
  ].join(', ');
}
