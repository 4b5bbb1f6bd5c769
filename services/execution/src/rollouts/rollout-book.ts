import { randomUUID } from 'node:crypto';
import { rolloutStreamId } from '@fleetwarden/execution-contracts';
import {
  evolveRolloutAll,
  initialRolloutState,
  decideRollout,
  type RolloutCommand,
  type RolloutEvent,
  type RolloutState,
} from '@fleetwarden/execution-domain';
import { ConcurrencyError, type EventStore, type NewEvent } from '@fleetwarden/eventstore';
import { DomainError, type Clock } from '@fleetwarden/shared-domain';

/** Actor of the events the execution service decides by itself. */
export const EXECUTION_ACTOR = 'system:execution';

/** One command for a rollout, and who waits for its outcome. */
interface Pending {
  command: (state: RolloutState) => RolloutCommand | null;
  causationId: string | null;
  resolve(events: RolloutEvent[]): void;
  reject(err: unknown): void;
}

interface Entry {
  state: RolloutState;
  version: number;
  tenant: string | null;
  queue: Pending[];
  flushing: Promise<void> | null;
}

/** What a flush appended, for the caller's side effects. */
export type AppendedListener = (taskId: string, events: RolloutEvent[], state: RolloutState) => void;

/**
 * The rollout streams (`rollout-<taskId>`) this process works on: their state in memory, and the
 * commands for each run one batch at a time. Commands that arrive while a batch is being
 * appended wait and go together in the next one (one append for many progress reports); every
 * append carries the expected version, so a write by another instance (a cancel) makes the batch
 * reload the stream and decide again.
 */
export class RolloutBook {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly onAppended: AppendedListener,
  ) {}

  /** Rollouts held in memory. */
  get size(): number {
    return this.entries.size;
  }

  /** The state held for a task, if any. */
  peek(taskId: string): RolloutState | undefined {
    return this.entries.get(taskId)?.state;
  }

  taskIds(): string[] {
    return [...this.entries.keys()];
  }

  /** Forgets a rollout (finished, or no longer this instance's work). */
  forget(taskId: string): void {
    const entry = this.entries.get(taskId);
    if (entry && entry.queue.length === 0 && !entry.flushing) this.entries.delete(taskId);
  }

  clear(): void {
    this.entries.clear();
  }

  /**
   * Runs one command against the rollout of `taskId`; `command` sees the current state and may
   * return null to do nothing. Resolves with the events it appended. A domain refusal rejects.
   */
  async run(
    taskId: string,
    tenant: string | null,
    command: (state: RolloutState) => RolloutCommand | null,
    causationId: string | null = null,
  ): Promise<RolloutEvent[]> {
    let entry = this.entries.get(taskId);
    if (!entry) {
      entry = { state: initialRolloutState(), version: -1, tenant, queue: [], flushing: null };
      this.entries.set(taskId, entry);
    }
    const target = entry;
    return new Promise<RolloutEvent[]>((resolve, reject) => {
      target.queue.push({ command, causationId, resolve, reject });
      target.flushing ??= this.flush(taskId, target);
    });
  }

  private async flush(taskId: string, entry: Entry): Promise<void> {
    try {
      while (entry.queue.length > 0) {
        const batch = entry.queue.splice(0, entry.queue.length);
        await this.runBatch(taskId, entry, batch);
      }
    } finally {
      entry.flushing = null;
    }
  }

  private async runBatch(taskId: string, entry: Entry, batch: Pending[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (entry.version < 0) await this.load(taskId, entry);
      let state = entry.state;
      const outcomes: Array<{ events: RolloutEvent[] } | { error: unknown }> = [];
      const toAppend: NewEvent[] = [];
      const produced: RolloutEvent[] = [];
      const occurredAt = this.clock.now().toISOString();
      for (const pending of batch) {
        try {
          const command = pending.command(state);
          const events = command ? decideRollout(command, state) : [];
          state = evolveRolloutAll(state, events);
          for (const event of events) {
            toAppend.push({
              eventId: randomUUID(),
              type: event.type,
              data: event.data,
              metadata: {
                correlationId: taskId,
                causationId: pending.causationId,
                actor: EXECUTION_ACTOR,
                reseller: entry.tenant,
                occurredAt,
                context: 'execution',
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
          const result = await this.store.append(rolloutStreamId(taskId), toAppend, { expectedVersion: entry.version });
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
      if (produced.length > 0) this.onAppended(taskId, produced, state);
      return;
    }
  }

  private async load(taskId: string, entry: Entry): Promise<void> {
    const recorded = await this.store.readStream(rolloutStreamId(taskId));
    entry.state = evolveRolloutAll(
      initialRolloutState(),
      recorded.map((e) => ({ type: e.type, data: e.data }) as RolloutEvent),
    );
    entry.version = recorded.length ? recorded[recorded.length - 1].streamVersion : 0;
  }
}

/** True for a refusal of the domain (never worth a retry). */
export const isRefusal = (err: unknown): err is DomainError => err instanceof DomainError;
