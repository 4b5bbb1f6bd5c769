import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { PubSub } from 'mercurius';
import { CommittedChangeFeed, type ChangeRow } from '../read-model/committed-change.feed';
import { ReadModelDb } from '../read-model/read-model-db';
import type { ComplianceChange } from './models/compliance.model';

/** Topic of `complianceChanged` on the mercurius pub/sub of this process. */
export const COMPLIANCE_CHANGED_TOPIC = 'COMPLIANCE_CHANGED';
/** Payload published on {@link COMPLIANCE_CHANGED_TOPIC}. */
export interface ComplianceChangedMessage {
  complianceChanged: ComplianceChange;
}

interface ComplianceChangeRow extends ChangeRow {
  server_id: string;
  reseller_id: string;
  event_type: string;
  at: Date | string;
}

/** Publishes committed rows of `rm_compliance_changes` (one per server compliance event) to `complianceChanged`. */
@Injectable()
export class ComplianceChangesFeed extends CommittedChangeFeed<ComplianceChangeRow> {
  constructor(db: ReadModelDb, adapterHost: HttpAdapterHost) {
    super(db, adapterHost, 'rm_compliance_changes', 'server_id, reseller_id, event_type, at');
  }

  protected async publish(pubsub: PubSub, r: ComplianceChangeRow): Promise<void> {
    const message: ComplianceChangedMessage = {
      complianceChanged: {
        serverId: r.server_id,
        reseller: r.reseller_id,
        type: r.event_type,
        at: r.at instanceof Date ? r.at : new Date(r.at),
      },
    };
    await pubsub.publish({ topic: COMPLIANCE_CHANGED_TOPIC, payload: message });
  }
}
