import { GraphQLError } from 'graphql';

/** `extensions.code` values the gateway answers with. */
export const GqlErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  CONFLICT: 'CONFLICT',
  /** The owning service did not answer (timeout) or none is running. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** The command succeeded but the read model did not show it in time. */
  READ_MODEL_TIMEOUT: 'READ_MODEL_TIMEOUT',
  QUERY_TOO_DEEP: 'QUERY_TOO_DEEP',
  QUERY_TOO_COSTLY: 'QUERY_TOO_COSTLY',
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type GqlErrorCode = (typeof GqlErrorCode)[keyof typeof GqlErrorCode];

/** A GraphQL error with `extensions.code` (and any further extensions). */
export function gqlError(code: GqlErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

export function unauthenticated(reason: string): GraphQLError {
  return gqlError(GqlErrorCode.UNAUTHENTICATED, `Not authenticated: ${reason}`);
}

export function forbidden(message: string): GraphQLError {
  return gqlError(GqlErrorCode.FORBIDDEN, message);
}

/** A bad argument value; `argument` is its path (`first`, `filter.versionPrefix`, `input.serverIds`). */
export function badUserInput(
  argument: string,
  message: string,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  return gqlError(GqlErrorCode.BAD_USER_INPUT, `Invalid argument "${argument}": ${message}`, {
    argument,
    ...extensions,
  });
}
