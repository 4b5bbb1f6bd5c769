import type { LoggerService } from '@nestjs/common';
import type {
  AgentControlMessage,
  MemberRole,
  ReplicationState,
  ServiceState,
} from '@fleetwarden/redundancy-contracts';
import type { Clock } from '@fleetwarden/shared-domain';
import type { AgentPublisher } from '../common/agent-publisher';
import type { FleetModel } from './fleet-data';
import { simConfigurePairData, type PairConfigurationStatus, type PairConfigurator } from './pair-configurator';
import { parsePairId, simSyncSec, type SimPairSpec } from './pair-data';
import {
  applyControl,
  finishSync,
  forceReplication,
  initialMemberState,
  keepAliveOf,
  parseAgentControl,
  reportedReplication,
  sendsKeepAlives,
  setService,
  type AgentControlReply,
  type PairMemberState,
  type SimRedundancyService,
} from './pair-member';
import type { TimerQueue } from './timer-queue';

const LOG_CONTEXT = 'fleet';
/** Control requests kept per member (the oldest are dropped first). */
export const MAX_CONTROL_RECORDS = 1000;

/** One control request a member received, and its reply. */
export interface SimControlRequestRecord {
  /** Clock time of receipt, ISO. */
  receivedAt: string;
  /** The request as parsed; null when it was refused as invalid. */
  request: AgentControlMessage | null;
  reply: AgentControlReply;
}

/** A pair member as the `pairs` action shows it. */
export interface SimPairMemberView {
  serverId: string;
  role: MemberRole;
  /** The virtual server runs (not stopped with `stop`). */
  online: boolean;
  /** Keep-alives go out: the server runs and its keep-alive service is neither stopped nor down. */
  sendingKeepAlives: boolean;
  inControl: boolean;
  /** As reported (the forced state while there is one). */
  replicationStatus: ReplicationState;
  /** `replication` forced it; it holds until the next control request. */
  replicationForced: boolean;
  switchingService: ServiceState;
  ipPhoneService: ServiceState;
  keepAliveService: ServiceState;
  peerReachable: boolean;
  keepAlivesSent: number;
  /** Every control request received (the last {@link MAX_CONTROL_RECORDS}), oldest first. */
  controlRequests: SimControlRequestRecord[];
}

/** A pair as the `pairs` action shows it. */
export interface SimPairView {
  pairId: string;
  configuration: PairConfigurationStatus;
  primary: SimPairMemberView;
  secondary: SimPairMemberView;
}

export interface SimPairStats {
  pairs: number;
  keepAlives: number;
  controlRequests: number;
  configured: number;
}

export interface SimPairsOptions {
  fleet: FleetModel;
  /** How many times faster than real time `clock` runs. */
  speed: number;
  /** Keep-alive interval, clock seconds. */
  keepAliveSec: number;
  clock: Clock;
  queue: TimerQueue;
  publisher: AgentPublisher;
  configurator: PairConfigurator;
  /** The member's virtual server runs. */
  online(serverId: string): boolean;
  /** The member's virtual server said hello at least once (its services run from then on). */
  greeted(serverId: string): boolean;
  logger: LoggerService;
}

interface Member {
  readonly pair: SimPairSpec;
  readonly peerId: string;
  readonly state: PairMemberState;
  keepAlivesSent: number;
  looping: boolean;
  controlRequests: SimControlRequestRecord[];
}

/**
 * The redundancy side of a simulated fleet's pairs: each member's keep-alive service (a keep-alive
 * every interval on the shared timer queue, from its first hello on), replication, the control
 * requests of the control plane, and the configuration of each pair once both members said hello.
 */
export class SimPairs {
  /** Real ms between two keep-alives of a member. */
  readonly intervalMs: number;
  private readonly members = new Map<string, Member>();
  private keepAlives = 0;
  private controlRequests = 0;
  private sendErrors = 0;

  constructor(private readonly options: SimPairsOptions) {
    const { keepAliveSec, speed } = options;
    if (!(keepAliveSec > 0) || keepAliveSec > 3600) {
      throw new RangeError(`keepAliveSec must be in (0, 3600], got ${keepAliveSec}`);
    }
    this.intervalMs = (keepAliveSec * 1000) / speed;
    for (const pair of options.fleet.pairs()) {
      const { pairId, primaryServerId: a, secondaryServerId: b } = pair;
      this.members.set(a, this.member(pair, b, initialMemberState(pairId, a, 'primary')));
      this.members.set(b, this.member(pair, a, initialMemberState(pairId, b, 'secondary')));
    }
  }

  get size(): number {
    return this.members.size / 2;
  }

  isMember(serverId: string): boolean {
    return this.members.has(serverId);
  }

  /**
   * A member said hello: its first one starts its services (keep-alives; a secondary's replication,
   * `updated` a few clock seconds later), and once both members have, the pair is configured.
   */
  helloSent(serverId: string): void {
    const member = this.members.get(serverId);
    if (!member || member.looping) return;
    member.looping = true;
    if (member.state.replication === 'synchronizing') this.scheduleSync(member);
    this.tick(member, this.options.queue.time());
    if (this.options.greeted(member.peerId)) {
      const { fleet } = this.options;
      const { pair } = member;
      this.options.configurator.configure(
        simConfigurePairData({
          seed: fleet.spec.seed,
          pair,
          primary: fleet.server(fleet.indexOf(pair.primaryServerId) as number),
          secondary: fleet.server(fleet.indexOf(pair.secondaryServerId) as number),
          keepAliveSec: this.options.keepAliveSec,
        }),
      );
    }
  }

