import { Injectable } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import type { z } from 'zod';
import type { CommandContract } from '@fleetwarden/contracts';
import type { Principal } from '../auth/jwt-tokens';
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
  override async send<C extends CommandContract>(
    contract: C,
    data: z.input<C['request']>,
    principal: Principal,
    call: CommandCall,
  ): Promise<z.output<C['reply']>> {
    try {
      return await super.send(contract, data, principal, call);
    } catch (err) {
      if (!(err instanceof GraphQLError)) throw err;
      const reason = err.extensions.reason;
      if (typeof reason !== 'string' || !REFUSED_COMPONENTS.has(reason)) throw err;
      throw badUserInput(call.argumentOf('components'), err.message, {
        reason,
        correlationId: err.extensions.correlationId,
      });
    }
  }
}
