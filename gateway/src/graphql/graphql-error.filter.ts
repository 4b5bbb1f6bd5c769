import { Catch, type ArgumentsHost } from '@nestjs/common';
import { GqlArgumentsHost, type GqlExceptionFilter } from '@nestjs/graphql';
import { GraphQLError, type GraphQLResolveInfo } from 'graphql';

/**
 * The GraphQL transport's exception filter: errors raised on purpose (a GraphQLError with
 * `extensions.code`: bad input, not authenticated, not found...) go to the client as they are and
 * are not logged as server errors. Anything else reaches the error formatter, which logs it and
 * hides its details.
 */
@Catch(GraphQLError)
export class GraphQLErrorFilter implements GqlExceptionFilter {
  catch(exception: GraphQLError, host: ArgumentsHost): GraphQLError {
    const info = GqlArgumentsHost.create(host).getInfo<GraphQLResolveInfo | undefined>();
    // A subscription's resolver must throw: its result is taken for the event stream.
    if (info?.operation?.operation === 'subscription') throw exception;
    return exception;
  }
}
