import * as fs from 'node:fs';
import type { LoggerService } from '@nestjs/common';
import { credsAuthenticator, type NatsConnection, type Status } from '@nats-io/nats-core';
import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { Subjects } from '@fleetwarden/contracts';
import { connectNats, NatsUnreachableError } from '@fleetwarden/messaging';
import { DependencyError, redactUrl } from '@fleetwarden/platform';
import type { Clock } from '@fleetwarden/shared-domain';
import { AgentPublisher, buildHello, type AgentSnapshot } from '../common/agent-publisher';
import { AgentConfigError, type AgentConfig, type NatsCredentials } from './agent-config';
import { createProbes, type AgentProbes } from './probes';
import { diffSnapshots } from './snapshot-diff';

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
}

/**
 * The agent of one real server: hello on connect and after every reconnect, heartbeats every
 * interval, and a report with the changed parts whenever a re-probe (every N heartbeats) sees a
 * change.
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

  constructor(private readonly options: RealAgentOptions) {
    this.probes = options.probes ?? createProbes(options.config);
    this.clock = options.clock ?? { now: () => new Date() };
    this.intervalMs = (options.config.heartbeatIntervalSec * 1000) / (options.speed ?? 1);
  }

  get serverId(): string {
    return this.options.config.serverId;
  }

  /** Probes (a failing probe fails the start), connects, says hello and starts the heartbeats. */
  async start(): Promise<void> {
    const snapshot = await this.probes.probe();
    const { config } = this.options;
    this.nc = this.options.connection ?? (await this.connect(config));
    this.ownsConnection = this.options.connection === undefined;
    this.publisher = new AgentPublisher(this.nc, new Subjects(config.namespace));
    this.sendHello(snapshot);
    await this.nc.flush();
    this.watchConnection(this.nc);
    this.nextBeatAt = performance.now() + this.intervalMs;
    this.armBeat();
  }

  /** Stops the heartbeats; closes the connection if the agent opened it. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    (this.status as { stop?: () => void } | undefined)?.stop?.();
    await this.probing?.catch(() => undefined);
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
