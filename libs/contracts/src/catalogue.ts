import { PING_COMMANDS } from './ping';
import { CONTEXTS } from './subjects';
import { MessageCatalogue } from './registry';

/** Every event, command and agent message of Fleetwarden; `docs/events.md` is generated from it. */
export const catalogue = new MessageCatalogue({
  events: [],
  commands: [...CONTEXTS.map((context) => PING_COMMANDS[context])],
  agentMessages: [],
});
