import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { PubSub } from 'mercurius';
import { CommittedChangeFeed, type ChangeRow } from '../read-model/committed-change.feed';
import { ReadModelDb } from '../read-model/read-model-db';
import type { RedundancyPair } from './models/redundancy-pair.model';
import { toPair, type MemberRow, type PairRow } from './redundancy.read-model';

/** Topic of `redundancyChanged` on the mercurius pub/sub of this process. */
export const REDUNDANCY_CHANGED_TOPIC = 'REDUNDANCY_CHANGED';
/** Payload published on {@link REDUNDANCY_CHANGED_TOPIC}. */
export interface RedundancyChangedMessage {
  redundancyChanged: RedundancyPair;
  /** Reseller owning the pair; null for an operator's pair. */
  tenant: string | null;
}

interface PairChangeRow extends ChangeRow {
  pair_id: string;
  tenant: string | null;
  pair: PairRow;
  members: MemberRow[];
}

/** Publishes committed rows of `rm_pair_changes` (the pair as each event left it) to `redundancyChanged` subscribers. */
@Injectable()
export class RedundancyChangesFeed extends CommittedChangeFeed<PairChangeRow> {
  constructor(db: ReadModelDb, adapterHost: HttpAdapterHost) {
    super(db, adapterHost, 'rm_pair_changes', 'pair_id, tenant, pair, members');
  }

  protected async publish(pubsub: PubSub, r: PairChangeRow): Promise<void> {
    const message: RedundancyChangedMessage = { redundancyChanged: toPair(r.pair, r.members), tenant: r.tenant };
    await pubsub.publish({ topic: REDUNDANCY_CHANGED_TOPIC, payload: message });
  }
}
