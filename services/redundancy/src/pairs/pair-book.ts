import type { EventStore } from '@fleetwarden/eventstore';
import { AggregateBook } from '@fleetwarden/platform';
import { pairStreamId } from '@fleetwarden/redundancy-contracts';
import { pairDecider, type PairCommand, type PairEvent, type PairState } from '@fleetwarden/redundancy-domain';
import type { Clock } from '@fleetwarden/shared-domain';

/** Actor of the events the redundancy service decides by itself. */
export const REDUNDANCY_ACTOR = 'system:redundancy';

/** The pair streams (`pair-<pairId>`) this process monitors; see {@link AggregateBook}. */
export class PairBook extends AggregateBook<PairCommand, PairEvent, PairState> {
  constructor(
    store: EventStore,
    clock: Clock,
    onAppended?: (pairId: string, events: PairEvent[], state: PairState) => void,
  ) {
    super({
      store,
      clock,
      decider: pairDecider,
      streamOf: pairStreamId,
      context: 'redundancy',
      actor: REDUNDANCY_ACTOR,
      onAppended,
    });
  }
}
