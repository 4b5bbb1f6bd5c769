import {
  AgentControl,
  type AgentHaCheckMessage,
  type AgentHaCheckReplyMessage,
  type AgentHaPeerResult,
} from '@fleetwarden/redundancy-contracts';
import type { Clock } from '@fleetwarden/shared-domain';
import { hash32 } from './prng';

/** Round trips the simulator reports between two of its servers, in ms. */
export const SIM_HA_ROUND_TRIP_MS = { min: 5, max: 60 } as const;

/** The round trip between two simulated servers: fixed by the seed, the same both ways. */
export function simHaRoundTripMs(seed: number, a: string, b: string): number {
  const [x, y] = a < b ? [a, b] : [b, a];
  const span = SIM_HA_ROUND_TRIP_MS.max - SIM_HA_ROUND_TRIP_MS.min + 1;
  return SIM_HA_ROUND_TRIP_MS.min + (hash32(seed, 'ha-rtt', x, y) % span);
}

/** What the HA check actions may do to a running simulator (see `clock-skew`, `messaging-down`, `messaging-up`). */
export interface SimHaCheckControl {
  /** The server's clock runs `skewMs` ahead (negative: behind); false when it already did. */
  setClockSkew(serverId: string, skewMs: number): boolean;
  /** The server's messaging goes down (`false`: no peer reaches it, it reaches none) or up; false when already so. */
  setMessaging(serverId: string, up: boolean): boolean;
}

export function isSimHaCheckControl(value: object): value is SimHaCheckControl {
  const v = value as Partial<SimHaCheckControl>;
  return typeof v.setClockSkew === 'function' && typeof v.setMessaging === 'function';
}

export interface SimHaCheckOptions {
  seed: number;
  clock: Clock;
  /** The server is one of this simulator's. */
  known(serverId: string): boolean;
  /** The server runs (not stopped). */
  online(serverId: string): boolean;
}

/**
 * The simulator's answer to `ha-check` requests: a round trip fixed by the seed (5-60 ms) to every
 * peer that is one of its servers and runs, none to or from a server whose messaging is down, and
 * the server's clock (shifted by its skew) when the request arrived and the reply left.
 */
export class SimHaCheck implements SimHaCheckControl {
  private readonly skewMs = new Map<string, number>();
  private readonly messagingDown = new Set<string>();
  private answered = 0;

  constructor(private readonly options: SimHaCheckOptions) {}

  get checksAnswered(): number {
    return this.answered;
  }

  setClockSkew(serverId: string, skewMs: number): boolean {
    if ((this.skewMs.get(serverId) ?? 0) === skewMs) return false;
    if (skewMs === 0) this.skewMs.delete(serverId);
    else this.skewMs.set(serverId, skewMs);
    return true;
  }

  setMessaging(serverId: string, up: boolean): boolean {
    if (this.messagingDown.has(serverId) === !up) return false;
    if (up) this.messagingDown.delete(serverId);
    else this.messagingDown.add(serverId);
    return true;
  }

  /** The request is an `ha-check` (whatever else it holds): {@link answer} it. */
  static isHaCheck(request: unknown): boolean {
    return typeof request === 'object' && request !== null && (request as { type?: unknown }).type === 'ha-check';
  }

  /** The reply of `serverId` (a running server of this simulator) to an `ha-check` request. */
  answer(serverId: string, request: unknown): AgentHaCheckReplyMessage {
    const receivedAt = this.clockOf(serverId);
    const parsed = AgentControl.schema.safeParse(request);
    if (!parsed.success || parsed.data.type !== 'ha-check') {
      const issue = parsed.success ? undefined : parsed.error.issues[0];
      return {
        ok: false,
        error: `invalid ha-check request${issue ? `: ${issue.path.join('.')}: ${issue.message}` : ''}`,
      };
    }
    this.answered++;
    const results = parsed.data.peers.map((peer) => this.measure(serverId, peer));
    return { ok: true, receivedAt, sentAt: this.clockOf(serverId), results };
  }

  private measure(serverId: string, peer: AgentHaCheckMessage['peers'][number]): AgentHaPeerResult {
    const peerId = peer.serverId;
    const unreachable = (error: string): AgentHaPeerResult => ({ peerId, reachable: false, roundTripMs: null, error });
    if (this.messagingDown.has(serverId)) return unreachable('connect ETIMEDOUT (messaging of this server is down)');
    if (!this.options.known(peerId)) return unreachable(`unknown host: ${peerId} is not simulated here`);
    if (this.messagingDown.has(peerId)) return unreachable('connect ETIMEDOUT');
    if (!this.options.online(peerId)) return unreachable('connect ECONNREFUSED');
    return { peerId, reachable: true, roundTripMs: simHaRoundTripMs(this.options.seed, serverId, peerId) };
  }

  private clockOf(serverId: string): string {
    return new Date(this.options.clock.now().getTime() + (this.skewMs.get(serverId) ?? 0)).toISOString();
  }
}
