import { Logger } from '@nestjs/common';
import {
  GraphQLError,
  Kind,
  parse,
  type ArgumentNode,
  type DocumentNode,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
  type ValueNode,
} from 'graphql';
import { GqlErrorCode } from './graphql-errors';

/** Codes of errors that reject the request before execution (answered with HTTP 400). */
const REQUEST_ERROR_CODES = new Set<string>([
  GqlErrorCode.GRAPHQL_PARSE_FAILED,
  GqlErrorCode.GRAPHQL_VALIDATION_FAILED,
  GqlErrorCode.BAD_USER_INPUT,
  GqlErrorCode.QUERY_TOO_DEEP,
  GqlErrorCode.QUERY_TOO_COSTLY,
]);

const logger = new Logger('GraphQL');

interface MercuriusError extends Error {
  code?: string;
  statusCode?: number;
  errors?: unknown[];
}

/**
 * Mercurius `errorFormatter`: every error leaves with `extensions.code`.
 *
 * - Validation errors about a value inside an argument name it (`filter.stage`) in the message
 *   and in `extensions.argument`, with code BAD_USER_INPUT; other validation errors get
 *   GRAPHQL_VALIDATION_FAILED, syntax errors GRAPHQL_PARSE_FAILED, mercurius's depth limit
 *   QUERY_TOO_DEEP. Requests refused before execution are answered with HTTP 400.
 * - Errors the resolvers raise on purpose carry their code already; anything else is logged and
 *   answered as INTERNAL_SERVER_ERROR without its details.
 */
export function formatGraphQLErrors(
  execution: ExecutionResult,
  _context?: unknown,
): { statusCode: number; response: FormattedExecutionResult } {
  const errors: GraphQLError[] = [];
  let requestStatus: number | undefined;
  for (const error of execution.errors ?? []) {
    const original = error.originalError as MercuriusError | undefined;
    if (Array.isArray(original?.errors)) {
      // mercurius wraps the errors of parsing, validation, variables and the depth limit
      requestStatus = original.statusCode ?? 400;
      for (const inner of original.errors) errors.push(requestError(inner));
    } else {
      errors.push(executionError(error));
    }
  }
  const refusedBeforeExecution = !('data' in execution) || execution.data === undefined;
  const statusCode =
    refusedBeforeExecution && errors.every((e) => REQUEST_ERROR_CODES.has(String(e.extensions.code)))
      ? (requestStatus ?? 400)
      : refusedBeforeExecution
        ? ((execution as { statusCode?: number }).statusCode ?? requestStatus ?? 200)
        : 200;
  return {
    statusCode,
    response: { data: execution.data ?? null, errors: errors.map((e): GraphQLFormattedError => e.toJSON()) },
  };
}

function requestError(raw: unknown): GraphQLError {
  const mercurius = raw as MercuriusError;
  if (mercurius.code === 'MER_ERR_GQL_QUERY_DEPTH') {
    const [, depth, limit] = /\((\d+)\) exceeds the query depth limit of (\d+)/.exec(mercurius.message) ?? [];
    return new GraphQLError(
      `Query is too deep: ${depth ? `depth ${depth} exceeds` : 'it exceeds'} the limit of ${limit ?? '?'} nested fields`,
      { extensions: { code: GqlErrorCode.QUERY_TOO_DEEP, depth: Number(depth), maxDepth: Number(limit) } },
    );
  }
  if (!(raw instanceof GraphQLError)) {
    return new GraphQLError(mercurius.message ?? String(raw), {
      extensions: { code: GqlErrorCode.GRAPHQL_VALIDATION_FAILED },
    });
  }
  if (raw.extensions?.code) return raw;
  if (raw.message.startsWith('Syntax Error')) return withCode(raw, GqlErrorCode.GRAPHQL_PARSE_FAILED);
  const variable = /^Variable "\$(\w+)" got invalid value/.exec(raw.message);
  if (variable) return withCode(raw, GqlErrorCode.BAD_USER_INPUT, { variable: variable[1] });
  const argument = argumentAt(raw);
  if (argument && !raw.message.includes(`argument "${argument.split('.')[0]}"`)) {
    return new GraphQLError(`Invalid value for argument "${argument}": ${raw.message}`, {
      nodes: raw.nodes,
      source: raw.source,
      positions: raw.positions,
      extensions: { code: GqlErrorCode.BAD_USER_INPUT, argument },
    });
  }
  return withCode(raw, argument ? GqlErrorCode.BAD_USER_INPUT : GqlErrorCode.GRAPHQL_VALIDATION_FAILED, {
    ...(argument ? { argument } : {}),
  });
}

function executionError(error: GraphQLError): GraphQLError {
  if (error.extensions?.code) return error;
  const original = error.originalError;
  if (original && !(original instanceof GraphQLError)) {
    logger.error(`${error.path?.join('.') ?? 'request'}: ${original.stack ?? original.message}`);
    return new GraphQLError('Internal server error', {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      extensions: { code: GqlErrorCode.INTERNAL_SERVER_ERROR },
    });
  }
  return withCode(error, GqlErrorCode.INTERNAL_SERVER_ERROR);
}

function withCode(error: GraphQLError, code: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code, ...extensions },
  });
}

/**
 * The argument (`first`, `filter.stage`, `input.serverIds[2]`) whose value holds the error's
 * location, or undefined when the error is not inside an argument.
 */
export function argumentAt(error: GraphQLError): string | undefined {
  const offset = error.nodes?.[0]?.loc?.start ?? error.positions?.[0];
  const body = error.source?.body;
  if (offset === undefined || body === undefined) return undefined;
  let document: DocumentNode;
  try {
    document = parse(body);
  } catch {
    return undefined;
  }
  let found: string | undefined;
  const visit = (node: unknown): void => {
    if (found || node === null || typeof node !== 'object') return;
    const n = node as { kind?: string; loc?: { start: number; end: number } };
    if (n.kind === Kind.ARGUMENT) {
      const arg = node as ArgumentNode;
      if (arg.loc && arg.loc.start <= offset && offset < arg.loc.end) found = pathIn(arg.value, offset, arg.name.value);
      return;
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object' && 'kind' in value) visit(value);
    }
  };
  visit(document);
  return found;
}

function pathIn(value: ValueNode, offset: number, path: string): string {
  if (value.kind === Kind.OBJECT) {
    const field = value.fields.find((f) => f.loc && f.loc.start <= offset && offset < f.loc.end);
    return field ? pathIn(field.value, offset, `${path}.${field.name.value}`) : path;
  }
  if (value.kind === Kind.LIST) {
    const index = value.values.findIndex((v) => v.loc && v.loc.start <= offset && offset < v.loc.end);
    return index >= 0 ? pathIn(value.values[index], offset, `${path}[${index}]`) : path;
  }
  return path;
}
