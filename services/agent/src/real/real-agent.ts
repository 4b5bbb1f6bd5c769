import * as fs from 'node:fs';
import type { LoggerService } from '@nestjs/common';
import { credsAuthenticator, type Msg, type NatsConnection, type Status, type Subscription } from '@nats-io/nats-core';
import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { Subjects } from '@fleetwarden/contracts';
import { AgentCommand } from '@fleetwarden/execution-contracts';
import { AgentControl } from '@fleetwarden/redundancy-contracts';
import { connectNats, NatsUnreachableError } from '@fleetwarden/messaging';
import { DependencyError, redactUrl } from '@fleetwarden/platform';
import type { Clock } from '@fleetwarden/shared-domain';
import { parseAgentCommand } from '../common/agent-jobs';
import { AgentPublisher, buildHello, type AgentPublisherOptions, type AgentSnapshot } from '../common/agent-publisher';
import { AgentConfigError, type AgentConfig, type NatsCredentials } from './agent-config';
import { answerHaCheck } from './ha-check';
import { parseControlRequest, type PairControlReply } from './pair-control';
import { createProbes, type AgentProbes } from './probes';
import { PatchInstaller } from './patch-installer';
import { RedundancyMember } from './redundancy-member';
import { diffSnapshots } from './snapshot-diff';
import { UpdateExecutor } from './update-executor';

const LOG_CONTEXT = 'agent';

export interface RealAgentOptions {
  config: AgentConfig;
  agentVersion: string;
  logger: LoggerService;
  /** An open connection to use (left open by `stop`); default: connect with the config's URL and credentials. */
  connection?: NatsConnection;
  /** Clock of `sentAt` (default: the system clock). */
  clock?: Clock;
  /** How many times faster than real time `clock` runs (default 1): the interval is clock time. */
  speed?: number;
  /** Default: the manifest, files directory and host probes of the config. */
  probes?: AgentProbes;
  /** Retry timing of progress publishes (default: 100 ms doubling up to 5 s). */
  publisher?: Pick<AgentPublisherOptions, 'retryInitialMs' | 'retryMaxMs' | 'publishTimeoutMs'>;
  /** Between SIGTERM and SIGKILL of an update command being stopped, in ms (default 1000). */
  killGraceMs?: number;
  /** How long `stop` waits for progress not yet stored, in ms (default 2000). */
  stopGraceMs?: number;
}

/**
 * The agent of one real server: hello on connect and after every reconnect, heartbeats every
 * interval, and a report with the changed parts whenever a re-probe (every N heartbeats) sees a
 * change. It executes `update` and `cancel` commands from `<ns>.agent.<serverId>.cmd` with the
 * config's update commands, publishing progress through JetStream, and re-probes after each job;
 * `install-patches` commands run the config's patch command ({@link PatchInstaller}) and are
 * reported on `<ns>.agent.<serverId>.patches` (refused without one).
 * It answers `ha-check` requests on `<ns>.agent.<serverId>.control` by timing a TCP connect to
 * each peer (see {@link answerHaCheck}). With a `redundancy` section it is a member of a pair: it
 * sends keep-alives and runs the `assume-control` / `release-control` commands (see
 * {@link RedundancyMember}); without one it refuses those requests.
 */
export class RealAgent {
  private readonly probes: AgentProbes;
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private nc: NatsConnection | undefined;
  private ownsConnection = false;
  private publisher: AgentPublisher | undefined;
  /** What the control plane last heard: the hello's snapshot, updated by each report. */
  private sent: AgentSnapshot | undefined;
  private seq = 0;
  private beatsSinceProbe = 0;
  private nextBeatAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<boolean> | undefined;
  private status: AsyncIterable<Status> | undefined;
  private stopped = false;
  private commands: Subscription | undefined;
  private controlRequests: Subscription | undefined;
  private executor: UpdateExecutor | undefined;
  private patchInstaller: PatchInstaller | undefined;
  private redundancy: RedundancyMember | undefined;
  private progressRetries = 0;

  constructor(private readonly options: RealAgentOptions) {
    this.probes = options.probes ?? createProbes(options.config);
    this.clock = options.clock ?? { now: () => new Date() };
    this.intervalMs = (options.config.heartbeatIntervalSec * 1000) / (options.speed ?? 1);
  }

  get serverId(): string {
    return this.options.config.serverId;
  }

