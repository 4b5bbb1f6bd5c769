import { Logger, type LoggerService } from '@nestjs/common';
import { jetstream, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import { headers, RequestError, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import { CONTEXTS, type Context, type Subjects } from '@fleetwarden/contracts';
import type { EventStore, LogPosition, ReadAllResult, RecordedEvent } from '@fleetwarden/eventstore';
import { backoffDelay, errorMessage, sleep } from './async.util';
import { FleetHeaders, toEventEnvelope } from './event-envelope';
import { UnroutableEventError } from './messaging.errors';

/** Tuning of an {@link OutboxRelay}; every field has a default. */
export interface OutboxRelayOptions {
  /** Events read and published per round (default 500). */
  batchSize?: number;
  /** Pause after a read that returned nothing, in ms (default 50). */
  pollIntervalMs?: number;
  /** Name of the relay's checkpoint in the event store (default `outbox-relay`). */
  checkpointName?: string;
  /** Name of the lock that elects the one relaying instance (default: the checkpoint name). */
  lockName?: string;
  /** How often an instance that does not hold the lock tries again, in ms (default 2000). */
  lockRetryMs?: number;
  /**
   * Bounded context of an event: the `<context>` token of its subject. Default:
   * `metadata.context` when present, else the stream id's category (the part before the first `-`).
   */
  contextOf?: (event: RecordedEvent) => string;
  /** Backoff after a failed round, in ms (default 100, doubling up to 5000). */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Time allowed for each JetStream ack, in ms (default 10000). */
  publishTimeoutMs?: number;
  /** Default: a Nest `Logger` named `OutboxRelay`. */
  logger?: LoggerService;
}

/** Counters for health checks and benchmarks. */
export interface OutboxRelayStats {
  /** Events acknowledged by JetStream (including duplicates it dropped). */
  published: number;
  /** Acks that reported the message as a duplicate (already in the stream). */
  duplicates: number;
  /** Batches published and checkpointed. */
  batches: number;
  /** Failed rounds (each retried from the last checkpoint). */
  errors: number;
  /** Checkpoint after the last saved batch. */
  lastPosition: LogPosition | null;
  /** True while this instance holds the relay lock. */
  leader: boolean;
  /** True between `start()` and the end of `stop()`. */
  running: boolean;
}

/** Default {@link OutboxRelayOptions.contextOf}: `metadata.context`, else the stream category. */
export function defaultContextOf(event: RecordedEvent): string {
  const fromMetadata = event.metadata?.['context'];
  if (typeof fromMetadata === 'string' && fromMetadata.length > 0) return fromMetadata;
  const dash = event.streamId.indexOf('-');
  return dash < 0 ? event.streamId : event.streamId.slice(0, dash);
}

interface Outgoing {
  event: RecordedEvent;
  subject: string;
  payload: string;
  headers: MsgHdrs;
}

/**
 * Publishes every event of the event store to JetStream, in log order, on
 * `<ns>.events.<context>.<EventType>` with `Nats-Msg-Id = eventId`.
 *
 * Each round reads a batch after the stored checkpoint (the next batch is read while this one is
 * being published), publishes all of it pipelined, waits for every ack and only then saves the
 * checkpoint. After a failure (or a crash) the batch is
 * published again from the last checkpoint: delivery is at-least-once, and JetStream drops the
 * repeats by `Nats-Msg-Id`. That dedupe holds only within the stream's duplicate window
 * (`ensureEventsStream`'s `duplicateWindowMs`, default 2 minutes): a relay must not resume a
 * batch older than that, which holds as long as a failed round is retried (or another instance
 * takes over) within the window.
 *
 * Of any number of instances on one event store, exactly one relays: the loop runs under the
 * store's lock `lockName`; the others try to take it every `lockRetryMs` and take over when the
 * holder dies or stops. An event the relay cannot route (its context is not a bounded context)
 * stops the relay at that event, with the error logged on every retry, rather than skipping it.
 */
export class OutboxRelay {
  private readonly js: JetStreamClient;
  private readonly options: Required<Omit<OutboxRelayOptions, 'logger'>>;
  private readonly logger: LoggerService;
  private readonly counters: Omit<OutboxRelayStats, 'running'> = {
    published: 0,
    duplicates: 0,
    batches: 0,
    errors: 0,
    lastPosition: null,
    leader: false,
  };
  private loop: Promise<void> | null = null;
  private stopping = new AbortController();

  constructor(
    private readonly store: EventStore,
    nc: NatsConnection,
    private readonly subjects: Subjects,
    options: OutboxRelayOptions = {},
  ) {
    const checkpointName = options.checkpointName ?? 'outbox-relay';
    this.options = {
      batchSize: options.batchSize ?? 500,
      pollIntervalMs: options.pollIntervalMs ?? 50,
      checkpointName,
      lockName: options.lockName ?? checkpointName,
      lockRetryMs: options.lockRetryMs ?? 2000,
      contextOf: options.contextOf ?? defaultContextOf,
      retryInitialMs: options.retryInitialMs ?? 100,
      retryMaxMs: options.retryMaxMs ?? 5000,
      publishTimeoutMs: options.publishTimeoutMs ?? 10_000,
    };
    this.logger = options.logger ?? new Logger(OutboxRelay.name);
    this.js = jetstream(nc, { timeout: this.options.publishTimeoutMs });
  }

  /** A snapshot of the counters. */
  get stats(): OutboxRelayStats {
    return { ...this.counters, running: this.loop !== null };
  }

  /** Starts competing for the lock and relaying once it holds it. Idempotent. */
  start(): void {
    if (this.loop) return;
    this.stopping = new AbortController();
    this.loop = this.compete();
  }

  /** Finishes the batch in flight, saves its checkpoint, releases the lock, then resolves. */
  async stop(): Promise<void> {
    if (!this.loop) return;
    this.stopping.abort();
    await this.loop;
    this.loop = null;
  }

  private async compete(): Promise<void> {
    const stop = this.stopping.signal;
    let failures = 0;
    while (!stop.aborted) {
      try {
        const { acquired } = await this.store.tryWithLock(this.options.lockName, (lockLost) => this.relay(lockLost));
        failures = 0;
        if (!acquired) await sleep(this.options.lockRetryMs, stop);
      } catch (err) {
        failures++;
        this.counters.errors++;
        this.logger.error(`outbox relay: lock "${this.options.lockName}" failed: ${errorMessage(err)}`);
        await sleep(backoffDelay(failures, this.options.retryInitialMs, this.options.lockRetryMs), stop);
      }
    }
  }

  private async relay(lockLost: AbortSignal): Promise<void> {
    const stop = this.stopping.signal;
    const idle = AbortSignal.any([stop, lockLost]);
    this.counters.leader = true;
    this.logger.log(`outbox relay: holding lock "${this.options.lockName}", relaying`);
    try {
      let position = await this.store.loadCheckpoint(this.options.checkpointName);
      this.counters.lastPosition = position;
      let prefetched: Promise<ReadAllResult> | null = null;
      let failures = 0;
      while (!idle.aborted) {
        try {
          const read = prefetched ?? this.read(position);
          prefetched = null;
          const { events } = await read;
          if (events.length === 0) {
            await sleep(this.options.pollIntervalMs, idle);
            continue;
          }
          if (events.length === this.options.batchSize) {
            prefetched = this.read(positionOf(events[events.length - 1]!));
          }
          const { published, routingError } = await this.publishBatch(events);
          if (published.length < events.length) prefetched = null;
          if (published.length > 0) {
            if (lockLost.aborted) break;
            position = positionOf(published[published.length - 1]!);
            await this.store.saveCheckpoint(this.options.checkpointName, position);
            this.counters.batches++;
            this.counters.lastPosition = position;
          }
          if (routingError) throw routingError;
          failures = 0;
        } catch (err) {
          prefetched = null;
          failures++;
          this.counters.errors++;
          this.logger.error(`outbox relay: ${describeFailure(err)}; retrying from the last checkpoint`);
          await sleep(backoffDelay(failures, this.options.retryInitialMs, this.options.retryMaxMs), idle);
        }
      }
      if (lockLost.aborted && !stop.aborted) {
        this.logger.warn(`outbox relay: lost lock "${this.options.lockName}"`);
      }
    } finally {
      this.counters.leader = false;
    }
  }

  /** Reads the batch after `position`; a rejection is observed only when the read is awaited. */
  private read(position: LogPosition): Promise<ReadAllResult> {
    const read = this.store.readAll({ fromPosition: position, limit: this.options.batchSize });
    read.catch(() => undefined);
    return read;
  }

  /**
   * Publishes the batch's events up to the first one that cannot be routed; rejects when any
   * publish fails (after every publish has settled).
   */
  private async publishBatch(
    events: readonly RecordedEvent[],
  ): Promise<{ published: RecordedEvent[]; routingError: UnroutableEventError | null }> {
    const outgoing: Outgoing[] = [];
    let routingError: UnroutableEventError | null = null;
    for (const event of events) {
      try {
        outgoing.push(this.toOutgoing(event));
      } catch (err) {
        routingError = err as UnroutableEventError;
        break;
      }
    }
    const acks = await Promise.allSettled(
      outgoing.map((m) => this.js.publish(m.subject, m.payload, { msgID: m.event.eventId, headers: m.headers })),
    );
    const failed = acks.find((a): a is PromiseRejectedResult => a.status === 'rejected');
    if (failed) throw failed.reason;
    for (const ack of acks as Array<PromiseFulfilledResult<PubAck>>) {
      this.counters.published++;
      if (ack.value.duplicate) this.counters.duplicates++;
    }
    return { published: outgoing.map((m) => m.event), routingError };
  }

  private toOutgoing(event: RecordedEvent): Outgoing {
    let subject: string;
    try {
      const context = this.options.contextOf(event);
      if (!(CONTEXTS as readonly string[]).includes(context)) {
        throw new Error(`"${context}" is not one of ${CONTEXTS.join(', ')}`);
      }
      subject = this.subjects.event(context as Context, event.type);
    } catch (err) {
      throw new UnroutableEventError(
        event.eventId,
        `event ${event.eventId} (${event.type} on stream ${event.streamId}) cannot be routed: ${errorMessage(err)}; ` +
          'set metadata.context or the relay option contextOf',
        err,
      );
    }
    const h = headers();
    h.set(FleetHeaders.EventType, event.type);
    h.set(FleetHeaders.StreamId, event.streamId);
    return { event, subject, payload: JSON.stringify(toEventEnvelope(event)), headers: h };
  }
}

function positionOf(event: RecordedEvent): LogPosition {
  return { transactionId: event.transactionId, globalPosition: event.globalPosition };
}

function describeFailure(err: unknown): string {
  if (err instanceof RequestError && err.isNoResponders()) {
    return 'JetStream did not answer a publish (no stream captures the subject? call ensureEventsStream)';
  }
  return errorMessage(err);
}
