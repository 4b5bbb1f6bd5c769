import { COMPLIANCE_AGENT_MESSAGES, COMPLIANCE_COMMANDS, COMPLIANCE_EVENTS } from '@fleetwarden/compliance-contracts';
import { CONTEXTS, MessageCatalogue, PING_COMMANDS } from '@fleetwarden/contracts';
import { EXECUTION_AGENT_MESSAGES, EXECUTION_COMMANDS, EXECUTION_EVENTS } from '@fleetwarden/execution-contracts';
import { INVENTORY_AGENT_MESSAGES, INVENTORY_COMMANDS, INVENTORY_EVENTS } from '@fleetwarden/inventory-contracts';
import {
  HA_CLUSTER_COMMANDS,
  HA_CLUSTER_EVENTS,
  REDUNDANCY_AGENT_MESSAGES,
  REDUNDANCY_COMMANDS,
  REDUNDANCY_EVENTS,
} from '@fleetwarden/redundancy-contracts';
import { SCHEDULING_COMMANDS, SCHEDULING_EVENTS } from '@fleetwarden/scheduling-contracts';

/** Every event, command and agent message of Fleetwarden; `docs/events.md` is generated from it. */
export const catalogue = new MessageCatalogue({
  events: [
    ...INVENTORY_EVENTS,
    ...SCHEDULING_EVENTS,
    ...EXECUTION_EVENTS,
    ...REDUNDANCY_EVENTS,
    ...HA_CLUSTER_EVENTS,
    ...COMPLIANCE_EVENTS,
  ],
  commands: [
    ...CONTEXTS.map((context) => PING_COMMANDS[context]),
    ...INVENTORY_COMMANDS,
    ...SCHEDULING_COMMANDS,
    ...EXECUTION_COMMANDS,
    ...REDUNDANCY_COMMANDS,
    ...HA_CLUSTER_COMMANDS,
    ...COMPLIANCE_COMMANDS,
  ],
  agentMessages: [
    ...INVENTORY_AGENT_MESSAGES,
    ...EXECUTION_AGENT_MESSAGES,
    ...REDUNDANCY_AGENT_MESSAGES,
    ...COMPLIANCE_AGENT_MESSAGES,
  ],
});
