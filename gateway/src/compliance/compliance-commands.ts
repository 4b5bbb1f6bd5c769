import { Injectable } from '@nestjs/common';
import type { GraphQLError } from 'graphql';
import { GqlErrorCode, badUserInput, gqlError } from '../graphql/graphql-errors';
import { InventoryCommands, type CommandCall } from '../inventory/inventory-commands';

/** Compliance refusals about one input field: NOT_FOUND for an unknown thing, else BAD_USER_INPUT. */
const REFUSED_INPUT: Readonly<Record<string, { code: 'NOT_FOUND' | 'BAD_USER_INPUT'; field: string }>> = {
  'COMPLIANCE.UNKNOWN_BATCH': { code: 'NOT_FOUND', field: 'batchId' },
  'COMPLIANCE.UNKNOWN_SERVER': { code: 'NOT_FOUND', field: 'serverId' },
  'COMPLIANCE.UNKNOWN_URGENT_UPDATE': { code: 'NOT_FOUND', field: 'urgentUpdateId' },
  'COMPLIANCE.FUTURE_INSTALL': { code: 'BAD_USER_INPUT', field: 'installedAt' },
  'COMPLIANCE.INVALID_TIME': { code: 'BAD_USER_INPUT', field: 'installedAt' },
  'COMPLIANCE.NO_PATCHES': { code: 'BAD_USER_INPUT', field: 'patches' },
  'COMPLIANCE.UNAPPROVED_PATCH': { code: 'BAD_USER_INPUT', field: 'patches' },
  'COMPLIANCE.INVALID_INSTALL': { code: 'BAD_USER_INPUT', field: 'urgentUpdateId' },
  'COMPLIANCE.NO_PILOT_SERVERS': { code: 'BAD_USER_INPUT', field: 'internalServerIds' },
  'COMPLIANCE.INVALID_SCHEDULE': { code: 'BAD_USER_INPUT', field: 'schedule' },
};

/**
 * Sends commands to the compliance service over NATS (`<ns>.cmd.compliance.*`) with the caller's
 * metadata; failures become GraphQL errors as for the inventory, and the compliance refusals about
 * one input (see {@link REFUSED_INPUT}) become NOT_FOUND or BAD_USER_INPUT naming its argument.
 */
@Injectable()
export class ComplianceCommands extends InventoryCommands {
  protected override refine(
    err: GraphQLError,
    _data: Record<string, unknown>,
    call: CommandCall,
  ): GraphQLError | undefined {
    const reason = err.extensions.reason;
    const refusal = typeof reason === 'string' ? REFUSED_INPUT[reason] : undefined;
    if (refusal === undefined) return undefined;
    const argument = call.argumentOf(refusal.field);
    const ext = { reason, correlationId: err.extensions.correlationId };
    if (refusal.code === 'NOT_FOUND') return gqlError(GqlErrorCode.NOT_FOUND, err.message, { ...ext, argument });
    return badUserInput(argument, err.message, ext);
  }
}
