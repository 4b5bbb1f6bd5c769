import { rolloutStreamId } from '@fleetwarden/execution-contracts';
import {
  evolveRolloutAll,
  rolloutDecider,
  type RolloutCommand,
  type RolloutEvent,
  type RolloutState,
} from '@fleetwarden/execution-domain';
import type { EventStore } from '@fleetwarden/eventstore';
import { AggregateBook } from '@fleetwarden/platform';
import { DomainError, type Clock } from '@fleetwarden/shared-domain';

/** Actor of the events the execution service decides by itself. */
export const EXECUTION_ACTOR = 'system:execution';

/** What an append produced, for the caller's side effects. */
export type AppendedListener = (taskId: string, events: RolloutEvent[], state: RolloutState) => void;

/** The rollout streams (`rollout-<taskId>`) this process works on; see {@link AggregateBook}. */
export class RolloutBook extends AggregateBook<RolloutCommand, RolloutEvent, RolloutState> {
  constructor(store: EventStore, clock: Clock, onAppended: AppendedListener) {
    super({
      store,
      clock,
      decider: rolloutDecider,
      streamOf: rolloutStreamId,
      context: 'execution',
      actor: EXECUTION_ACTOR,
      evolveAll: evolveRolloutAll,
      onAppended,
    });
  }

  taskIds(): string[] {
    return this.keys();
  }
}

/** True for a refusal of the domain (never worth a retry). */
export const isRefusal = (err: unknown): err is DomainError => err instanceof DomainError;
