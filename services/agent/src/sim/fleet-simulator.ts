import type { LoggerService } from '@nestjs/common';
import type { Msg, NatsConnection, Status, Subscription } from '@nats-io/nats-core';
import { Subjects } from '@fleetwarden/contracts';
import type { AgentProgressMessage, AgentUpdateCommand } from '@fleetwarden/execution-contracts';
import type { ProductVersions } from '@fleetwarden/inventory-contracts';
import {
  DEFAULT_KEEPALIVE_INTERVAL_SEC,
  type ReplicationState,
  type ServiceState,
} from '@fleetwarden/redundancy-contracts';
import type { Clock } from '@fleetwarden/shared-domain';
import { parseAgentCommand, type AgentCommandReply } from '../common/agent-jobs';
import { AgentPublisher, buildHello } from '../common/agent-publisher';
import { SimActionRegistry, type SimAction } from './control/sim-actions';
import { SimControlHandler } from './control/sim-control.handler';
import type { SimServerJobs, SimulatorControl } from './control/simulator-control';
import { withVersions, type FleetModel, type ServerProfile } from './fleet-data';
import { PairConfigurator, type PairConfiguratorOptions } from './pair-configurator';
import type { SimRedundancyService } from './pair-member';
import { hash32 } from './prng';
import { SimHaCheck, type SimHaCheckControl } from './sim-ha-check';
import { SimPairs, type SimPairStats, type SimPairView } from './sim-pairs';
import {
  SimPatches,
  type SimPatchControl,
  type SimPatchHistoryEntry,
  type SimPatchInstallRequest,
  type SimPatchStats,
} from './sim-patches';
import { SimUpdates, type SimUpdateStats } from './sim-updates';
import { TimerQueue } from './timer-queue';
import { simFailingServerIds, type SimUpdatePhase } from './update-script';

const LOG_CONTEXT = 'fleet';

/** The mutable state of one simulated agent (its profile is derived from the fleet model). */
export interface VirtualAgent {
  readonly index: number;
  readonly serverId: string;
  /** False while silenced by `stop`. */
  online: boolean;
  /** Its next beat is a hello (first contact, `start`, or after the connection came back). */
  needsHello: boolean;
  /** Heartbeats sent since the last hello (the next heartbeat's `seq`). */
  seq: number;
  /** Bumped to cancel the pending beat. */
  generation: number;
  /** Hellos sent so far. */
  hellos: number;
  /** What it announces after an update changed it (else its profile in the fleet model). */
  profile?: ServerProfile;
  /** Progress of its jobs produced while it was offline: sent when it comes back. */
  held?: AgentProgressMessage[];
}

export interface FleetSimulatorOptions {
  /** The one connection every virtual agent shares (the caller owns and closes it). */
  connection: NatsConnection;
  /** First subject token (`FLEETWARDEN_NAMESPACE`). */
  namespace: string;
  fleet: FleetModel;
  /** The shared fast clock (`sentAt` of every message). */
  clock: Clock;
  /** How many times faster than real time `clock` runs. */
  speed: number;
  /** Heartbeat interval in seconds of clock time, announced in each hello. */
  heartbeatSec: number;
  /**
   * Share of the servers whose first update attempts fail, 0..1: exactly `round(failRate * N)`
   * servers, chosen by the seed ({@link simFailingServerIds}).
   */
  failRate?: number;
  agentVersion: string;
  logger: LoggerService;
  /** Keep-alive interval of the pair members, clock seconds (default 5); also configured on each pair. */
  keepAliveSec?: number;
  /** Retries and timeout of `ConfigurePair` (real ms). */
  configure?: Pick<PairConfiguratorOptions, 'retryInitialMs' | 'retryMaxMs' | 'timeoutMs'>;
  /** Control actions (default: {@link DEFAULT_SIM_ACTIONS}). */
  actions?: readonly SimAction[];
  /** Check every message against its contract before sending it (default true). */
  validate?: boolean;
  /** OS-patch reports awaiting their JetStream ack at once (default 256). */
  patchConcurrency?: number;
  /** Clock seconds an `install-patches` command takes (default 5). */
  patchInstallSec?: number;
}

