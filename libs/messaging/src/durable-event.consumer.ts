import { Logger, type LoggerService } from '@nestjs/common';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import { headers, nanos, type NatsConnection } from '@nats-io/nats-core';
import { backoffDelay, errorMessage, sleep, Slots } from './async.util';
import { FleetHeaders, parseEventEnvelope, type EventEnvelope } from './event-envelope';
import { isApiError } from './jetstream-streams';

/** Tuning shared by every durable event consumer of a service. */
export interface EventConsumerSettings {
  /** Deliveries before a failing message goes to the dead-letter subject (default 5). */
  maxDeliver?: number;
  /**
   * Time the server waits for an ack before redelivering, in ms (default 30000). A handler that
   * may run longer calls `message.working()` (`JetStreamEventContext.getMessage()`) now and then.
   */
  ackWaitMs?: number;
  /** Messages handled at once by this instance (default 8). */
  concurrency?: number;
  /** Redelivery delay after a failure: `retryInitialMs * 2^(deliveries-1)` (default 1000), capped at `retryMaxMs` (default 60000). */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Where a new durable consumer starts: `all` (default) or `new` events only. */
  deliverPolicy?: 'all' | 'new';
  /**
   * Dead letters are published with JetStream (`true`, default: a stream must capture
   * `<ns>.dlq.>`, see `ensureDeadLetterStream`) or as plain NATS messages (`false`).
   */
  persistentDeadLetters?: boolean;
}

/** What a {@link DurableEventConsumer} consumes and how it handles each message. */
export interface DurableEventConsumerOptions<T = EventEnvelope> extends EventConsumerSettings {
  /** Stream to consume (`FLEET_EVENTS`). */
  stream: string;
  /** Durable consumer name (`Subjects.consumerName(service, handler)`). */
  name: string;
  /** Subject filter (`fleet.events.inventory.>`). */
  filterSubject: string;
  /** Where given-up messages go (`Subjects.deadLetter(name)`). */
  deadLetterSubject: string;
  /**
   * Decodes a payload (default: an event envelope); a payload it throws on is dead-lettered at
   * once. Give one to consume a stream of other messages (agent progress).
   */
  parse?: (data: Uint8Array) => T;
  /** Names a message in logs (default: `<type> <eventId>` of an envelope). */
  describe?: (message: T) => string;
  /** Handles one message; it is acked only after this resolves. */
  handle(message: T, raw: JsMsg): Promise<void>;
  /** Default: a Nest `Logger` named after the consumer. */
  logger?: LoggerService;
}

/** Counters of one consumer. */
export interface DurableEventConsumerStats {
  /** Messages handled and acked. */
  acked: number;
  /** Handler failures answered with a delayed redelivery. */
  retried: number;
  /** Messages sent to the dead-letter subject. */
  deadLettered: number;
  /** Handlers running now. */
  inFlight: number;
}

const HEADER_VALUE_MAX = 1024;
const DEAD_LETTER_ATTEMPTS = 3;

/**
 * A JetStream durable pull consumer with explicit acks and bounded concurrency. Each message is
 * acked only after its handler resolved; a failure is redelivered after an exponential delay;
 * at the `maxDeliver`-th failed delivery (or at once when the payload is not an event envelope)
 * the message is published to the dead-letter subject with `Fleet-Error`, `Fleet-Deliveries`
 * and `Fleet-Original-Subject` headers and then terminated, so the consumer moves on.
 */
