import { Inject, Injectable, Optional } from '@nestjs/common';
import { NoRespondersError, RequestError, TimeoutError, type Msg, type NatsConnection } from '@nats-io/nats-core';
import { formatPath, type Subjects } from '@fleetwarden/contracts';
import { CLOCK, NATS_CONNECTION, SUBJECTS } from '@fleetwarden/platform';
import { AgentControl, AgentHaCheckReply, type AgentHaCheckMessage } from '@fleetwarden/redundancy-contracts';
import type { HaComponent, HaProbe } from '@fleetwarden/redundancy-domain';
import type { Clock } from '@fleetwarden/shared-domain';
import { DEFAULT_HA_REPLY_TIMEOUT_MS, HA_CHECK_OPTIONS, type HaCheckOptions } from './ha-check.options';

/**
 * Asks every component's agent at once for an `ha-check` (`<ns>.agent.<serverId>.control`): its
 * round trip to each other component, and its clock. The control plane's clock is read when each
 * request goes out and its reply comes in, for the skew. A component that does not answer in time,
 * has no agent listening or refuses is a silent probe, with the reason.
 */
@Injectable()
export class HaProber {
  readonly replyTimeoutMs: number;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(SUBJECTS) private readonly subjects: Subjects,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(HA_CHECK_OPTIONS) options: HaCheckOptions | null,
  ) {
    this.replyTimeoutMs = options?.replyTimeoutMs ?? DEFAULT_HA_REPLY_TIMEOUT_MS;
  }

  probe(clusterId: string, checkId: string, components: readonly HaComponent[]): Promise<HaProbe[]> {
    return Promise.all(
      components.map((component) =>
        this.ask(component.serverId, {
          type: 'ha-check',
          checkId,
          clusterId,
          peers: components
            .filter((c) => c.serverId !== component.serverId)
            .map((c) => ({ serverId: c.serverId, role: c.role, address: c.address })),
        }),
      ),
    );
  }

  private async ask(serverId: string, request: AgentHaCheckMessage): Promise<HaProbe> {
    const silent = (reason: string): HaProbe => ({ serverId, answered: false, reason });
    const body = JSON.stringify(AgentControl.parse(request));
    const requestSentAt = this.clock.now().toISOString();
    let msg: Msg;
    try {
      msg = await this.nc.request(this.subjects.agent(serverId, 'control'), body, { timeout: this.replyTimeoutMs });
    } catch (err) {
      if (err instanceof TimeoutError) return silent(`no reply within ${this.replyTimeoutMs} ms`);
      if (err instanceof NoRespondersError || (err instanceof RequestError && err.isNoResponders())) {
        return silent('no agent listening');
      }
      return silent(`request failed: ${(err as Error)?.message ?? String(err)}`);
    }
    const replyReceivedAt = this.clock.now().toISOString();
    let json: unknown;
    try {
      json = JSON.parse(msg.string());
    } catch {
      return silent('its reply is not JSON');
    }
    const parsed = AgentHaCheckReply.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return silent(`invalid reply: ${formatPath(issue.path)}: ${issue.message}`);
    }
    const reply = parsed.data;
    if (!reply.ok) return silent(`refused the check: ${reply.error}`);
    return {
      serverId,
      answered: true,
      requestSentAt,
      replyReceivedAt,
      agentReceivedAt: reply.receivedAt ?? null,
      agentSentAt: reply.sentAt,
      results: reply.results.map((r) => ({
        peerId: r.peerId,
        reachable: r.reachable,
        roundTripMs: r.roundTripMs,
        error: r.error ?? null,
      })),
    };
  }
}
