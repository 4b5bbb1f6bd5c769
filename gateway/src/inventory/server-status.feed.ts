import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { PubSub } from 'mercurius';
import { CommittedChangeFeed, type ChangeRow } from '../read-model/committed-change.feed';
import { ReadModelDb } from '../read-model/read-model-db';
import type { ServerStatus } from './models/inventory.enums';
import type { ServerStatusChange } from './models/server.model';

/** Topic of `serverStatusChanged` on the mercurius pub/sub of this process. */
export const SERVER_STATUS_TOPIC = 'SERVER_STATUS_CHANGED';
/** Payload published on {@link SERVER_STATUS_TOPIC}. */
export interface ServerStatusMessage {
  serverStatusChanged: ServerStatusChange;
}

interface StatusRow extends ChangeRow {
  server_id: string;
  status: string;
  connected: boolean;
  last_seen_at: Date | string | null;
  changed_at: Date | string;
  reseller_id: string;
  reseller_name: string;
  company_id: string;
  company_name: string;
}

const toDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));

/** Publishes committed rows of `rm_server_status_changes` to `serverStatusChanged` subscribers. */
@Injectable()
export class ServerStatusFeed extends CommittedChangeFeed<StatusRow> {
  constructor(db: ReadModelDb, adapterHost: HttpAdapterHost) {
    super(
      db,
      adapterHost,
      'rm_server_status_changes',
      'server_id, status, connected, last_seen_at, changed_at, reseller_id, reseller_name, company_id, company_name',
    );
  }

  protected async publish(pubsub: PubSub, r: StatusRow): Promise<void> {
    const message: ServerStatusMessage = {
      serverStatusChanged: {
        serverId: r.server_id,
        status: r.status as ServerStatus,
        connected: r.connected,
        lastSeenAt: r.last_seen_at === null ? null : toDate(r.last_seen_at),
        changedAt: toDate(r.changed_at),
        reseller: { id: r.reseller_id, name: r.reseller_name },
        company: { id: r.company_id, name: r.company_name },
      },
    };
    pubsub.publish({ topic: SERVER_STATUS_TOPIC, payload: message });
  }
}