export class DurableEventConsumer<T = EventEnvelope> {
  private readonly js: JetStreamClient;
  private readonly slots: Slots;
  private readonly logger: LoggerService;
  private readonly settings: Required<EventConsumerSettings>;
  private readonly counters = { acked: 0, retried: 0, deadLettered: 0 };
  private messages: ConsumerMessages | null = null;
  private pumping: Promise<void> | null = null;
  private stopping = new AbortController();

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: DurableEventConsumerOptions<T>,
  ) {
    this.settings = {
      maxDeliver: options.maxDeliver ?? 5,
      ackWaitMs: options.ackWaitMs ?? 30_000,
      concurrency: options.concurrency ?? 8,
      retryInitialMs: options.retryInitialMs ?? 1000,
      retryMaxMs: options.retryMaxMs ?? 60_000,
      deliverPolicy: options.deliverPolicy ?? 'all',
      persistentDeadLetters: options.persistentDeadLetters ?? true,
    };
    if (this.settings.maxDeliver < 1) throw new Error(`maxDeliver must be at least 1, got ${this.settings.maxDeliver}`);
    this.js = jetstream(nc);
    this.slots = new Slots(this.settings.concurrency);
    this.logger = options.logger ?? new Logger(`DurableEventConsumer ${options.name}`);
  }

  /** The durable consumer's name. */
  get name(): string {
    return this.options.name;
  }

  /** A snapshot of the counters. */
  get stats(): DurableEventConsumerStats {
    return { ...this.counters, inFlight: this.slots.active };
  }

  /** Creates or updates the durable consumer, then starts pulling. */
  async start(): Promise<void> {
    if (this.pumping) return;
    await this.ensureConsumer();
    this.stopping = new AbortController();
    this.pumping = this.pump();
  }

  /** Stops pulling, hands back buffered messages, and waits for the handlers in flight. */
  async stop(): Promise<void> {
    if (!this.pumping) return;
    this.stopping.abort();
    await this.messages?.close();
    await this.pumping;
    await this.slots.idle();
    this.pumping = null;
  }

  private async ensureConsumer(): Promise<ConsumerInfo> {
    const { stream, name, filterSubject } = this.options;
    const jsm = await jetstreamManager(this.nc);
    const wanted: Partial<ConsumerConfig> = {
      durable_name: name,
      filter_subject: filterSubject,
      ack_policy: AckPolicy.Explicit,
      max_deliver: this.settings.maxDeliver,
      ack_wait: nanos(this.settings.ackWaitMs),
      max_ack_pending: Math.max(1000, this.settings.concurrency * 4),
    };
    let existing: ConsumerInfo | null = null;
    try {
      existing = await jsm.consumers.info(stream, name);
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
    }
    if (!existing) {
      const deliver_policy = this.settings.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All;
      return jsm.consumers.add(stream, { ...wanted, deliver_policy });
    }
    const c = existing.config;
    if (
      c.filter_subject === wanted.filter_subject &&
      c.max_deliver === wanted.max_deliver &&
      c.ack_wait === wanted.ack_wait &&
      c.max_ack_pending === wanted.max_ack_pending
    ) {
      return existing;
    }
    try {
      const { durable_name: _durable, ack_policy: _ackPolicy, ...changes } = wanted;
      return await jsm.consumers.update(stream, name, changes);
    } catch (err) {
      throw new Error(`durable consumer ${name} on ${stream} cannot be updated: ${errorMessage(err)}`, { cause: err });
    }
  }

  private async pump(): Promise<void> {
    const stop = this.stopping.signal;
    let failures = 0;
    while (!stop.aborted) {
      try {
        const consumer = await this.js.consumers.get(this.options.stream, this.options.name);
        this.messages = await consumer.consume({ max_messages: this.settings.concurrency });
        if (stop.aborted) await this.messages.close();
        for await (const msg of this.messages) {
          if (!stop.aborted) await this.slots.acquire();
          else {
            msg.nak();
            continue;
          }
          if (stop.aborted) {
            this.slots.release();
            msg.nak();
            continue;
          }
          failures = 0;
          void this.process(msg).finally(() => this.slots.release());
        }
      } catch (err) {
        if (stop.aborted) break;
        failures++;
        this.logger.error(`consumer ${this.options.name} stopped pulling: ${errorMessage(err)}; restarting`);
      }
      if (!stop.aborted) await sleep(backoffDelay(Math.max(failures, 1), 250, 10_000), stop);
    }
  }

  private async process(msg: JsMsg): Promise<void> {
    try {
      let envelope: T;
      try {
        envelope = this.options.parse ? this.options.parse(msg.data) : (parseEventEnvelope(msg.data) as T);
      } catch (err) {
        await this.deadLetter(msg, err);
        return;
      }
      try {
        await this.options.handle(envelope, msg);
      } catch (err) {
        const deliveries = msg.info.deliveryCount;
        if (deliveries >= this.settings.maxDeliver) {
          await this.deadLetter(msg, err);
        } else {
          const delay = backoffDelay(deliveries, this.settings.retryInitialMs, this.settings.retryMaxMs);
          this.counters.retried++;
          this.logger.warn(
            `${this.describe(envelope)} failed (delivery ${deliveries}/${this.settings.maxDeliver}), ` +
              `retrying in ${delay} ms: ${errorMessage(err)}`,
          );
          msg.nak(delay);
        }
        return;
      }
      msg.ack();
      this.counters.acked++;
    } catch (err) {
      this.logger.error(`consumer ${this.options.name}: message ${msg.seq} not settled: ${errorMessage(err)}`);
    }
  }

  private describe(message: T): string {
    if (this.options.describe) return this.options.describe(message);
    const envelope = message as unknown as EventEnvelope;
    return `${envelope.type} ${envelope.eventId}`;
  }

  private async deadLetter(msg: JsMsg, cause: unknown): Promise<void> {
    const h = headers();
    h.set(FleetHeaders.Error, headerValue(errorMessage(cause)));
    h.set(FleetHeaders.Deliveries, String(msg.info.deliveryCount));
    h.set(FleetHeaders.OriginalSubject, msg.subject);
    h.set(FleetHeaders.OriginalSequence, String(msg.seq));
    for (const key of [FleetHeaders.EventType, FleetHeaders.StreamId]) {
      const value = msg.headers?.get(key);
      if (value) h.set(key, value);
    }
    const subject = this.options.deadLetterSubject;
    for (let attempt = 1; ; attempt++) {
      try {
        if (this.settings.persistentDeadLetters) {
          await this.js.publish(subject, msg.data, { headers: h, msgID: `${this.options.name}:${msg.seq}` });
        } else {
          this.nc.publish(subject, msg.data, { headers: h });
        }
        break;
      } catch (err) {
        if (attempt >= DEAD_LETTER_ATTEMPTS) {
          this.logger.error(
            `message ${msg.seq} on ${msg.subject} could not be dead-lettered to ${subject}: ${errorMessage(err)}; left unacked`,
          );
          msg.nak(this.settings.retryMaxMs);
          return;
        }
        msg.working();
        await sleep(backoffDelay(attempt, 200, 2000));
      }
    }
    msg.term();
    this.counters.deadLettered++;
    this.logger.error(
      `message ${msg.seq} on ${msg.subject} dead-lettered to ${subject} after ${msg.info.deliveryCount} deliveries: ${errorMessage(cause)}`,
    );
  }
}

function headerValue(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ').trim() || 'error';
  return flat.length > HEADER_VALUE_MAX ? `${flat.slice(0, HEADER_VALUE_MAX - 3)}...` : flat;
}
