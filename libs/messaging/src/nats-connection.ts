import type { NatsConnection } from '@nats-io/nats-core';
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
import { NatsUnreachableError } from './messaging.errors';

/** Address used when neither the caller nor `NATS_URL` gives one. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export interface ConnectNatsOptions {
  /** Server address(es), comma-separated; default `NATS_URL`, else `nats://127.0.0.1:4222`. */
  url?: string;
  /** Connection name shown by the server's monitoring (`inventory`, `outbox-relay`, ...). */
  name: string;
  /** Time allowed for the first connection, in ms (default 5000). */
  timeoutMs?: number;
  /** Reconnect attempts after a lost connection; -1 (default) retries forever. */
  maxReconnectAttempts?: number;
  /** Any further client option (credentials, TLS, ...). */
  options?: Partial<NodeConnectionOptions>;
}

/**
 * Connects to NATS. Fails with {@link NatsUnreachableError} (naming `NATS_URL` and the address)
 * when no server answers.
 */
export async function connectNats(options: ConnectNatsOptions): Promise<NatsConnection> {
  const url = options.url ?? process.env['NATS_URL'] ?? DEFAULT_NATS_URL;
  const servers = url
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  try {
    return await connect({
      // No stack capture per request: it costs more than the request itself at thousands per second
      // (measured by execution.dispatch10k); errors still say what failed.
      noAsyncTraces: true,
      ...options.options,
      servers,
      name: options.name,
      timeout: options.timeoutMs ?? 5000,
      maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
    });
  } catch (err) {
    throw new NatsUnreachableError(url, err);
  }
}

/** A NATS connection, or how to open one (whoever opens it owns it and drains it on close). */
export type NatsConnectionSource = NatsConnection | (Omit<ConnectNatsOptions, 'name'> & { name?: string });

/** True when `source` is an open connection rather than options to open one. */
export function isNatsConnection(source: NatsConnectionSource): source is NatsConnection {
  return typeof (source as NatsConnection).request === 'function';
}
