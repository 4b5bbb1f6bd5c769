import type { EventStore } from '@fleetwarden/eventstore';
import { AggregateBook } from '@fleetwarden/platform';
import { complianceStreamId, urgentUpdateStreamId } from '@fleetwarden/compliance-contracts';
import {
  SYSTEM_ACTOR,
  serverComplianceDecider,
  urgentUpdateDecider,
  type ServerComplianceCommand,
  type ServerComplianceEvent,
  type ServerComplianceState,
  type UrgentUpdateCommand,
  type UrgentUpdateEvent,
  type UrgentUpdateState,
} from '@fleetwarden/compliance-domain';
import type { Clock } from '@fleetwarden/shared-domain';

/**
 * The server compliance streams (`compliance-<serverId>`) this process works on: installs from
 * commands and agent reports, evaluations, emergency updates. Commands on one server go one batch
 * at a time, commands on different servers run in parallel; see {@link AggregateBook}.
 */
export class ServerComplianceBook extends AggregateBook<
  ServerComplianceCommand,
  ServerComplianceEvent,
  ServerComplianceState
> {
  constructor(store: EventStore, clock: Clock) {
    super({
      store,
      clock,
      decider: serverComplianceDecider,
      streamOf: complianceStreamId,
      context: 'compliance',
      actor: SYSTEM_ACTOR,
    });
  }
}

/** The urgent update streams (`urgent-update-<id>`) whose progress the leader records. */
export class UrgentUpdateBook extends AggregateBook<UrgentUpdateCommand, UrgentUpdateEvent, UrgentUpdateState> {
  constructor(store: EventStore, clock: Clock) {
    super({
      store,
      clock,
      decider: urgentUpdateDecider,
      streamOf: urgentUpdateStreamId,
      context: 'compliance',
      actor: SYSTEM_ACTOR,
    });
  }
}