  /** Probes (a failing probe fails the start), connects, says hello and starts the heartbeats (and keep-alives). */
  async start(): Promise<void> {
    const snapshot = await this.probes.probe();
    const { config } = this.options;
    this.nc = this.options.connection ?? (await this.connect(config));
    this.ownsConnection = this.options.connection === undefined;
    const subjects = new Subjects(config.namespace);
    const publisher = new AgentPublisher(this.nc, subjects, {
      ...this.options.publisher,
      onProgressRetry: (err, attempt, message) => {
        if (this.progressRetries++ % 100 === 0) {
          this.options.logger.warn(
            `progress ${message.jobId}:${message.phase} not stored yet (attempt ${attempt}), retrying: ${(err as Error).message}`,
            LOG_CONTEXT,
          );
        }
      },
    });
    this.publisher = publisher;
    this.executor = new UpdateExecutor({
      serverId: config.serverId,
      update: config.update,
      clock: this.clock,
      logger: this.options.logger,
      killGraceMs: this.options.killGraceMs,
      publish: (message) => {
        publisher.progress(message).catch((err: unknown) => {
          this.options.logger.error(
            `progress ${message.jobId}:${message.phase} dropped: ${(err as Error).message}`,
            undefined,
            LOG_CONTEXT,
          );
        });
      },
      probeVersions: async () => (await this.probes.probe()).versions,
      // A probe already under way may have started before the job changed anything: probe after it.
      afterJob: () => {
        void (this.probing ?? Promise.resolve(false)).catch(() => false).then(() => this.probeNow());
      },
    });
    this.patchInstaller = new PatchInstaller({
      serverId: config.serverId,
      patches: config.patches,
      clock: this.clock,
      logger: this.options.logger,
      killGraceMs: this.options.killGraceMs,
      publish: (report) => publisher.patchReport(report),
    });
    if (config.redundancy) {
      this.redundancy = new RedundancyMember({
        serverId: config.serverId,
        config: config.redundancy,
        clock: this.clock,
        speed: this.options.speed,
        publish: (message) => publisher.keepAlive(message),
        logger: this.options.logger,
        killGraceMs: this.options.killGraceMs,
      });
    }
    this.commands = this.nc.subscribe(AgentCommand.subject(config.serverId, subjects), {
      callback: (err, msg) => {
        if (err) this.options.logger.warn(`command subscription error: ${err.message}`, LOG_CONTEXT);
        else this.onCommand(msg);
      },
    });
    this.controlRequests = this.nc.subscribe(AgentControl.subject(config.serverId, subjects), {
      callback: (err, msg) => {
        if (err) this.options.logger.warn(`control subscription error: ${err.message}`, LOG_CONTEXT);
        else void this.onControl(msg);
      },
    });
    this.sendHello(snapshot);
    await this.nc.flush();
    this.watchConnection(this.nc);
    this.nextBeatAt = performance.now() + this.intervalMs;
    this.armBeat();
    this.redundancy?.start();
  }

  /**
   * Stops the heartbeats, the keep-alives, a running control command (its request fails) and the
   * running job (it ends `failed`, error `agent stopped`), waits a little for progress not yet
   * stored, and closes the connection if the agent opened it.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    (this.status as { stop?: () => void } | undefined)?.stop?.();
    this.commands?.unsubscribe();
    this.commands = undefined;
    this.controlRequests?.unsubscribe();
    this.controlRequests = undefined;
    await this.redundancy?.stop();
    await this.executor?.stop('agent stopped');
    await this.patchInstaller?.stop();
    await this.probing?.catch(() => undefined);
    if (this.publisher && !(await this.publisher.settle(this.options.stopGraceMs ?? 2000))) {
      this.options.logger.warn(`${this.publisher.pendingProgress} progress message(s) not stored`, LOG_CONTEXT);
    }
    this.publisher?.close();
    if (this.nc && !this.nc.isClosed()) {
      if (this.ownsConnection) await this.nc.drain().catch(() => undefined);
      else await this.nc.flush().catch(() => undefined);
    }
  }

  /** Probes now; sends a report with what changed since the last hello or report. True when one was sent. */
  probeNow(): Promise<boolean> {
    this.probing ??= this.reprobe().finally(() => (this.probing = undefined));
    return this.probing;
  }

  private async reprobe(): Promise<boolean> {
    let next: AgentSnapshot;
    try {
      next = await this.probes.probe();
    } catch (err) {
      this.options.logger.warn(`probe failed, keeping the last report: ${(err as Error).message}`, LOG_CONTEXT);
      return false;
    }
    if (this.stopped || !this.sent || !this.publisher) return false;
    const changes = diffSnapshots(this.sent, next);
    if (!changes) return false;
    try {
      this.publisher.report({ serverId: this.serverId, sentAt: this.clock.now().toISOString(), ...changes });
    } catch (err) {
      this.options.logger.error(`report not sent: ${(err as Error).message}`, undefined, LOG_CONTEXT);
      return false;
    }
    this.sent = next;
    this.options.logger.log(`reported changed ${Object.keys(changes).join(', ')}`, LOG_CONTEXT);
    return true;
  }

  private onCommand(msg: Msg): void {
    if (this.stopped || !this.executor || !this.patchInstaller) return;
    const parsed = parseAgentCommand(msg.string());
    const reply = !parsed.ok
      ? parsed.reply
      : parsed.command.type === 'install-patches'
        ? this.patchInstaller.handle(parsed.command)
        : this.executor.handle(parsed.command);
    if (!reply.ok) this.options.logger.warn(`refused a command: ${reply.error}`, LOG_CONTEXT);
    else if (parsed.ok) this.options.logger.log(`${parsed.command.type} ${reply.jobId}: accepted`, LOG_CONTEXT);
    if (msg.reply) msg.respond(JSON.stringify(reply));
  }

