import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import {
  NoRespondersError as NatsNoRespondersError,
  RequestError,
  TimeoutError,
  type MsgHdrs,
  type NatsConnection,
} from '@nats-io/nats-core';
import type { Context, Subjects } from '@fleetwarden/contracts';
import { errorMessage } from './async.util';
import type { CommandReply, CommandRequest } from './command-protocol';
import { CommandTimeoutError, MessagingError, NoRespondersError, RemoteCommandError } from './messaging.errors';
import { connectNats, isNatsConnection, type NatsConnectionSource } from './nats-connection';

/** A command's address: a full subject, or its context and name (needs `subjects`). */
export type CommandPattern = string | { context: Context; command: string };

/** Options of a {@link JetStreamClientProxy}. */
export interface JetStreamClientProxyOptions {
  /** A connection to share (left open by `close()`), or options to open one (drained by `close()`). */
  connection: NatsConnectionSource;
  /** Needed for `{ context, command }` patterns. */
  subjects?: Subjects;
  /** Default time to wait for a reply, in ms (default 5000). */
  timeoutMs?: number;
}

/** Per-call options of {@link JetStreamClientProxy.command}. */
export interface CommandCallOptions {
  /** Overrides the client's default timeout, in ms. */
  timeoutMs?: number;
  /** Sent as the request's `meta` (correlation id, actor, idempotency key, ...). */
  meta?: Record<string, unknown>;
  /** NATS headers sent with the request. */
  headers?: MsgHdrs;
}

/**
 * Nest client for commands served by {@link JetStreamServer}: `send(pattern, data)` is a NATS
 * request with a timeout. It fails with {@link CommandTimeoutError} when no reply comes in time,
 * {@link NoRespondersError} when no service listens, and {@link RemoteCommandError} (carrying
 * the remote error's code) on an error reply. Events are not sent from here: they reach
 * JetStream only through the event store's outbox relay.
 */
export class JetStreamClientProxy extends ClientProxy {
  private nc: NatsConnection | null = null;
  private connecting: Promise<NatsConnection> | null = null;
  private readonly ownsConnection: boolean;
  private readonly timeoutMs: number;

  constructor(private readonly options: JetStreamClientProxyOptions) {
    super();
    this.ownsConnection = !isNatsConnection(options.connection);
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** Connects (once) when given connection options; returns the connection. */
  connect(): Promise<NatsConnection> {
    if (this.nc) return Promise.resolve(this.nc);
    if (!this.connecting) {
      const source = this.options.connection;
      this.connecting = (
        isNatsConnection(source)
          ? Promise.resolve(source)
          : connectNats({ ...source, name: source.name ?? 'command-client' })
      ).then(
        (nc) => {
          this.nc = nc;
          this._status$.next('connected');
          return nc;
        },
        (err: unknown) => {
          this.connecting = null;
          throw err;
        },
      );
    }
    return this.connecting;
  }

  /** Drains the connection when this client opened it. */
  async close(): Promise<void> {
    const nc = this.nc;
    this.nc = null;
    this.connecting = null;
    if (nc && this.ownsConnection && !nc.isClosed()) await nc.drain();
  }

  unwrap<T>(): T {
    if (!this.nc) throw new Error('JetStreamClientProxy is not connected: call connect() first');
    return this.nc as T;
  }

  /** Sends a command and resolves with the reply's data (the promise form of `send`). */
  async command<R = unknown, D = unknown>(
    pattern: CommandPattern,
    data: D,
    options: CommandCallOptions = {},
  ): Promise<R> {
    const subject = this.subjectOf(pattern);
    const timeout = options.timeoutMs ?? this.timeoutMs;
    const nc = await this.connect();
    const request: CommandRequest<D> = options.meta ? { data, meta: options.meta } : { data };
    let raw: Uint8Array;
    try {
      const msg = await nc.request(subject, JSON.stringify(request), { timeout, headers: options.headers });
      raw = msg.data;
    } catch (err) {
      if (err instanceof TimeoutError) throw new CommandTimeoutError(subject, timeout, err);
      if (err instanceof NatsNoRespondersError || (err instanceof RequestError && err.isNoResponders())) {
        throw new NoRespondersError(subject, err);
      }
      throw err;
    }
    let reply: CommandReply<R>;
    try {
      reply = JSON.parse(Buffer.from(raw).toString('utf8')) as CommandReply<R>;
    } catch (err) {
      throw new MessagingError('COMMAND.INVALID_REPLY', `command ${subject}: reply is not JSON: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    if (reply.ok) return reply.data;
    const { code, message, details } = reply.error;
    throw new RemoteCommandError(code, message, subject, details);
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    let cancelled = false;
    this.command(packet.pattern as CommandPattern, packet.data).then(
      (response) => cancelled || callback({ response: response === undefined ? null : response, isDisposed: true }),
      (err: unknown) => cancelled || callback({ err }),
    );
    return () => {
      cancelled = true;
    };
  }

  protected dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    return Promise.reject(
      new MessagingError(
        'EVENTS.NOT_EMITTABLE',
        `emit(${JSON.stringify(packet.pattern)}): events are appended to the event store and published by the outbox relay`,
      ),
    );
  }

  private subjectOf(pattern: CommandPattern): string {
    if (typeof pattern === 'string') return pattern;
    if (!this.options.subjects) {
      throw new Error('JetStreamClientProxy needs the subjects option for { context, command } patterns');
    }
    return this.options.subjects.command(pattern.context, pattern.command);
  }
}
