import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import type { Subjects } from '@fleetwarden/contracts';
import { startServiceForTest, type ServiceTestEnv } from '@fleetwarden/platform';
import { AgentControl, type AgentHaCheckReplyMessage } from '@fleetwarden/redundancy-contracts';
import { HA_CHECK_OPTIONS, type HaCheckOptions } from '../ha/ha-check.options';
import { REDUNDANCY_SERVICE_OPTIONS, type RedundancyServiceOptions } from '../redundancy-runtime';
import { REDUNDANCY_SERVICE } from '../redundancy-service.module';

/** Starts a redundancy service app as `startRedundancyForTest` does, with HA check options too. */
export function startRedundancyWithHaForTest(
  env: ServiceTestEnv,
  options: RedundancyServiceOptions = {},
  ha: HaCheckOptions = {},
): Promise<NestFastifyApplication> {
  return startServiceForTest(REDUNDANCY_SERVICE, env, [
    { token: REDUNDANCY_SERVICE_OPTIONS, value: options },
    { token: HA_CHECK_OPTIONS, value: ha },
  ]);
}

/**
 * Agents of HA components at the NATS boundary, answering `ha-check` requests as the fleet
 * simulator does: a fixed round trip to every running peer, none to or from a server whose
 * messaging is down, a clock `skewMs` ahead; a stopped server does not answer.
 */
export class HaTestAgents {
  readonly requests: Array<{ serverId: string; peers: string[] }> = [];
  private readonly running = new Set<string>();
  private readonly stopped = new Set<string>();
  private readonly messagingDown = new Set<string>();
  private readonly skewMs = new Map<string, number>();
  private sub: Subscription | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly roundTripMs = 7,
  ) {}

  add(...serverIds: string[]): this {
    for (const id of serverIds) this.running.add(id);
    return this;
  }

  stop(serverId: string, stopped = true): void {
    if (stopped) this.stopped.add(serverId);
    else this.stopped.delete(serverId);
  }

  setMessaging(serverId: string, up: boolean): void {
    if (up) this.messagingDown.delete(serverId);
    else this.messagingDown.add(serverId);
  }

  setSkew(serverId: string, skewMs: number): void {
    this.skewMs.set(serverId, skewMs);
  }

  start(): void {
    this.sub = this.nc.subscribe(`${this.subjects.namespace}.agent.*.control`, {
      callback: (_err, msg) => this.answer(msg),
    });
  }

  close(): void {
    this.sub?.unsubscribe();
  }

  private runs(serverId: string): boolean {
    return this.running.has(serverId) && !this.stopped.has(serverId);
  }

  private answer(msg: Msg): void {
    const serverId = msg.subject.split('.')[2];
    if (!this.runs(serverId)) return;
    const request = AgentControl.parse(msg.json());
    if (request.type !== 'ha-check') return;
    this.requests.push({ serverId, peers: request.peers.map((p) => p.serverId) });
    const clock = () => new Date(Date.now() + (this.skewMs.get(serverId) ?? 0)).toISOString();
    const receivedAt = clock();
    const reply: AgentHaCheckReplyMessage = {
      ok: true,
      receivedAt,
      sentAt: clock(),
      results: request.peers.map(({ serverId: peerId }) =>
        this.runs(peerId) && !this.messagingDown.has(peerId) && !this.messagingDown.has(serverId)
          ? { peerId, reachable: true, roundTripMs: this.roundTripMs }
          : { peerId, reachable: false, roundTripMs: null, error: 'connect ETIMEDOUT' },
      ),
    };
    msg.respond(JSON.stringify(reply));
  }
}
