import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import type { z } from 'zod';
import type { CommandContract, CommandMeta } from '@fleetwarden/contracts';
import {
  CommandTimeoutError,
  JetStreamClientProxy,
  MessagingError,
  NoRespondersError,
  RemoteCommandError,
} from '@fleetwarden/messaging';
import { PLATFORM_RESOURCES, type PlatformResources } from '@fleetwarden/platform';
import type { Principal } from '../auth/jwt-tokens';
import { GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import type { GatewayContext } from '../graphql/gateway-context';
import { GqlErrorCode, badUserInput, gqlError } from '../graphql/graphql-errors';

/** How one mutation sends its command. */
export interface CommandCall {
  correlationId: string;
  idempotencyKey: string;
  /** GraphQL argument path of a command field (`serverId` -> `id`), for BAD_USER_INPUT errors. */
  argumentOf(field: string): string;
}

interface ValidationDetails {
  field?: unknown;
  issues?: Array<{ path?: unknown; message?: unknown }>;
}

/**
 * Sends commands to the inventory service over NATS with the caller's metadata, and turns
 * failures into GraphQL errors: NOT_FOUND (`*.NOT_FOUND`), BAD_USER_INPUT (`VALIDATION` and
 * `*.INVALID_<FIELD>`, with the argument), FORBIDDEN (`*FORBIDDEN*`), SERVICE_UNAVAILABLE (no reply in time,
 * no service, or `*_UNAVAILABLE`: a service it depends on did not answer),
 * INTERNAL_SERVER_ERROR (`INTERNAL`) and CONFLICT (every other business rule: the remote code is
 * kept in `extensions.reason`).
 */
@Injectable()
export class InventoryCommands implements OnApplicationShutdown {
  private readonly logger = new Logger('InventoryCommands');
  private readonly client: JetStreamClientProxy;
  private readonly timeoutMs: number;

  constructor(
    @Inject(PLATFORM_RESOURCES) resources: PlatformResources,
    @Inject(GATEWAY_OPTIONS) options: Required<GatewayOptions>,
  ) {
    this.timeoutMs = options.commandTimeoutMs;
    this.client = new JetStreamClientProxy({
      connection: resources.nats,
      subjects: resources.subjects,
      timeoutMs: options.commandTimeoutMs,
    });
  }

  async send<C extends CommandContract>(
    contract: C,
    data: z.input<C['request']>,
    principal: Principal,
    call: CommandCall,
  ): Promise<z.output<C['reply']>> {
    const checked = contract.request.safeParse(data);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw badUserInput(call.argumentOf(issue.path.map(String).join('.')), issue.message);
    }
    const meta: CommandMeta = {
      actor: principal.actor,
      role: principal.role,
      reseller: principal.reseller,
      correlationId: call.correlationId,
      idempotencyKey: call.idempotencyKey,
    };
    try {
      return await this.client.command<z.output<C['reply']>>(
        { context: contract.context, command: contract.name },
        checked.data,
        { meta },
      );
    } catch (err) {
      const error = this.toGraphQLError(err, contract, call);
      throw (
        (error instanceof GraphQLError ? this.refine(error, checked.data as Record<string, unknown>, call) : null) ??
        error
      );
    }
  }

  /**
   * A more precise error for a refusal of the owning service (BAD_USER_INPUT naming the argument a
   * refusal is about); undefined keeps `error`. Each context's commands override it.
   */
  protected refine(_error: GraphQLError, _data: Record<string, unknown>, _call: CommandCall): GraphQLError | undefined {
    return undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }

  private toGraphQLError(err: unknown, contract: CommandContract, call: CommandCall): GraphQLError | unknown {
    const ext = { correlationId: call.correlationId };
    if (err instanceof CommandTimeoutError) {
      return gqlError(
        GqlErrorCode.SERVICE_UNAVAILABLE,
        `The ${contract.context} service did not answer ${contract.name} within ${this.timeoutMs} ms. ` +
          'The command may still take effect: retry with the same idempotencyKey.',
        { ...ext, idempotencyKey: call.idempotencyKey },
      );
    }
    if (err instanceof NoRespondersError) {
      return gqlError(GqlErrorCode.SERVICE_UNAVAILABLE, `No ${contract.context} service is running`, ext);
    }
    if (err instanceof RemoteCommandError) return remoteError(err, call, this.logger);
    if (err instanceof MessagingError) {
      this.logger.error(`${contract.name}: ${err.message}`);
      return gqlError(GqlErrorCode.SERVICE_UNAVAILABLE, `The ${contract.context} service cannot be reached`, ext);
    }
    return err;
  }
}

