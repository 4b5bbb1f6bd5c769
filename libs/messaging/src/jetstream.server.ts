import { EventEmitter } from 'node:events';
import { Logger, type LoggerService } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { JetStreamApiCodes, jetstreamManager } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { lastValueFrom } from 'rxjs';
import type { Context, Subjects } from '@fleetwarden/contracts';
import { errorMessage, sleep } from './async.util';
import {
  INTERNAL_ERROR_CODE,
  INVALID_REQUEST_CODE,
  parseCommandRequest,
  toCommandError,
  type CommandReply,
  type CommandRequest,
} from './command-protocol';
import { DurableEventConsumer, type EventConsumerSettings } from './durable-event.consumer';
import { JetStreamCommandContext, JetStreamEventContext } from './jetstream.context';
import {
  ensureDeadLetterStream,
  ensureEventsStream,
  isApiError,
  type DeadLetterStreamOptions,
  type EventsStreamOptions,
} from './jetstream-streams';
import { connectNats, isNatsConnection, type NatsConnectionSource } from './nats-connection';

/** Transport id of {@link JetStreamServer}, for `@MessagePattern(pattern, JETSTREAM_TRANSPORT)`. */
export const JETSTREAM_TRANSPORT = Symbol('JETSTREAM');

/** Options of a {@link JetStreamServer}. */
export interface JetStreamServerOptions {
  /** A connection to share (left open by `close()`), or options to open one (drained by `close()`). */
  connection: NatsConnectionSource;
  subjects: Subjects;
  /** Bounded context whose commands this service handles (`<ns>.cmd.<context>.<Command>`). */
  context: Context;
  /** Service name: queue group of its command handlers and part of its consumer names. */
  service: string;
  /** Durable consumer tuning for `@EventPattern` handlers. */
  events?: EventConsumerSettings;
  /**
   * The events stream is created with these options when it does not exist (an existing
   * stream is left as it is).
   */
  eventsStream?: EventsStreamOptions;
  /** How long `close()` waits for handlers in flight before closing anyway, in ms (default 10000). */
  closeTimeoutMs?: number;
  /** Creates or updates the dead-letter stream `<NS>_DLQ` (default `{}`); `false` leaves it alone. */
  deadLetterStream?: DeadLetterStreamOptions | false;
  /** Default: a Nest `Logger` named `JetStreamServer`. */
  logger?: LoggerService;
}

/** Options of one `@EventPattern` handler, given as the decorator's extras. */
export interface EventHandlerExtras {
  /** Handler part of the durable consumer name; default: the pattern with `.`→`_`, `*`→`any`, `>`→`all`. */
  consumer?: string;
}

/** Connection events a {@link JetStreamServer} re-emits through `on()`. */
export type JetStreamServerEvents = {
  disconnect: (data: unknown) => void;
  reconnect: (data: unknown) => void;
  error: (data: unknown) => void;
};

/** Values of the server's `status` observable. */
export type JetStreamServerStatus = 'connected' | 'disconnected' | 'reconnecting';

const PATTERN_TOKEN = /^([A-Za-z0-9_-]+|\*)$/;

/**
 * Nest custom transport on NATS (v3 client) and JetStream.
 *
 * - `@MessagePattern('RegisterServer')`: request/reply on `<ns>.cmd.<context>.RegisterServer`,
 *   queue group `<ns>.<service>`. Requests are `{ data, meta? }`; the handler gets `data` (and a
 *   {@link JetStreamCommandContext}); replies are `{ ok: true, data }` or
 *   `{ ok: false, error: { code, message, details? } }` (register {@link JetStreamExceptionFilter}
 *   so that error codes survive Nest's exception layer).
 * - `@EventPattern('inventory.ServerRegistered')` (or any filter below `<ns>.events.`, e.g.
 *   `inventory.>`): a durable pull consumer `<NS>_<service>_<handler>` on `<NS>_EVENTS`; the
 *   handler gets the event envelope (and a {@link JetStreamEventContext}); see
 *   {@link DurableEventConsumer} for acks, retries and dead letters.
 */
