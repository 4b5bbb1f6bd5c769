import { CLOCK_SKEW_LIMIT_MS } from '../pair/pair.types';
import { haClusterInvalidTime } from './ha-cluster.errors';
import {
  HA_SLOW_TRANSFER_MS,
  type HaAnsweredProbe,
  type HaClockCheck,
  type HaComponent,
  type HaComponentRef,
  type HaMessagingCheck,
  type HaProbe,
  type HaSilentProbe,
} from './ha-cluster.types';

/** Thresholds of the assessment. */
export interface HaHealthLimits {
  /** A clock that differs by this much or more is `CLOCK_SKEW` (default one minute). */
  clockSkewLimitMs: number;
  /** A round trip above this is `SLOW` (default 1000 ms). */
  slowTransferMs: number;
}

export const DEFAULT_HA_HEALTH_LIMITS: HaHealthLimits = {
  clockSkewLimitMs: CLOCK_SKEW_LIMIT_MS,
  slowTransferMs: HA_SLOW_TRANSFER_MS,
};

export const NO_CONNECTION_RECOMMENDATION =
  'Check that both components run and that the firewall lets the messaging port through; check the time on both servers.';

/**
 * The agent's clock minus the control plane's, in ms. With the agent's receive time this is the
 * NTP offset `((t1 - t0) + (t2 - t3)) / 2`, which the agent's own measuring time does not bias;
 * without it, the agent's send time against the middle of the request's round trip.
 */
export function estimateClockSkewMs(probe: HaAnsweredProbe): number {
  const t0 = time('requestSentAt', probe.requestSentAt);
  const t3 = time('replyReceivedAt', probe.replyReceivedAt);
  const t2 = time('agentSentAt', probe.agentSentAt);
  if (probe.agentReceivedAt === null) return Math.round(t2 - (t0 + t3) / 2);
  const t1 = time('agentReceivedAt', probe.agentReceivedAt);
  return Math.round((t1 - t0 + (t2 - t3)) / 2);
}

/**
 * Judges one health check: a messaging row for every ordered pair of components (in component
 * order) and a clock row for every component. A component that did not answer makes every row
 * it is part of `COMPONENT_DOWN` and its clock `CLOCK_UNKNOWN`.
 */
export function assessHaHealth(
  components: readonly HaComponent[],
  probes: readonly HaProbe[],
  limits: HaHealthLimits = DEFAULT_HA_HEALTH_LIMITS,
): { messaging: HaMessagingCheck[]; clocks: HaClockCheck[] } {
  const probeOf = new Map(probes.map((p) => [p.serverId, p]));
  const silent = (id: string): HaSilentProbe | null => {
    const p = probeOf.get(id);
    if (p === undefined) return { serverId: id, answered: false, reason: 'not asked' };
    return p.answered ? null : p;
  };
  const messaging: HaMessagingCheck[] = [];
  for (const from of components) {
    for (const to of components) {
      if (from.serverId === to.serverId) continue;
      const down = [silent(from.serverId), silent(to.serverId)].filter((p): p is HaSilentProbe => p !== null);
      if (down.length > 0) {
        messaging.push(componentDown(from, to, down));
        continue;
      }
      const probe = probeOf.get(from.serverId) as HaAnsweredProbe;
      messaging.push(measured(from, to, probe, limits));
    }
  }
  const clocks = components.map((c) => clock(c, probeOf.get(c.serverId), limits));
  return { messaging, clocks };
}

function componentDown(from: HaComponent, to: HaComponent, down: HaSilentProbe[]): HaMessagingCheck {
  const ids = down.map((p) => p.serverId);
  const recommendation =
    ids.length === 1
      ? `Check that ${ids[0]} runs and its agent is connected: it did not answer the health check.`
      : `Check that ${ids.join(' and ')} run and their agents are connected: neither answered the health check.`;
  return {
    from: ref(from),
    to: ref(to),
    result: 'COMPONENT_DOWN',
    transferTimeMs: null,
    recommendation,
    detail: down.map((p) => `${p.serverId}: ${p.reason}`).join('; '),
  };
}

function measured(
  from: HaComponent,
  to: HaComponent,
  probe: HaAnsweredProbe,
  limits: HaHealthLimits,
): HaMessagingCheck {
  const result = probe.results.find((r) => r.peerId === to.serverId);
  const row = { from: ref(from), to: ref(to) };
  if (!result || !result.reachable) {
    return {
      ...row,
      result: 'NO_CONNECTION',
      transferTimeMs: null,
      recommendation: NO_CONNECTION_RECOMMENDATION,
      detail: result ? (result.error ?? 'unreachable') : `${from.serverId} reported no result for ${to.serverId}`,
    };
  }
  const ms = result.roundTripMs === null ? null : Math.round(result.roundTripMs);
  if (ms !== null && ms > limits.slowTransferMs) {
    return {
      ...row,
      result: 'SLOW',
      transferTimeMs: ms,
      recommendation:
        `Messaging from ${from.serverId} to ${to.serverId} takes ${ms} ms (above ${limits.slowTransferMs} ms): ` +
        'check the network between them (latency, load, routing between subnets).',
      detail: null,
    };
  }
  return { ...row, result: 'OK', transferTimeMs: ms, recommendation: null, detail: null };
}

function clock(component: HaComponent, probe: HaProbe | undefined, limits: HaHealthLimits): HaClockCheck {
  const server = ref(component);
  const id = component.serverId;
  if (probe === undefined || !probe.answered) {
    return {
      server,
      skewMs: null,
      result: 'CLOCK_UNKNOWN',
      recommendation: `Check that ${id} runs and its agent is connected: its clock could not be read.`,
      detail: probe?.reason ?? 'not asked',
    };
  }
  const skewMs = estimateClockSkewMs(probe);
  if (Math.abs(skewMs) < limits.clockSkewLimitMs) {
    return { server, skewMs, result: 'CLOCK_OK', recommendation: null, detail: null };
  }
  const seconds = Math.round(Math.abs(skewMs) / 1000);
  return {
    server,
    skewMs,
    result: 'CLOCK_SKEW',
    recommendation: `Set the time on ${id} (it differs by ${seconds} s); restart its HA services after a manual time change.`,
    detail: `${seconds} s ${skewMs > 0 ? 'ahead of' : 'behind'} the control plane's clock`,
  };
}

const ref = (c: HaComponent): HaComponentRef => ({ serverId: c.serverId, role: c.role });

function time(field: string, value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw haClusterInvalidTime(field, value);
  return ms;
}