/** Domain refusals that are about one input field: reported as BAD_USER_INPUT naming it. */
const REFUSED_INPUT: Readonly<Record<string, string>> = {
  'TASK.NAME_REQUIRED': 'name',
  'TASK.START_IN_PAST': 'startAt',
  'TASK.NEGATIVE_STAGGER': 'staggerSeconds',
  'TASK.NO_TARGETS': 'targets',
  'TASK.TARGETS_NOT_FOUND': 'targets',
  'TASK.NO_VERSIONS': 'versions',
  'TASK.DUPLICATE_COMPONENT': 'versions',
  'TASK.VERSION_NOT_AVAILABLE': 'versions',
  'TASK.SCHEMA_DOWNGRADE': 'versions',
  'TASK.INVALID_LIMIT': 'maxConcurrency',
};

function remoteError(err: RemoteCommandError, call: CommandCall, logger: Logger): GraphQLError {
  const code = err.code;
  const ext = { reason: code, correlationId: call.correlationId };
  if (code === 'NOT_FOUND' || code.endsWith('.NOT_FOUND')) return gqlError(GqlErrorCode.NOT_FOUND, err.message, ext);
  if (code === 'VALIDATION' || code === 'INVALID_REQUEST' || code.endsWith('.VALIDATION')) {
    const field = validationField(err.details);
    const argument = field ? call.argumentOf(field) : undefined;
    return gqlError(
      GqlErrorCode.BAD_USER_INPUT,
      argument ? `Invalid argument "${argument}": ${err.message}` : err.message,
      { ...ext, ...(argument ? { argument } : {}) },
    );
  }
  const refusedField = REFUSED_INPUT[code];
  if (refusedField) {
    const argument = call.argumentOf(refusedField);
    return gqlError(GqlErrorCode.BAD_USER_INPUT, `Invalid argument "${argument}": ${err.message}`, {
      ...ext,
      argument,
    });
  }
  const invalid = /\.INVALID_([A-Z_]+)$/.exec(code);
  if (invalid) {
    const argument = call.argumentOf(camelCase(invalid[1]));
    return gqlError(GqlErrorCode.BAD_USER_INPUT, `Invalid argument "${argument}": ${err.message}`, {
      ...ext,
      argument,
    });
  }
  if (code.includes('FORBIDDEN')) return gqlError(GqlErrorCode.FORBIDDEN, err.message, ext);
  // A service the owning one depends on did not answer (e.g. execution, on a cancel).
  if (code.endsWith('_UNAVAILABLE')) return gqlError(GqlErrorCode.SERVICE_UNAVAILABLE, err.message, ext);
  if (code === 'INTERNAL') {
    logger.error(`${err.subject}: remote INTERNAL error: ${err.message}`);
    return gqlError(GqlErrorCode.INTERNAL_SERVER_ERROR, 'The service failed to handle the command', ext);
  }
  return gqlError(GqlErrorCode.CONFLICT, err.message, ext);
}

/** The failing field of a VALIDATION reply: `details.field`, or the first issue's path without `data.`. */
function validationField(details: unknown): string | undefined {
  const d = (details ?? {}) as ValidationDetails;
  if (typeof d.field === 'string' && d.field) return d.field;
  const path = d.issues?.[0]?.path;
  if (typeof path === 'string' && path && path !== '(root)') return path.replace(/^data\./, '');
  if (Array.isArray(path) && path.length)
    return path
      .map(String)
      .join('.')
      .replace(/^data\./, '');
  return undefined;
}

/** `SERVER_VERSION` -> `serverVersion` */
function camelCase(upperSnake: string): string {
  return upperSnake.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** A fresh correlation id, unless the request brought a valid one. */
export function correlationIdOf(header: unknown): string | undefined {
  return typeof header === 'string' && /^[A-Za-z0-9._:-]{1,100}$/.test(header) ? header : undefined;
}

export const newCorrelationId = (): string => randomUUID();

/**
 * How a mutation sends its command: the request's correlation id, the caller's idempotency key
 * (1-200 characters; a fresh one when none) and how command fields map to GraphQL arguments.
 */
export function commandCall(
  ctx: GatewayContext,
  idempotencyKey: string | null | undefined,
  argumentOf: (field: string) => string,
): CommandCall {
  if (idempotencyKey !== null && idempotencyKey !== undefined) {
    if (idempotencyKey.length < 1 || idempotencyKey.length > 200) {
      throw badUserInput('idempotencyKey', 'must be 1 to 200 characters long');
    }
  }
  return {
    correlationId: ctx.correlationId ?? newCorrelationId(),
    idempotencyKey: idempotencyKey ?? randomUUID(),
    argumentOf,
  };
}