  /** Handles a control request to a running member; undefined when `serverId` is in no pair. */
  control(serverId: string, text: string): AgentControlReply | undefined {
    const member = this.members.get(serverId);
    if (!member) return undefined;
    this.controlRequests++;
    const parsed = parseAgentControl(text, member.pair.pairId);
    let reply: AgentControlReply;
    if (parsed.ok) {
      const peer = this.members.get(member.peerId) as Member;
      const peerAlive = this.options.online(peer.state.serverId);
      for (const syncing of applyControl(parsed.message, member.state, peerAlive ? peer.state : undefined)) {
        this.scheduleSync(this.members.get(syncing.serverId) as Member);
      }
      reply = { ok: true };
    } else {
      reply = parsed;
      this.options.logger.warn(`refused a control request for ${serverId}: ${parsed.error}`, LOG_CONTEXT);
    }
    member.controlRequests.push({
      receivedAt: this.options.clock.now().toISOString(),
      request: parsed.ok ? parsed.message : null,
      reply,
    });
    if (member.controlRequests.length > MAX_CONTROL_RECORDS) member.controlRequests.shift();
    return reply;
  }

  /** `keepalive-stop` / `keepalive-start`; false when not a member or already so. */
  setKeepAlive(serverId: string, sending: boolean): boolean {
    const state = this.members.get(serverId)?.state;
    if (!state || state.keepAliveStopped === !sending) return false;
    state.keepAliveStopped = !sending;
    return true;
  }

  /** `service-down` / `service-up`; false when not a member or already so. */
  setService(serverId: string, service: SimRedundancyService, value: ServiceState): boolean {
    const state = this.members.get(serverId)?.state;
    return state ? setService(state, service, value) : false;
  }

  /** `replication`; false when not a member or already forced so. */
  forceReplication(serverId: string, value: ReplicationState): boolean {
    const state = this.members.get(serverId)?.state;
    return state ? forceReplication(state, value) : false;
  }

  /** The listed pairs (default: every pair) and the ids that are no pair of this fleet. */
  view(pairIds?: readonly string[]): { pairs: Record<string, SimPairView>; unknown: string[] } {
    const pairs: Record<string, SimPairView> = {};
    const unknown: string[] = [];
    const wanted = pairIds ? [...new Set(pairIds)] : [...this.options.fleet.pairs()].map((p) => p.pairId);
    for (const pairId of wanted) {
      const number = parsePairId(pairId);
      if (number === undefined || number > this.options.fleet.pairCount) {
        unknown.push(pairId);
        continue;
      }
      const pair = this.options.fleet.pair(number);
      pairs[pairId] = {
        pairId,
        configuration: this.options.configurator.status(pairId),
        primary: this.memberView(this.members.get(pair.primaryServerId) as Member),
        secondary: this.memberView(this.members.get(pair.secondaryServerId) as Member),
      };
    }
    return { pairs, unknown };
  }

  stats(): SimPairStats {
    return {
      pairs: this.size,
      keepAlives: this.keepAlives,
      controlRequests: this.controlRequests,
      configured: this.options.configurator.stats().configured,
    };
  }

  private member(pair: SimPairSpec, peerId: string, state: PairMemberState): Member {
    return { pair, peerId, state, keepAlivesSent: 0, looping: false, controlRequests: [] };
  }

  private memberView(member: Member): SimPairMemberView {
    const { state } = member;
    return {
      serverId: state.serverId,
      role: state.role,
      online: this.options.online(state.serverId),
      sendingKeepAlives: this.sending(member),
      inControl: state.inControl,
      replicationStatus: reportedReplication(state),
      replicationForced: state.forcedReplication !== undefined,
      switchingService: state.switchingService,
      ipPhoneService: state.ipPhoneService,
      keepAliveService: state.keepAliveService,
      peerReachable: this.peerReachable(member),
      keepAlivesSent: member.keepAlivesSent,
      controlRequests: member.controlRequests.map((r) => ({ ...r })),
    };
  }

  /** The member's keep-alives go out now. */
  private sending(member: Member): boolean {
    const id = member.state.serverId;
    return this.options.online(id) && this.options.greeted(id) && sendsKeepAlives(member.state);
  }

  private peerReachable(member: Member): boolean {
    return this.sending(this.members.get(member.peerId) as Member);
  }

  private scheduleSync(member: Member): void {
    const { state } = member;
    const round = state.syncRound;
    const { seed } = this.options.fleet.spec;
    const delayMs = (simSyncSec(seed, state.serverId, round) * 1000) / this.options.speed;
    this.options.queue.at(this.options.queue.time() + delayMs, () => finishSync(state, round));
  }

  private tick(member: Member, due: number): void {
    if (this.sending(member)) {
      try {
        this.options.publisher.keepAlive(
          keepAliveOf(member.state, this.options.clock.now(), this.peerReachable(member)),
        );
        member.keepAlivesSent++;
        this.keepAlives++;
      } catch (err) {
        if (this.sendErrors++ % 1000 === 0) {
          this.options.logger.error(
            `keep-alive of ${member.state.serverId} not sent (${this.sendErrors} so far): ${(err as Error)?.message ?? String(err)}`,
            LOG_CONTEXT,
          );
        }
      }
    }
    const now = this.options.queue.time();
    let next = due + this.intervalMs;
    // Fell more than an interval behind (a blocked event loop): carry on from now, do not burst.
    if (next < now - this.intervalMs) next = now;
    this.options.queue.at(next, () => this.tick(member, next));
  }
}
