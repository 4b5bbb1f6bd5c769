import { randomUUID } from 'node:crypto';
import type { Context } from '@fleetwarden/contracts';
import { ConcurrencyError, type EventStore, type NewEvent } from '@fleetwarden/eventstore';
import type { Clock, Decider } from '@fleetwarden/shared-domain';
import type { DecidedEvent } from './command-executor';

/** What an {@link AggregateBook} works on. */
export interface AggregateBookOptions<C, E extends DecidedEvent, S> {
  store: EventStore;
  clock: Clock;
  decider: Decider<C, E, S>;
  /** Stream of an aggregate key (`rollout-<taskId>`, `pair-<pairId>`). */
  streamOf(key: string): string;
  /** Context of the events (routes them to `<ns>.events.<context>.*`). */
  context: Context;
  /** Actor recorded on the events it decides. */
  actor: string;
  /** Applies many events at once (faster than `decider.evolve` one by one for large states). */
  evolveAll?: (state: S, events: readonly E[]) => S;
  /** Called after each append with the events and the state after them (side effects). */
  onAppended?: (key: string, events: E[], state: S) => void;
}

interface Pending<C, E> {
  command: (state: unknown) => C | null;
  causationId: string | null;
  resolve(events: E[]): void;
  reject(err: unknown): void;
}

interface Entry<S, C, E> {
  state: S;
  version: number;
  tenant: string | null;
  queue: Array<Pending<C, E>>;
  flushing: Promise<void> | null;
}

/**
 * The aggregates one process works on often (the rollouts it drives, the pairs it monitors): their
 * state in memory, and the commands for each run one batch at a time. Commands that arrive while a
 * batch is being appended wait and go together in the next one (one append for many); every append
 * carries the expected version, so a write by another instance makes the batch reload the stream
 * and decide again.
 */
export class AggregateBook<C, E extends DecidedEvent, S> {
  private readonly entries = new Map<string, Entry<S, C, E>>();
  private readonly evolveAll: (state: S, events: readonly E[]) => S;

  constructor(private readonly options: AggregateBookOptions<C, E, S>) {
    const { decider } = options;
    this.evolveAll = options.evolveAll ?? ((state, events) => events.reduce((s, e) => decider.evolve(s, e), state));
  }

  /** Aggregates held in memory. */
  get size(): number {
    return this.entries.size;
  }

  /** The state held for a key, if any. */
  peek(key: string): S | undefined {
    const entry = this.entries.get(key);
    return entry && entry.version >= 0 ? entry.state : undefined;
  }

  /** Stream version of the state held for a key; -1 when none is loaded. */
  versionOf(key: string): number {
    return this.entries.get(key)?.version ?? -1;
  }

  /** Drops a held state that another process has written past (reloaded on next use). */
  invalidate(key: string, seenVersion: number): void {
    const entry = this.entries.get(key);
    if (entry && !entry.flushing && entry.version >= 0 && entry.version < seenVersion) entry.version = -1;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Forgets an aggregate (when nothing is queued for it). */
  forget(key: string): void {
    const entry = this.entries.get(key);
    if (entry && entry.queue.length === 0 && !entry.flushing) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /**
   * Runs one command against the aggregate `key`; `command` sees the current state and may return
   * null to do nothing. Resolves with the events it appended; a domain refusal rejects.
   */
  run(
    key: string,
    tenant: string | null,
    command: (state: S) => C | null,
    causationId: string | null = null,
  ): Promise<E[]> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { state: this.options.decider.initialState(), version: -1, tenant, queue: [], flushing: null };
      this.entries.set(key, entry);
    }
    if (tenant !== null) entry.tenant = tenant;
    const target = entry;
    return new Promise<E[]>((resolve, reject) => {
      target.queue.push({ command: command as (state: unknown) => C | null, causationId, resolve, reject });
      target.flushing ??= this.flush(key, target);
    });
  }

  private async flush(key: string, entry: Entry<S, C, E>): Promise<void> {
    try {
      while (entry.queue.length > 0) {
        const batch = entry.queue.splice(0, entry.queue.length);
        await this.runBatch(key, entry, batch);
      }
    } finally {
      entry.flushing = null;
    }
  }

  private async runBatch(key: string, entry: Entry<S, C, E>, batch: Array<Pending<C, E>>): Promise<void> {
    const { decider, store, clock } = this.options;
    for (let attempt = 1; ; attempt++) {
      if (entry.version < 0) await this.load(key, entry);
      let state = entry.state;
      const outcomes: Array<{ events: E[] } | { error: unknown }> = [];
      const toAppend: NewEvent[] = [];
      const produced: E[] = [];
      const occurredAt = clock.now().toISOString();
      for (const pending of batch) {
        try {
          const command = pending.command(state);
          const events = command === null ? [] : decider.decide(command, state);
          state = this.evolveAll(state, events);
          for (const event of events) {
            toAppend.push({
              eventId: randomUUID(),
              type: event.type,
              data: event.data,
              metadata: {
                correlationId: key,
                causationId: pending.causationId,
                actor: this.options.actor,
                reseller: entry.tenant,
                occurredAt,
                context: this.options.context,
              },
            });
          }
          produced.push(...events);
          outcomes.push({ events });
        } catch (err) {
          outcomes.push({ error: err });
        }
      }
      try {
        if (toAppend.length > 0) {
          const result = await store.append(this.options.streamOf(key), toAppend, { expectedVersion: entry.version });
          entry.version = result.nextVersion;
        }
        entry.state = state;
      } catch (err) {
        entry.version = -1;
        if (err instanceof ConcurrencyError && attempt < 5) continue;
        for (const pending of batch) pending.reject(err);
        return;
      }
      batch.forEach((pending, i) => {
        const outcome = outcomes[i];
        if ('error' in outcome) pending.reject(outcome.error);
        else pending.resolve(outcome.events);
      });
      if (produced.length > 0) this.options.onAppended?.(key, produced, state);
      return;
    }
  }

  private async load(key: string, entry: Entry<S, C, E>): Promise<void> {
    const recorded = await this.options.store.readStream(this.options.streamOf(key));
    entry.state = this.evolveAll(
      this.options.decider.initialState(),
      recorded.map((e) => ({ type: e.type, data: e.data }) as E),
    );
    entry.version = recorded.length ? recorded[recorded.length - 1].streamVersion : 0;
  }
}
