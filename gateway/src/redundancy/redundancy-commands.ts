import { Injectable } from '@nestjs/common';
import type { GraphQLError } from 'graphql';
import { badUserInput } from '../graphql/graphql-errors';
import { InventoryCommands, type CommandCall } from '../inventory/inventory-commands';

/**
 * Redundancy refusals about one input field, reported as BAD_USER_INPUT naming it: the command
 * field, or a function of the command's data and the refusal's message.
 */
const REFUSED_INPUT: Readonly<Record<string, string | ((data: Record<string, unknown>, message: string) => string)>> = {
  'PAIR.SAME_SERVER_TWICE': 'secondaryServerId',
  'PAIR.UNKNOWN_SERVERS': serverFieldNamedIn,
  'PAIR.INVALID_THRESHOLD': 'failoverThresholdSec',
};

/** The member field whose server the message names ("Unknown servers: a, b"); the primary's when both or neither. */
function serverFieldNamedIn(data: Record<string, unknown>, message: string): string {
  const named = new Set(message.split(/[^A-Za-z0-9_-]+/));
  return !named.has(String(data.primaryServerId)) && named.has(String(data.secondaryServerId))
    ? 'secondaryServerId'
    : 'primaryServerId';
}

/**
 * Sends commands to the redundancy service over NATS (`<ns>.cmd.redundancy.*`) with the caller's
 * metadata; failures become GraphQL errors as for the inventory, and the redundancy refusals that
 * are about one input field (see {@link REFUSED_INPUT}) become BAD_USER_INPUT naming its argument.
 */
@Injectable()
export class RedundancyCommands extends InventoryCommands {
  protected override refine(
    err: GraphQLError,
    data: Record<string, unknown>,
    call: CommandCall,
  ): GraphQLError | undefined {
    const reason = err.extensions.reason;
    const field = typeof reason === 'string' ? REFUSED_INPUT[reason] : undefined;
    if (field === undefined) return undefined;
    const argument = call.argumentOf(typeof field === 'string' ? field : field(data, err.message));
    return badUserInput(argument, err.message, { reason, correlationId: err.extensions.correlationId });
  }
}