  private async onControl(msg: Msg): Promise<void> {
    if (this.stopped) return;
    const text = msg.string();
    const request = parseControlRequest(text, this.redundancy !== undefined);
    let reply: PairControlReply | Awaited<ReturnType<typeof answerHaCheck>>;
    switch (request.kind) {
      case 'ha-check':
        reply = await answerHaCheck(text, this.clock).catch((err: unknown) => ({
          ok: false as const,
          error: `ha-check failed: ${(err as Error)?.message ?? String(err)}`,
        }));
        if (reply && !reply.ok) this.options.logger.warn(`refused an ha-check: ${reply.error}`, LOG_CONTEXT);
        break;
      case 'pair-control':
        reply = await (this.redundancy as RedundancyMember).control(request.message).catch((err: unknown) => ({
          ok: false as const,
          error: `${request.message.type} failed: ${(err as Error)?.message ?? String(err)}`,
        }));
        break;
      case 'refused':
        reply = { ok: false, error: request.error };
        this.options.logger.warn(`refused a control request: ${request.error}`, LOG_CONTEXT);
        break;
    }
    if (reply !== undefined && msg.reply && !this.stopped) msg.respond(JSON.stringify(reply));
  }

  private sendHello(snapshot: AgentSnapshot): void {
    const { config, agentVersion } = this.options;
    this.publisher?.hello(
      buildHello({
        serverId: config.serverId,
        agentVersion,
        heartbeatIntervalSec: config.heartbeatIntervalSec,
        sentAt: this.clock.now(),
        identity: config.identity,
        snapshot,
      }),
    );
    this.sent = snapshot;
    this.seq = 0;
    this.beatsSinceProbe = 0;
  }

  private armBeat(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.beat(), Math.max(0, this.nextBeatAt - performance.now()));
  }

  private beat(): void {
    if (this.stopped || !this.publisher) return;
    try {
      this.publisher.heartbeat({ serverId: this.serverId, seq: this.seq, sentAt: this.clock.now().toISOString() });
      this.seq++;
    } catch (err) {
      this.options.logger.warn(`heartbeat not sent: ${(err as Error).message}`, LOG_CONTEXT);
    }
    if (++this.beatsSinceProbe >= this.options.config.reprobeEveryHeartbeats) {
      this.beatsSinceProbe = 0;
      void this.probeNow();
    }
    const now = performance.now();
    this.nextBeatAt += this.intervalMs;
    if (this.nextBeatAt < now - this.intervalMs) this.nextBeatAt = now;
    this.armBeat();
  }

  private watchConnection(nc: NatsConnection): void {
    const status = nc.status();
    this.status = status;
    void (async () => {
      for await (const s of status) {
        if (s.type === 'disconnect') {
          this.options.logger.warn(`disconnected from NATS (${s.server}); reconnecting`, LOG_CONTEXT);
        } else if (s.type === 'reconnect') {
          this.options.logger.log(`reconnected to NATS (${s.server}): saying hello again`, LOG_CONTEXT);
          await this.helloAgain();
        }
      }
    })().catch(() => undefined);
  }

  private async helloAgain(): Promise<void> {
    await this.probing?.catch(() => undefined);
    let snapshot = this.sent;
    try {
      snapshot = await this.probes.probe();
    } catch (err) {
      this.options.logger.warn(`probe failed, saying hello with the last snapshot: ${(err as Error).message}`);
    }
    if (this.stopped || !snapshot) return;
    try {
      this.sendHello(snapshot);
    } catch (err) {
      this.options.logger.error(`hello not sent: ${(err as Error).message}`, undefined, LOG_CONTEXT);
    }
  }

  private async connect(config: AgentConfig): Promise<NatsConnection> {
    try {
      return await connectNats({
        url: config.natsUrl,
        name: `agent-${config.serverId}`,
        options: natsAuthOptions(config.credentials),
      });
    } catch (err) {
      const reason = err instanceof NatsUnreachableError && err.cause instanceof Error ? err.cause.message : err;
      throw new DependencyError(
        'AGENT.NATS_UNREACHABLE',
        `NATS is unreachable at ${redactUrl(config.natsUrl)} (natsUrl of the agent config): ${String(
          reason instanceof Error ? reason.message : reason,
        )}`,
        { cause: err },
      );
    }
  }
}

/** Client options for the configured credentials. */
export function natsAuthOptions(credentials: NatsCredentials | undefined): Partial<NodeConnectionOptions> {
  if (!credentials) return {};
  if ('token' in credentials) return { token: credentials.token };
  if ('user' in credentials) return { user: credentials.user, pass: credentials.pass };
  let creds: Uint8Array;
  try {
    creds = fs.readFileSync(credentials.credsFile);
  } catch (err) {
    throw new AgentConfigError(
      `Invalid agent config: credentials.credsFile: cannot read ${credentials.credsFile}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return { authenticator: credsAuthenticator(creds) };
}
