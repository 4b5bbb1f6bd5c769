import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { v5 as uuidv5 } from 'uuid';
import type { CommandMeta, Context } from '@fleetwarden/contracts';
import { ConcurrencyError, type EventStore, type NewEvent } from '@fleetwarden/eventstore';
import type { Clock, Decider } from '@fleetwarden/shared-domain';
import { CLOCK, EVENT_STORE } from '../tokens';

/** Namespace of event ids derived from idempotency keys (UUID v5). */
const IDEMPOTENCY_NAMESPACE = '1b1d6a3e-5f0b-4b8e-9a51-2f1d7c0c9e21';

/** A `{ type, data }` event of a decider. */
export interface DecidedEvent {
  type: string;
  data: unknown;
}

/** One command run against one aggregate stream. */
export interface Execution<Command, Event extends DecidedEvent, State> {
  streamId: string;
  decider: Decider<Command, Event, State>;
  command: Command;
  /** Caller metadata of the request (actor, tenant, correlation, idempotency key). */
  meta: CommandMeta;
  /** Bounded context that owns the stream (routes the events to `<ns>.events.<context>.*`). */
  context: Context;
  /** Tenant the stream's events belong to (`metadata.reseller`), from the state after the command. */
  resellerOf?: (state: State) => string | null;
  /** Event id of the message that caused this command, when one did. */
  causationId?: string | null;
}

export interface ExecutionResult<Event extends DecidedEvent, State> {
  /** Events appended by this command: empty when it decided nothing or repeated an idempotency key. */
  events: Event[];
  state: State;
  /** Stream version after the command. */
  version: number;
  /** The idempotency key was used before on this stream: nothing new was appended. */
  duplicate: boolean;
}

/**
 * Loads a stream, runs the decider and appends its events with the expected version; on a
 * concurrent write it reloads and decides again (up to `maxAttempts`). With an idempotency key,
 * event ids are derived from the key and the stream, so a repeated command appends nothing and
 * reports `duplicate`.
 */
@Injectable()
export class CommandExecutor {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The aggregate's current state and version. */
  async load<C, E extends DecidedEvent, S>(
    streamId: string,
    decider: Decider<C, E, S>,
  ): Promise<{ state: S; version: number; eventIds: Set<string> }> {
    const recorded = await this.store.readStream(streamId);
    let state = decider.initialState();
    for (const e of recorded) state = decider.evolve(state, { type: e.type, data: e.data } as E);
    return {
      state,
      version: recorded.length ? recorded[recorded.length - 1].streamVersion : 0,
      eventIds: new Set(recorded.map((e) => e.eventId)),
    };
  }

  async execute<C, E extends DecidedEvent, S>(x: Execution<C, E, S>, maxAttempts = 5): Promise<ExecutionResult<E, S>> {
    const key = x.meta.idempotencyKey;
    const eventId = (i: number) =>
      key ? uuidv5(`${x.streamId}\u0000${key}\u0000${i}`, IDEMPOTENCY_NAMESPACE) : randomUUID();
    for (let attempt = 1; ; attempt++) {
      const { state, version, eventIds } = await this.load(x.streamId, x.decider);
      if (key && eventIds.has(eventId(0))) return { events: [], state, version, duplicate: true };
      const events = x.decider.decide(x.command, state);
      if (events.length === 0) return { events, state, version, duplicate: false };
      const after = events.reduce((s, e) => x.decider.evolve(s, e), state);
      const metadata = {
        correlationId: x.meta.correlationId ?? randomUUID(),
        causationId: x.causationId ?? null,
        actor: x.meta.actor ?? 'system:unknown',
        reseller: x.resellerOf?.(after) ?? x.meta.reseller ?? null,
        occurredAt: this.clock.now().toISOString(),
        context: x.context,
      };
      const toAppend: NewEvent[] = events.map((e, i) => ({
        eventId: eventId(i),
        type: e.type,
        data: e.data,
        metadata,
      }));
      try {
        const res = await this.store.append(x.streamId, toAppend, { expectedVersion: version });
        return {
          events: res.duplicate ? [] : events,
          state: after,
          version: res.nextVersion,
          duplicate: res.duplicate,
        };
      } catch (err) {
        if (!(err instanceof ConcurrencyError) || attempt >= maxAttempts) throw err;
      }
    }
  }
}
