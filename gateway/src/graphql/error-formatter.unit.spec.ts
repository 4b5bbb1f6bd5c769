import { Logger } from '@nestjs/common';
import { GraphQLError, Source, buildSchema, parse, validate } from 'graphql';
import { argumentAt, formatGraphQLErrors } from './error-formatter';

const schema = buildSchema(`
  enum Stage { BETA PRODUCTION }
  input Filter { stage: Stage, tags: [String!] }
  type Query { servers(filter: Filter, first: Int): Int }
`);

const validationErrors = (query: string) => validate(schema, parse(new Source(query)));

describe('GraphQL error formatting', () => {
  it('finds the argument path of a bad value', () => {
    const [error] = validationErrors('{ servers(filter: { stage: GONE }) }');
    expect(argumentAt(error)).toBe('filter.stage');
    const [listError] = validationErrors('{ servers(filter: { tags: ["a", 3] }) }');
    expect(argumentAt(listError)).toBe('filter.tags[1]');
  });

  it('names the argument in a validation error and answers 400', () => {
    const wrapped = Object.assign(new Error('Graphql validation error'), {
      statusCode: 400,
      errors: validationErrors('{ servers(first: "x") }'),
    });
    const result = formatGraphQLErrors({ errors: [new GraphQLError(wrapped.message, { originalError: wrapped })] });
    expect(result.statusCode).toBe(400);
    expect(result.response.errors![0]).toMatchObject({
      message: expect.stringMatching(/^Invalid value for argument "first": Int cannot represent/),
      extensions: { code: 'BAD_USER_INPUT', argument: 'first' },
    });
  });

  it('rewrites the depth limit error of mercurius', () => {
    const depth = Object.assign(new Error('`undefined query depth (9) exceeds the query depth limit of 8`'), {
      code: 'MER_ERR_GQL_QUERY_DEPTH',
    });
    const wrapped = Object.assign(new Error('Graphql validation error'), { statusCode: 400, errors: [depth] });
    const result = formatGraphQLErrors({ errors: [new GraphQLError(wrapped.message, { originalError: wrapped })] });
    expect(result.response.errors![0]).toEqual({
      message: 'Query is too deep: depth 9 exceeds the limit of 8 nested fields',
      extensions: { code: 'QUERY_TOO_DEEP', depth: 9, maxDepth: 8 },
    });
  });

  it('keeps coded resolver errors and hides unexpected ones', () => {
    const coded = new GraphQLError('Not authenticated: token expired', {
      path: ['servers'],
      extensions: { code: 'UNAUTHENTICATED' },
    });
    const unexpected = new GraphQLError('connection terminated', {
      path: ['server'],
      originalError: new Error('connection terminated'),
    });
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const result = formatGraphQLErrors({ data: { servers: null, server: null }, errors: [coded, unexpected] });
    expect(result.statusCode).toBe(200);
    expect(result.response.errors).toEqual([
      { message: 'Not authenticated: token expired', path: ['servers'], extensions: { code: 'UNAUTHENTICATED' } },
      { message: 'Internal server error', path: ['server'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ]);
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('connection terminated'));
    logged.mockRestore();
  });
});
