import type { EventStore } from '@fleetwarden/eventstore';
import { ServerConnected, ServerDecommissioned, ServerDisconnected } from '@fleetwarden/inventory-contracts';
import type { EventEnvelope } from '@fleetwarden/messaging';
import { executionTables, sql } from '../rollouts/execution-tables';

/**
 * Keeps which agents are connected (a durable consumer of `<ns>.events.inventory.>`): a
 * disconnected target waits in the queue until it reconnects. Events may arrive out of order
 * after a redelivery; the one with the higher global position wins.
 */
export class PresenceIntake {
  constructor(
    private readonly store: EventStore,
    private readonly schema: string,
  ) {}

  async handle(envelope: EventEnvelope): Promise<void> {
    let serverId: string;
    let connected: boolean;
    switch (envelope.type) {
      case ServerConnected.type:
        serverId = ServerConnected.parse(envelope.data).serverId;
        connected = true;
        break;
      case ServerDisconnected.type:
        serverId = ServerDisconnected.parse(envelope.data).serverId;
        connected = false;
        break;
      case ServerDecommissioned.type:
        serverId = ServerDecommissioned.parse(envelope.data).serverId;
        connected = false;
        break;
      default:
        return;
    }
    const t = executionTables(this.schema);
    await sql(
      this.store,
      `INSERT INTO ${t.presence} (server_id, connected, position) VALUES ($1, $2, $3)
       ON CONFLICT (server_id) DO UPDATE SET connected = EXCLUDED.connected, position = EXCLUDED.position
       WHERE ${t.presence}.position < EXCLUDED.position`,
      [serverId, connected, envelope.globalPosition],
    );
  }
}
