import * as net from 'node:net';
import {
  AgentControl,
  HA_DEFAULT_MESSAGING_PORT,
  parseHaAddress,
  type AgentHaCheckMessage,
  type AgentHaCheckReplyMessage,
  type AgentHaPeerResult,
} from '@fleetwarden/redundancy-contracts';
import type { Clock } from '@fleetwarden/shared-domain';

/** How long a real agent waits for a peer's TCP connect before calling it unreachable. */
export const HA_CONNECT_TIMEOUT_MS = 2000;

export interface HaConnectOptions {
  /** Default {@link HA_CONNECT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Port of an address without one (default {@link HA_DEFAULT_MESSAGING_PORT}). */
  defaultPort?: number;
}

/**
 * The messaging round trip to one peer: the time a TCP connect to its address takes (SYN to
 * SYN-ACK, one round trip), or why it failed: refused, not resolved, no answer within the timeout.
 */
export function timeTcpConnect(
  address: string,
  options: HaConnectOptions = {},
): Promise<{ reachable: true; roundTripMs: number } | { reachable: false; roundTripMs: null; error: string }> {
  const timeoutMs = options.timeoutMs ?? HA_CONNECT_TIMEOUT_MS;
  const target = parseHaAddress(address);
  if (target === null) {
    const error = address === '' ? 'no address configured' : `invalid address: ${address}`;
    return Promise.resolve({ reachable: false, roundTripMs: null, error });
  }
  const port = target.port ?? options.defaultPort ?? HA_DEFAULT_MESSAGING_PORT;
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect({ host: target.host, port });
    const done = (result: Awaited<ReturnType<typeof timeTcpConnect>>) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => done({ reachable: false, roundTripMs: null, error: `connect timed out after ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.once('connect', () => done({ reachable: true, roundTripMs: round(performance.now() - started) }));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done({ reachable: false, roundTripMs: null, error: `connect ${err.code ?? err.message}` }),
    );
  });
}

/** Times a TCP connect to every peer at once. */
export async function measureHaPeers(
  peers: AgentHaCheckMessage['peers'],
  options: HaConnectOptions = {},
): Promise<AgentHaPeerResult[]> {
  return Promise.all(
    peers.map(async (peer) => {
      const r = await timeTcpConnect(peer.address, options);
      return r.reachable
        ? { peerId: peer.serverId, reachable: true, roundTripMs: r.roundTripMs }
        : { peerId: peer.serverId, reachable: false, roundTripMs: null, error: r.error };
    }),
  );
}

/**
 * A real agent's answer to a request on its control subject: the `ha-check` reply (its clock when
 * the request arrived and when it replies, and the round trip to each peer), `{ ok: false }` for
 * an invalid `ha-check`, undefined for anything else (other control requests are not the agent's).
 */
export async function answerHaCheck(
  text: string,
  clock: Clock,
  options: HaConnectOptions = {},
): Promise<AgentHaCheckReplyMessage | undefined> {
  const receivedAt = clock.now().toISOString();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if ((json as { type?: unknown } | null)?.type !== 'ha-check') return undefined;
  const parsed = AgentControl.schema.safeParse(json);
  if (!parsed.success || parsed.data.type !== 'ha-check') {
    const issue = parsed.success ? undefined : parsed.error.issues[0];
    return {
      ok: false,
      error: `invalid ha-check request${issue ? `: ${issue.path.join('.')}: ${issue.message}` : ''}`,
    };
  }
  const results = await measureHaPeers(parsed.data.peers, options);
  return { ok: true, receivedAt, sentAt: clock.now().toISOString(), results };
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
