import { Injectable } from '@nestjs/common';
import type { GraphQLError } from 'graphql';
import { badUserInput } from '../graphql/graphql-errors';
import { InventoryCommands, type CommandCall } from '../inventory/inventory-commands';

/** HA cluster refusals about the components, reported as BAD_USER_INPUT naming them. */
const REFUSED_COMPONENTS = new Set(['HA_CLUSTER.UNKNOWN_SERVERS', 'HA_CLUSTER.SAME_SERVER_TWICE']);

/**
 * Sends the HA cluster commands to the redundancy service like {@link InventoryCommands}; the
 * refusals about the listed components become BAD_USER_INPUT naming the `components` argument.
 */
@Injectable()
export class HaCommands extends InventoryCommands {
  protected override refine(
    err: GraphQLError,
    _data: Record<string, unknown>,
    call: CommandCall,
  ): GraphQLError | undefined {
    const reason = err.extensions.reason;
    if (typeof reason !== 'string' || !REFUSED_COMPONENTS.has(reason)) return undefined;
    return badUserInput(call.argumentOf('components'), err.message, {
      reason,
      correlationId: err.extensions.correlationId,
    });
  }
}