export interface FleetSimulatorStats {
  servers: number;
  online: number;
  /** Agents that have said hello at least once. */
  greeted: number;
  hellos: number;
  heartbeats: number;
  updates: SimUpdateStats;
  /** Pairs, keep-alives sent, control requests received, pairs configured. */
  pairs: SimPairStats;
  /** OS-patch reports stored, dropped, waiting; `install-patches` commands. */
  patches: SimPatchStats;
}

/**
 * N virtual agents on one NATS connection. Every agent says hello, then sends a heartbeat every
 * interval (`heartbeatSec / speed` real seconds); first contacts are spread over one interval by
 * a deterministic per-server phase, so a large fleet never bursts. Control messages on
 * `<ns>.sim.control` silence and resume single agents, script failures and list jobs.
 *
 * Commands (`update`, `cancel`) arrive on one wildcard subscription `<ns>.agent.*.cmd`; subjects
 * of servers it does not run are ignored, and a silenced server does not answer. Updates run
 * through the phases of their `simUpdateScript`; progress goes through JetStream, and a server
 * that completes one reports its new versions.
 *
 * Members of redundancy pairs are virtual servers like the others, plus a keep-alive service
 * ({@link SimPairs}): keep-alives on `<ns>.agent.<serverId>.keepalive`, control requests on one
 * wildcard subscription `<ns>.agent.*.control`, and each pair configured through `ConfigurePair`.
 * Every server answers `ha-check` requests on that subscription too ({@link SimHaCheck}).
 *
 * Each server's last OS-patch install lies 0-150 days before the start; it reports it after its
 * first hello, and runs `install-patches` commands ({@link SimPatches}).
 */
export class FleetSimulator implements SimulatorControl, SimHaCheckControl, SimPatchControl {
  readonly subjects: Subjects;
  /** Real milliseconds between two heartbeats of one agent. */
  readonly intervalMs: number;
  readonly registry: SimActionRegistry;
  private readonly agents: VirtualAgent[];
  private readonly queue: TimerQueue;
  private readonly publisher: AgentPublisher;
  private readonly control: SimControlHandler;
  private readonly updates: SimUpdates;
  private readonly configurator: PairConfigurator;
  private readonly redundancy: SimPairs;
  private readonly haCheck: SimHaCheck;
  private readonly patches: SimPatches;
  /** Servers whose first update attempts fail (`--fail-rate`). */
  readonly failingServerIds: ReadonlySet<string>;
  private commands: Subscription | undefined;
  private controlRequests: Subscription | undefined;
  private status: AsyncIterable<Status> | undefined;
  private greeted = 0;
  private hellos = 0;
  private heartbeats = 0;
  private startedAt = 0;
  private publishErrors = 0;
  private progressRetries = 0;
  private patchRetries = 0;
  private readonly allGreeted: Promise<void>;
  private resolveAllGreeted!: () => void;

