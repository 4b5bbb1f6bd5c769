import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import { HealthController, PLATFORM_CONFIG, type FleetwardenConfig } from '@fleetwarden/platform';
import { AuthModule } from './auth/auth.module';
import { ComplianceModule } from './compliance/compliance.module';
import { TokenVerifier } from './auth/request-auth';
import type { GatewayOptions } from './gateway.options';
import { formatGraphQLErrors } from './graphql/error-formatter';
import { GraphQLErrorFilter } from './graphql/graphql-error.filter';
import type { GatewayContext } from './graphql/gateway-context';
import { MAX_QUERY_DEPTH, assertQueryCost } from './graphql/query-limits';
import { ServicesHealthChecks } from './health/services-health.checks';
import { correlationIdOf } from './inventory/inventory-commands';
import { InventoryModule } from './inventory/inventory.module';
import { RedundancyModule } from './redundancy/redundancy.module';
import { SchedulingModule } from './scheduling/scheduling.module';
import { SystemResolver } from './system/system.resolver';

/** Path of the GraphQL endpoint (HTTP and WebSocket). */
export const GRAPHQL_PATH = '/graphql';

/** The mercurius options of the gateway's GraphQL endpoint. */
export function graphqlOptions(config: FleetwardenConfig, verifier: TokenVerifier): MercuriusDriverConfig {
  return {
    path: GRAPHQL_PATH,
    autoSchemaFile: true,
    sortSchema: true,
    graphiql: false,
    validationRules: config.graphqlIntrospection ? [] : [NoSchemaIntrospectionCustomRule],
    queryDepth: MAX_QUERY_DEPTH,
    jit: 1,
    errorFormatter: formatGraphQLErrors,
    context: (request: { headers: Record<string, unknown> }): GatewayContext => ({
      auth: verifier.forHeader(request.headers.authorization),
      correlationId: correlationIdOf(request.headers['x-correlation-id']),
    }),
    subscription: {
      onConnect: ({ payload }: { payload?: Record<string, unknown> }) => ({
        auth: verifier.forHeader(payload?.authorization ?? payload?.Authorization),
      }),
    },
    hooks: {
      preExecution: [
        async (schema, document, _context, variables) =>
          assertQueryCost(schema, document, variables as Record<string, unknown> | undefined),
      ],
      preSubscriptionExecution: [async (schema, document) => assertQueryCost(schema, document)],
    },
  };
}

/**
 * The gateway: GraphQL (code-first, Mercurius) on `/graphql` — queries and mutations over HTTP,
 * subscriptions over WebSocket — with bearer-token auth, and `GET /health` with the state of
 * every dependency and service. Needs `PlatformModule` in the application.
 */
@Module({})
export class GatewayModule {
  static forRoot(options: GatewayOptions = {}): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        GraphQLModule.forRootAsync<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          imports: [AuthModule],
          inject: [PLATFORM_CONFIG, TokenVerifier],
          useFactory: graphqlOptions,
        }),
        InventoryModule.forRoot(options),
        SchedulingModule.forRoot(options),
        RedundancyModule.forRoot(options),
        ComplianceModule.forRoot(options),
      ],
      controllers: [HealthController],
      providers: [ServicesHealthChecks, SystemResolver, { provide: APP_FILTER, useClass: GraphQLErrorFilter }],
    };
  }
}