export class JetStreamServer
  extends Server<JetStreamServerEvents, JetStreamServerStatus>
  implements CustomTransportStrategy
{
  protected override readonly logger: LoggerService;
  private nc: NatsConnection | null = null;
  private ownsConnection = false;
  private subscriptions: Subscription[] = [];
  private consumers: DurableEventConsumer[] = [];
  private readonly inFlightCommands = new Set<Promise<void>>();
  private readonly statusEvents = new EventEmitter();

  constructor(private readonly options: JetStreamServerOptions) {
    super();
    this.transportId = JETSTREAM_TRANSPORT;
    this.logger = options.logger ?? new Logger(JetStreamServer.name);
  }

  /** Connects, subscribes every command handler and starts every event consumer. */
  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (err) {
      await this.close().catch(() => undefined);
      callback(err);
    }
  }

  /**
   * Stops pulling events and taking commands, waits (up to `closeTimeoutMs`) for the handlers in
   * flight, then drains the connection when the server opened it (a connection passed in is
   * left open).
   */
  async close(): Promise<void> {
    const consumers = this.consumers;
    const subscriptions = this.subscriptions;
    this.consumers = [];
    this.subscriptions = [];
    const settled = (async () => {
      await Promise.all([
        ...consumers.map((c) => c.stop()),
        ...subscriptions.map((s) => (s.isClosed() ? Promise.resolve() : s.drain())),
      ]);
      while (this.inFlightCommands.size > 0) await Promise.allSettled([...this.inFlightCommands]);
      return true;
    })();
    const timeoutMs = this.options.closeTimeoutMs ?? 10_000;
    const timer = new AbortController();
    const inTime = await Promise.race([settled, sleep(timeoutMs, timer.signal).then(() => false)]);
    timer.abort();
    if (!inTime) this.logger.warn(`handlers still running after ${timeoutMs} ms; closing anyway`);
    const nc = this.nc;
    this.nc = null;
    if (nc && this.ownsConnection && !nc.isClosed()) await nc.drain();
    this.statusEvents.removeAllListeners();
  }

  on<K extends keyof JetStreamServerEvents>(event: K, callback: JetStreamServerEvents[K]): void {
    this.statusEvents.on(event, callback);
  }

  unwrap<T>(): T {
    if (!this.nc) throw new Error('JetStreamServer is not listening: call listen() (app.listen()) first');
    return this.nc as T;
  }

  /** The durable consumers started for `@EventPattern` handlers. */
  get eventConsumers(): readonly DurableEventConsumer[] {
    return this.consumers;
  }

  private async start(): Promise<void> {
    const { subjects, context, service } = this.options;
    const commands: Array<[subject: string, handler: MessageHandler]> = [];
    const events: Array<[filter: string, consumer: string, handler: MessageHandler]> = [];
    for (const [pattern, handler] of this.messageHandlers) {
      if (handler.isEventHandler) {
        const filter = eventFilter(pattern);
        const extras = (handler.extras ?? {}) as EventHandlerExtras;
        events.push([
          `${subjects.namespace}.events.${filter}`,
          subjects.consumerName(service, extras.consumer ?? handlerName(filter)),
          handler,
        ]);
      } else {
        commands.push([subjects.command(context, pattern), handler]);
      }
    }
    const names = events.map(([, name]) => name);
    const clash = names.find((n, i) => names.indexOf(n) !== i);
    if (clash)
      throw new Error(`two @EventPattern handlers share consumer ${clash}: give one { consumer: '<name>' } extras`);

    this.nc = await this.connect();
    void this.watchStatus(this.nc);

    const queue = subjects.queueGroup(service);
    for (const [subject, handler] of commands) {
      this.subscriptions.push(
        this.nc.subscribe(subject, {
          queue,
          callback: (err, msg) =>
            err ? this.logger.error(errorMessage(err)) : this.track(this.handleCommand(handler, msg)),
        }),
      );
    }

    if (events.length > 0) {
      await this.ensureStreams(this.nc);
      for (const [filterSubject, name, handler] of events) {
        this.consumers.push(
          new DurableEventConsumer(this.nc, {
            ...this.options.events,
            stream: subjects.eventsStream,
            name,
            filterSubject,
            deadLetterSubject: subjects.deadLetter(name),
            logger: this.logger,
            handle: async (envelope, msg) => {
              const result = await handler(envelope, new JetStreamEventContext([msg, name]));
              await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
            },
          }),
        );
      }
      await Promise.all(this.consumers.map((c) => c.start()));
    }
    this._status$.next('connected');
  }

  private async connect(): Promise<NatsConnection> {
    const source = this.options.connection;
    if (isNatsConnection(source)) {
      this.ownsConnection = false;
      return source;
    }
    this.ownsConnection = true;
    return connectNats({ ...source, name: source.name ?? this.options.service });
  }

  private async ensureStreams(nc: NatsConnection): Promise<void> {
    const jsm = await jetstreamManager(nc);
    try {
      await jsm.streams.info(this.options.subjects.eventsStream);
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
      await ensureEventsStream(jsm, this.options.subjects, this.options.eventsStream);
    }
    const dlq = this.options.deadLetterStream ?? {};
    if (dlq !== false && this.options.events?.persistentDeadLetters !== false) {
      await ensureDeadLetterStream(jsm, this.options.subjects, dlq);
    }
  }

  private track(work: Promise<void>): void {
    this.inFlightCommands.add(work);
    void work.finally(() => this.inFlightCommands.delete(work));
  }

  private async handleCommand(handler: MessageHandler, msg: Msg): Promise<void> {
    const reply = await this.runCommand(handler, msg);
    if (!msg.reply) return;
    let payload: string;
    try {
      payload = JSON.stringify(reply);
    } catch (err) {
      const error = { code: INTERNAL_ERROR_CODE, message: `reply is not serializable: ${errorMessage(err)}` };
      payload = JSON.stringify({ ok: false, error } satisfies CommandReply);
    }
    try {
      msg.respond(payload);
    } catch (err) {
      this.logger.error(`command ${msg.subject}: reply not sent: ${errorMessage(err)}`);
    }
  }

  private async runCommand(handler: MessageHandler, msg: Msg): Promise<CommandReply> {
    let request: CommandRequest;
    try {
      request = parseCommandRequest(msg.data);
    } catch (err) {
      return { ok: false, error: { code: INVALID_REQUEST_CODE, message: errorMessage(err) } };
    }
    try {
      const ctx = new JetStreamCommandContext([msg.subject, msg.headers, request.meta]);
      const result = await handler(request.data, ctx);
      const data: unknown = await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
      return { ok: true, data: data === undefined ? null : data };
    } catch (err) {
      const error = toCommandError(err);
      if (error.code === INTERNAL_ERROR_CODE) this.logger.error(`command ${msg.subject} failed: ${error.message}`);
      return { ok: false, error };
    }
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (this.nc !== nc) break;
      switch (status.type) {
        case 'disconnect':
          this._status$.next('disconnected');
          this.statusEvents.emit('disconnect', status);
          break;
        case 'reconnecting':
          this._status$.next('reconnecting');
          break;
        case 'reconnect':
          this._status$.next('connected');
          this.statusEvents.emit('reconnect', status);
          break;
        case 'error':
          this.statusEvents.emit('error', status);
          break;
        default:
          break;
      }
    }
  }
}

/** Validates an `@EventPattern` filter relative to `<ns>.events.` (`inventory.ServerRegistered`, `inventory.>`). */
function eventFilter(pattern: string): string {
  const tokens = pattern.split('.');
  const valid = tokens.every((t, i) => PATTERN_TOKEN.test(t) || (t === '>' && i === tokens.length - 1));
  if (!valid) {
    throw new Error(
      `@EventPattern("${pattern}") must be "<context>.<EventType>" or a subject filter below <ns>.events.`,
    );
  }
  return pattern;
}

function handlerName(filter: string): string {
  return filter.replace(/\./g, '_').replace(/\*/g, 'any').replace(/>/g, 'all');
}