  constructor(private readonly options: FleetSimulatorOptions) {
    const { fleet, speed, heartbeatSec, connection, logger } = options;
    if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be a positive number, got ${speed}`);
    if (!(heartbeatSec > 0) || heartbeatSec > 3600) {
      throw new RangeError(`heartbeatSec must be in (0, 3600], got ${heartbeatSec}`);
    }
    this.subjects = new Subjects(options.namespace);
    this.intervalMs = (heartbeatSec * 1000) / speed;
    this.agents = Array.from({ length: fleet.size }, (_, i) => ({
      index: i + 1,
      serverId: fleet.idOf(i + 1),
      online: false,
      needsHello: true,
      seq: 0,
      generation: 0,
      hellos: 0,
    }));
    this.queue = new TimerQueue({
      onError: (err) => logger.error(`simulator task failed: ${(err as Error)?.message ?? String(err)}`, LOG_CONTEXT),
    });
    this.publisher = new AgentPublisher(connection, this.subjects, {
      validate: options.validate ?? true,
      onProgressRetry: (err, attempt, message) => {
        if (this.progressRetries++ % 1000 === 0) {
          logger.warn(
            `progress ${message.jobId}:${message.phase} of ${message.serverId} not stored yet (attempt ${attempt}, ` +
              `${this.progressRetries} retries so far), retrying: ${(err as Error)?.message ?? String(err)}`,
            LOG_CONTEXT,
          );
        }
      },
      onPatchReportRetry: (err, attempt, message) => {
        if (this.patchRetries++ % 1000 === 0) {
          logger.warn(
            `patch report ${message.serverId}:${message.installedAt} not stored yet (attempt ${attempt}, ` +
              `${this.patchRetries} retries so far), retrying: ${(err as Error)?.message ?? String(err)}`,
            LOG_CONTEXT,
          );
        }
      },
    });
    const failRate = options.failRate ?? 0;
    this.failingServerIds =
      failRate > 0
        ? simFailingServerIds(
            fleet.spec.seed,
            this.agents.map((a) => a.serverId),
            failRate,
          )
        : new Set();
    this.updates = new SimUpdates({
      seed: fleet.spec.seed,
      speed,
      clock: options.clock,
      queue: this.queue,
      failing: this.failingServerIds,
      emit: (message) => this.emitProgress(message),
      installed: (serverId, components) => this.installed(serverId, components),
    });
    this.configurator = new PairConfigurator({
      connection,
      subjects: this.subjects,
      logger,
      pairs: fleet.pairCount,
      ...options.configure,
    });
    this.redundancy = new SimPairs({
      fleet,
      speed,
      keepAliveSec: options.keepAliveSec ?? DEFAULT_KEEPALIVE_INTERVAL_SEC,
      clock: options.clock,
      queue: this.queue,
      publisher: this.publisher,
      configurator: this.configurator,
      online: (id) => this.find(id)?.online ?? false,
      greeted: (id) => (this.find(id)?.hellos ?? 0) > 0,
      logger,
    });
    this.haCheck = new SimHaCheck({
      seed: fleet.spec.seed,
      clock: options.clock,
      known: (id) => this.find(id) !== undefined,
      online: (id) => this.find(id)?.online ?? false,
    });
    this.patches = new SimPatches({
      fleet,
      clock: options.clock,
      speed,
      queue: this.queue,
      publish: (report) => this.publisher.patchReport(report),
      online: (id) => this.find(id)?.online ?? false,
      logger,
      concurrency: options.patchConcurrency,
      installSec: options.patchInstallSec,
    });
    this.registry = new SimActionRegistry(options.actions);
    this.control = new SimControlHandler(connection, this.subjects, this, this.registry, logger);
    this.allGreeted = new Promise((resolve) => (this.resolveAllGreeted = resolve));
  }

  /** `<ns>.sim.control` */
  get controlSubject(): string {
    return this.control.subject;
  }

  /** `<ns>.agent.*.cmd`: the commands of the whole virtual fleet. */
  get commandSubject(): string {
    return `${this.subjects.namespace}.agent.*.cmd`;
  }

  /** `<ns>.agent.*.control`: control requests to the pair members. */
  get pairControlSubject(): string {
    return `${this.subjects.namespace}.agent.*.control`;
  }

  /** Starts listening for control messages and commands, and schedules every agent's first hello. */
  start(): void {
    this.control.start();
    this.commands = this.subscribe(this.commandSubject, 'command', (msg) => this.onCommand(msg));
    this.controlRequests = this.subscribe(this.pairControlSubject, 'control request', (msg) =>
      this.onControlRequest(msg),
    );
    this.watchConnection();
    const now = this.queue.time();
    this.startedAt = now;
    this.patches.start();
    for (const agent of this.agents) {
      agent.online = true;
      this.schedule(agent, now + this.phase(agent));
    }
    const { spec } = this.options.fleet;
    const pairs =
      this.redundancy.size > 0
        ? `; ${this.redundancy.size} pair(s) (${this.redundancy.size * 2} of the servers): keep-alive every ` +
          `${this.options.keepAliveSec ?? DEFAULT_KEEPALIVE_INTERVAL_SEC} s of clock time, configured through ` +
          `${this.configurator.subject} once both members said hello`
        : '';
    this.options.logger.log(
      `simulating ${this.agents.length} servers of ${spec.resellers} resellers ` +
        `(seed ${spec.seed}) on ${this.subjects.namespace}.agent.*: heartbeat every ` +
        `${this.options.heartbeatSec} s of clock time (${formatMs(this.intervalMs)} real at speed ${this.options.speed}); ` +
        `control on ${this.controlSubject}; ${this.failingServerIds.size} server(s) fail their first update attempts` +
        pairs,
      LOG_CONTEXT,
    );
  }

  /**
   * Stops every agent, job and listener; progress not yet stored gets `progressGraceMs` (default
   * 2000) to be. The connection stays open (its owner drains it).
   */
  async stop(progressGraceMs = 2000): Promise<void> {
    this.queue.close();
    this.patches.close();
    this.configurator.stop();
    this.control.stop();
    this.commands?.unsubscribe();
    this.commands = undefined;
    this.controlRequests?.unsubscribe();
    this.controlRequests = undefined;
    (this.status as { stop?: () => void } | undefined)?.stop?.();
    this.status = undefined;
    for (const agent of this.agents) agent.online = false;
    if (!(await this.publisher.settle(progressGraceMs))) {
      this.options.logger.warn(
        `${this.publisher.pendingProgress} progress message(s) not stored before stopping`,
        LOG_CONTEXT,
      );
    }
    this.publisher.close();
    if (!this.options.connection.isClosed()) await this.options.connection.flush().catch(() => undefined);
  }

  /** Resolves once every agent has said hello at least once. */
  whenAllGreeted(): Promise<void> {
    return this.allGreeted;
  }

  stats(): FleetSimulatorStats {
    return {
      servers: this.agents.length,
      online: this.agents.filter((a) => a.online).length,
      greeted: this.greeted,
      hellos: this.hellos,
      heartbeats: this.heartbeats,
      updates: this.updates.stats(),
      pairs: this.redundancy.stats(),
      patches: this.patches.stats(),
    };
  }

  /** Resolves once every server's initial OS-patch report was stored in JetStream. */
  whenInitialPatchesStored(): Promise<void> {
    return this.patches.whenInitialStored();
  }

  /** Resolves once no `ConfigurePair` attempt runs or waits to be retried. */
  whenPairsSettled(): Promise<void> {
    return this.configurator.whenIdle();
  }

  /** A copy of one agent's state, by server id. */
  agent(serverId: string): Readonly<VirtualAgent> | undefined {
    const found = this.find(serverId);
    return found ? { ...found } : undefined;
  }

  /** What a virtual server announces now. */
  profile(serverId: string): ServerProfile | undefined {
    const agent = this.find(serverId);
    return agent ? this.profileOf(agent) : undefined;
  }

  resolve(serverIds: readonly string[]): { known: string[]; unknown: string[] } {
    const known: string[] = [];
    const unknown: string[] = [];
    for (const id of new Set(serverIds)) (this.find(id) ? known : unknown).push(id);
    return { known, unknown };
  }

  silence(serverId: string): boolean {
    const agent = this.find(serverId);
    if (!agent?.online) return false;
    agent.online = false;
    agent.generation++;
    return true;
  }

  resume(serverId: string): boolean {
    const agent = this.find(serverId);
    if (!agent || agent.online) return false;
    agent.online = true;
    agent.needsHello = true;
    agent.generation++;
    this.schedule(agent, this.queue.time());
    const held = agent.held ?? [];
    agent.held = undefined;
    for (const message of held) this.publishProgress(message);
    this.patches.resumed(serverId);
    return true;
  }

  simNow(): Date {
    return this.options.clock.now();
  }

  firstServerIds(count: number): string[] {
    return this.agents.slice(0, Math.max(0, count)).map((a) => a.serverId);
  }

  installPatches(serverId: string, request: SimPatchInstallRequest): boolean {
    return this.patches.install(serverId, request);
  }

  patchHistory(serverIds?: readonly string[]): SimPatchHistoryEntry[] {
    return this.patches.history(serverIds);
  }

  scriptFailure(serverId: string, phase: SimUpdatePhase): boolean {
    return this.find(serverId) ? this.updates.scriptFailure(serverId, phase) : false;
  }

  jobs(serverIds?: readonly string[]): Record<string, SimServerJobs> {
    return this.updates.jobs(serverIds);
  }

  isPairMember(serverId: string): boolean {
    return this.redundancy.isMember(serverId);
  }

  setKeepAlive(serverId: string, sending: boolean): boolean {
    return this.redundancy.setKeepAlive(serverId, sending);
  }

  setService(serverId: string, service: SimRedundancyService, state: ServiceState): boolean {
    return this.redundancy.setService(serverId, service, state);
  }

  forceReplication(serverId: string, state: ReplicationState): boolean {
    return this.redundancy.forceReplication(serverId, state);
  }

  pairs(pairIds?: readonly string[]): { pairs: Record<string, SimPairView>; unknown: string[] } {
    return this.redundancy.view(pairIds);
  }

  setClockSkew(serverId: string, skewMs: number): boolean {
    return this.haCheck.setClockSkew(serverId, skewMs);
  }

  setMessaging(serverId: string, up: boolean): boolean {
    return this.haCheck.setMessaging(serverId, up);
  }

  private subscribe(subject: string, what: string, handle: (msg: Msg) => void): Subscription {
    return this.options.connection.subscribe(subject, {
      callback: (err, msg) => {
        if (err) {
          this.options.logger.warn(`${what} subscription error: ${err.message}`, LOG_CONTEXT);
          return;
        }
        handle(msg);
      },
    });
  }

  /**
   * A control request: `ha-check` to any server, the others to a pair member; a stopped server, or
   * another simulator's, does not answer.
   */
  private onControlRequest(msg: Msg): void {
    const serverId = msg.subject.split('.')[2];
    if (!this.find(serverId)?.online) return;
    const text = msg.string();
    const request = parseJson(text);
    if (SimHaCheck.isHaCheck(request)) {
      if (msg.reply) msg.respond(JSON.stringify(this.haCheck.answer(serverId, request)));
      return;
    }
    const reply = this.redundancy.control(serverId, text) ?? {
      ok: false,
      error: `${serverId} is in no redundancy pair`,
    };
    if (msg.reply) msg.respond(JSON.stringify(reply));
  }

  private onCommand(msg: Msg): void {
    const serverId = msg.subject.split('.')[2];
    const agent = this.find(serverId);
    // Another simulator's server, or one that is offline: no answer.
    if (!agent?.online) return;
    const parsed = parseAgentCommand(msg.string());
    const reply: AgentCommandReply = !parsed.ok
      ? parsed.reply
      : parsed.command.type === 'install-patches'
        ? this.patches.command(serverId, parsed.command)
        : this.updates.handle(serverId, parsed.command);
    if (!parsed.ok && !reply.ok) {
      this.options.logger.warn(`refused a command for ${serverId}: ${reply.error}`, LOG_CONTEXT);
    }
    if (msg.reply) msg.respond(JSON.stringify(reply));
  }

  private emitProgress(message: AgentProgressMessage): void {
    const agent = this.find(message.serverId);
    if (!agent) return;
    if (agent.online) this.publishProgress(message);
    else (agent.held ??= []).push(message);
  }

  private publishProgress(message: AgentProgressMessage): void {
    this.publisher.progress(message).catch((err: unknown) => {
      this.options.logger.error(
        `progress ${message.jobId}:${message.phase} of ${message.serverId} dropped: ${(err as Error)?.message ?? String(err)}`,
        LOG_CONTEXT,
      );
    });
  }

  /** A completed update: the server runs the new versions and reports them (now if online, else in its next hello). */
  private installed(serverId: string, components: readonly AgentUpdateCommand['components'][number][]): void {
    const agent = this.find(serverId);
    if (!agent) return;
    const before = this.profileOf(agent);
    const versions: ProductVersions = { ...before.versions };
    for (const { component, version } of components) {
      if (component === 'server-image') versions.serverVersion = version;
      else if (component === 'web-apps') versions.webAppsVersion = version;
    }
    if (
      versions.serverVersion === before.versions.serverVersion &&
      versions.webAppsVersion === before.versions.webAppsVersion
    ) {
      return;
    }
    const after = withVersions(before, versions, this.options.clock.now().getTime());
    agent.profile = after;
    if (!agent.online) return;
    try {
      this.publisher.report({
        serverId,
        sentAt: this.options.clock.now().toISOString(),
        versions: after.versions,
        files: after.files,
      });
    } catch (err) {
      this.options.logger.error(
        `report of ${serverId} not sent: ${(err as Error)?.message ?? String(err)}`,
        LOG_CONTEXT,
      );
    }
  }

  private profileOf(agent: VirtualAgent): ServerProfile {
    return agent.profile ?? this.options.fleet.server(agent.index);
  }

  private find(serverId: string): VirtualAgent | undefined {
    const index = this.options.fleet.indexOf(serverId);
    return index === undefined ? undefined : this.agents[index - 1];
  }

  /** Deterministic offset of an agent's beats within the interval. */
  private phase(agent: VirtualAgent): number {
    return (hash32(this.options.fleet.spec.seed, 'phase', agent.index) / 4294967296) * this.intervalMs;
  }

  private schedule(agent: VirtualAgent, at: number): void {
    const generation = agent.generation;
    this.queue.at(at, () => this.beat(agent, generation, at));
  }

  private beat(agent: VirtualAgent, generation: number, due: number): void {
    if (agent.generation !== generation || !agent.online) return;
    try {
      if (agent.needsHello) this.sendHello(agent);
      else this.sendHeartbeat(agent);
    } catch (err) {
      if (this.publishErrors++ % 1000 === 0) {
        this.options.logger.error(
          `sending for ${agent.serverId} failed (${this.publishErrors} so far): ${(err as Error)?.message ?? String(err)}`,
          LOG_CONTEXT,
        );
      }
    }
    const now = this.queue.time();
    let next = due + this.intervalMs;
    // Fell more than an interval behind (a blocked event loop): carry on from now, do not burst.
    if (next < now - this.intervalMs) next = now;
    this.schedule(agent, next);
  }

  private sendHello(agent: VirtualAgent): void {
    const profile = this.profileOf(agent);
    this.publisher.hello(
      buildHello({
        serverId: agent.serverId,
        agentVersion: this.options.agentVersion,
        heartbeatIntervalSec: this.options.heartbeatSec,
        sentAt: this.options.clock.now(),
        identity: profile,
        snapshot: profile,
      }),
    );
    agent.needsHello = false;
    agent.seq = 0;
    agent.hellos++;
    this.hellos++;
    if (agent.hellos === 1) {
      this.redundancy.helloSent(agent.serverId);
      this.patches.firstHello(agent.index, agent.serverId);
    }
    if (agent.hellos === 1 && ++this.greeted === this.agents.length) {
      this.options.logger.log(
        `all ${this.agents.length} agents said hello in ${formatMs(this.queue.time() - this.startedAt)}`,
        LOG_CONTEXT,
      );
      this.resolveAllGreeted();
    }
  }

  private sendHeartbeat(agent: VirtualAgent): void {
    this.publisher.heartbeat({
      serverId: agent.serverId,
      seq: agent.seq,
      sentAt: this.options.clock.now().toISOString(),
    });
    agent.seq++;
    this.heartbeats++;
  }

  /** After a reconnect every online agent says hello again (at its next beat, so spread out). */
  private watchConnection(): void {
    const status = this.options.connection.status();
    this.status = status;
    void (async () => {
      for await (const s of status) {
        if (s.type === 'disconnect') {
          this.options.logger.warn(`disconnected from NATS (${s.server}); reconnecting`, LOG_CONTEXT);
        } else if (s.type === 'reconnect') {
          for (const agent of this.agents) if (agent.online) agent.needsHello = true;
          this.options.logger.log(`reconnected to NATS (${s.server}): every agent says hello again`, LOG_CONTEXT);
        }
      }
    })().catch(() => undefined);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
