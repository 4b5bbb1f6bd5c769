import { Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import { HealthController, PLATFORM_CONFIG, type FleetwardenConfig } from '@fleetwarden/platform';
import { ServicesHealthChecks } from './health/services-health.checks';
import { SystemResolver } from './system/system.resolver';

/** Path of the GraphQL endpoint. */
export const GRAPHQL_PATH = '/graphql';

/**
 * The gateway: GraphQL (code-first, Mercurius) on `/graphql` and `GET /health` with the state of
 * every dependency and service. Needs `PlatformModule` in the application.
 */
@Module({
  imports: [
    GraphQLModule.forRootAsync<MercuriusDriverConfig>({
      driver: MercuriusDriver,
      inject: [PLATFORM_CONFIG],
      useFactory: (config: FleetwardenConfig) => ({
        path: GRAPHQL_PATH,
        autoSchemaFile: true,
        sortSchema: true,
        graphiql: false,
        validationRules: config.graphqlIntrospection ? [] : [NoSchemaIntrospectionCustomRule],
      }),
    }),
  ],
  controllers: [HealthController],
  providers: [ServicesHealthChecks, SystemResolver],
})
export class GatewayModule {}
