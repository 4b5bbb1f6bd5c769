import { randomUUID } from 'node:crypto';
import { ConsoleLogger, Global, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Context } from '@fleetwarden/contracts';
import type { EventStore } from '@fleetwarden/eventstore';
import { loadConfig, type FleetwardenConfig } from '../config/config';
import { startServiceApp, type ServiceDefinition } from './service-app';

/** Where a service under test runs: the test's own schema and namespace on the shared servers. */
export interface ServiceTestEnv {
  natsUrl: string;
  databaseUrl: string;
  schema: string;
  namespace: string;
  clockSpeed?: number;
  /** ISO-8601 origin of a faster clock (shared with the test's own clock). */
  clockOrigin?: string;
  /** More environment variables of the service (`FLEETWARDEN_OPERATOR_TIME_ZONE`, ...). */
  extraEnv?: Record<string, string>;
}

/** The configuration of a service under test (`TEST_LOG_LEVEL` shows its logs). */
export function serviceTestConfig(env: ServiceTestEnv): FleetwardenConfig {
  return loadConfig({
    NATS_URL: env.natsUrl,
    DATABASE_URL: env.databaseUrl,
    FLEETWARDEN_DB_SCHEMA: env.schema,
    FLEETWARDEN_NAMESPACE: env.namespace,
    FLEETWARDEN_CLOCK_SPEED: String(env.clockSpeed ?? 1),
    ...(env.clockOrigin ? { FLEETWARDEN_CLOCK_ORIGIN: env.clockOrigin } : {}),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    ...env.extraEnv,
  });
}

/** A value the service under test injects (its tuning: shorter timings in tests). */
export interface TestProvider {
  token: symbol;
  value: unknown;
}

/** Starts a service app for a test (its own connections and outbox relay) with `providers`. */
export async function startServiceForTest(
  service: ServiceDefinition,
  env: ServiceTestEnv,
  providers: readonly TestProvider[] = [],
  logger?: ConsoleLogger,
): Promise<NestFastifyApplication> {
  @Global()
  @Module({
    providers: providers.map((p) => ({ provide: p.token, useValue: p.value })),
    exports: providers.map((p) => p.token),
  })
  class TestOptionsModule {}

  @Module({ imports: [TestOptionsModule, service.module] })
  class ServiceUnderTestModule {}

  return startServiceApp(
    { ...service, module: ServiceUnderTestModule },
    {
      config: serviceTestConfig(env),
      logger:
        logger ??
        new ConsoleLogger({
          logLevels: process.env.TEST_LOG_LEVEL ? ['fatal', 'error', 'warn', 'log'] : ['fatal'],
        }),
    },
  );
}

/** Appends one event as the service of `context` would (tests feeding another context's events). */
export async function appendEventAs(
  store: EventStore,
  streamId: string,
  context: Context,
  type: string,
  data: Record<string, unknown>,
  reseller: string | null = null,
): Promise<void> {
  await store.append(streamId, [
    {
      eventId: randomUUID(),
      type,
      data,
      metadata: {
        correlationId: randomUUID(),
        causationId: null,
        actor: 'test',
        reseller,
        occurredAt: new Date().toISOString(),
        context,
      },
    },
  ]);
}
