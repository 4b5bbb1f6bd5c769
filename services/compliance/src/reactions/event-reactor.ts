import type { LoggerService } from '@nestjs/common';
import type { EventStore, LogPosition, RecordedEvent } from '@fleetwarden/eventstore';
import { sleep } from '@fleetwarden/messaging';

export interface EventReactorOptions {
  store: EventStore;
  /** Checkpoint name. */
  name: string;
  types: readonly string[];
  pollMs: number;
  batchSize?: number;
  logger: Pick<LoggerService, 'warn' | 'error'>;
  /** Reacts to a batch of events; the checkpoint moves past them only when it resolves. */
  handleBatch(events: RecordedEvent[]): Promise<void>;
}

/**
 * Reacts to the events of `types` from a stored checkpoint until `signal` aborts: reads a batch,
 * hands it to `handleBatch`, then saves the checkpoint, so that after a crash or a change of
 * leader a batch may be handled again (at least once; reactions are idempotent) but no event is
 * ever skipped. A failing batch is retried after a pause.
 */
export async function runEventReactor(options: EventReactorOptions, signal: AbortSignal): Promise<void> {
  const { store, name, types, pollMs, logger } = options;
  const limit = options.batchSize ?? 500;
  let position: LogPosition | null = null;
  let failures = 0;
  while (!signal.aborted) {
    try {
      position ??= await store.loadCheckpoint(name);
      const batch = await store.readAll({ fromPosition: position, limit, types });
      if (batch.events.length > 0) {
        await options.handleBatch(batch.events);
        await store.saveCheckpoint(name, batch.nextPosition);
        position = batch.nextPosition;
      }
      failures = 0;
      if (batch.events.length < limit) await sleep(pollMs, signal);
    } catch (err) {
      if (signal.aborted) return;
      failures++;
      logger.error(`${name}: batch failed (attempt ${failures}), retrying: ${String(err)}`);
      await sleep(Math.min(10_000, pollMs * 10 * failures), signal);
    }
  }
}
