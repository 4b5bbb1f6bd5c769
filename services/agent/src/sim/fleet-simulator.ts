import type { LoggerService } from '@nestjs/common';
import type { NatsConnection, Status } from '@nats-io/nats-core';
import { Subjects } from '@fleetwarden/contracts';
import type { Clock } from '@fleetwarden/shared-domain';
import { AgentPublisher, buildHello } from '../common/agent-publisher';
import { SimActionRegistry, type SimAction } from './control/sim-actions';
import { SimControlHandler } from './control/sim-control.handler';
import type { SimulatorControl } from './control/simulator-control';
import { serverIdOf, type FleetModel, type ServerProfile } from './fleet-data';
import { hash32 } from './prng';
import { TimerQueue } from './timer-queue';

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
  /** Share of scripted failures of later simulated work (updates), 0..1. */
  failRate?: number;
  agentVersion: string;
  logger: LoggerService;
  /** Control actions (default: `stop`, `start`). */
  actions?: readonly SimAction[];
  /** Check every message against its contract before sending it (default true). */
  validate?: boolean;
}

export interface FleetSimulatorStats {
  servers: number;
  online: number;
  /** Agents that have said hello at least once. */
  greeted: number;
  hellos: number;
  heartbeats: number;
}

/**
 * N virtual agents on one NATS connection. Every agent says hello, then sends a heartbeat every
 * interval (`heartbeatSec / speed` real seconds); first contacts are spread over one interval by
 * a deterministic per-server phase, so a large fleet never bursts. Control messages on
 * `<ns>.sim.control` silence and resume single agents.
 */
export class FleetSimulator implements SimulatorControl {
  readonly subjects: Subjects;
  /** Real milliseconds between two heartbeats of one agent. */
  readonly intervalMs: number;
  readonly registry: SimActionRegistry;
  private readonly agents: VirtualAgent[];
  private readonly queue: TimerQueue;
  private readonly publisher: AgentPublisher;
  private readonly control: SimControlHandler;
  private status: AsyncIterable<Status> | undefined;
  private greeted = 0;
  private hellos = 0;
  private heartbeats = 0;
  private startedAt = 0;
  private publishErrors = 0;
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
      serverId: serverIdOf(i + 1),
      online: false,
      needsHello: true,
      seq: 0,
      generation: 0,
      hellos: 0,
    }));
    this.queue = new TimerQueue({
      onError: (err) => logger.error(`simulator task failed: ${(err as Error)?.message ?? String(err)}`, LOG_CONTEXT),
    });
    this.publisher = new AgentPublisher(connection, this.subjects, { validate: options.validate ?? true });
    this.registry = new SimActionRegistry(options.actions);
    this.control = new SimControlHandler(connection, this.subjects, this, this.registry, logger);
    this.allGreeted = new Promise((resolve) => (this.resolveAllGreeted = resolve));
  }

  /** `<ns>.sim.control` */
  get controlSubject(): string {
    return this.control.subject;
  }

  /** Starts listening for control messages and schedules every agent's first hello. */
  start(): void {
    this.control.start();
    this.watchConnection();
    const now = this.queue.time();
    this.startedAt = now;
    for (const agent of this.agents) {
      agent.online = true;
      this.schedule(agent, now + this.phase(agent));
    }
    this.options.logger.log(
      `simulating ${this.agents.length} servers of ${this.options.fleet.spec.resellers} resellers ` +
        `(seed ${this.options.fleet.spec.seed}) on ${this.subjects.namespace}.agent.*: heartbeat every ` +
        `${this.options.heartbeatSec} s of clock time (${formatMs(this.intervalMs)} real at speed ${this.options.speed}); ` +
        `control on ${this.controlSubject}`,
      LOG_CONTEXT,
    );
  }

  /** Stops every agent and the control listener; the connection stays open (its owner drains it). */
  async stop(): Promise<void> {
    this.queue.close();
    this.control.stop();
    (this.status as { stop?: () => void } | undefined)?.stop?.();
    this.status = undefined;
    for (const agent of this.agents) agent.online = false;
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
    };
  }

  /** A copy of one agent's state, by server id. */
  agent(serverId: string): Readonly<VirtualAgent> | undefined {
    const found = this.find(serverId);
    return found ? { ...found } : undefined;
  }

  /** What a virtual server announces now. */
  profile(serverId: string): ServerProfile | undefined {
    const agent = this.find(serverId);
    return agent ? this.options.fleet.server(agent.index) : undefined;
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
    return true;
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
    const profile = this.options.fleet.server(agent.index);
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

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
