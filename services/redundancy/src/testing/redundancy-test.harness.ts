import { randomUUID } from 'node:crypto';
import { ConsoleLogger, Global, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { EventStore } from '@fleetwarden/eventstore';
import { loadConfig, startServiceApp, type FleetwardenConfig } from '@fleetwarden/platform';
import { REDUNDANCY_SERVICE_NAME } from '../redundancy-service.constants';
import { REDUNDANCY_SERVICE_OPTIONS, RedundancyRuntime, type RedundancyServiceOptions } from '../redundancy-runtime';
import { RedundancyServiceModule } from '../redundancy-service.module';

export interface RedundancyTestEnv {
  natsUrl: string;
  databaseUrl: string;
  schema: string;
  namespace: string;
  clockSpeed?: number;
  clockOrigin?: string;
}

export function redundancyTestConfig(env: RedundancyTestEnv): FleetwardenConfig {
  return loadConfig({
    NATS_URL: env.natsUrl,
    DATABASE_URL: env.databaseUrl,
    FLEETWARDEN_DB_SCHEMA: env.schema,
    FLEETWARDEN_NAMESPACE: env.namespace,
    FLEETWARDEN_CLOCK_SPEED: String(env.clockSpeed ?? 1),
    ...(env.clockOrigin ? { FLEETWARDEN_CLOCK_ORIGIN: env.clockOrigin } : {}),
    LOG_LEVEL: 'error',
  });
}

/** Starts an redundancy service app (its own connections, its own outbox relay) with test timings. */
export async function startRedundancyForTest(
  env: RedundancyTestEnv,
  options: RedundancyServiceOptions = {},
): Promise<NestFastifyApplication> {
  @Global()
  @Module({
    providers: [{ provide: REDUNDANCY_SERVICE_OPTIONS, useValue: options }],
    exports: [REDUNDANCY_SERVICE_OPTIONS],
  })
  class TestOptionsModule {}

  @Module({ imports: [TestOptionsModule, RedundancyServiceModule] })
  class RedundancyUnderTestModule {}

  return startServiceApp(
    { name: REDUNDANCY_SERVICE_NAME, context: 'redundancy', module: RedundancyUnderTestModule },
    { config: redundancyTestConfig(env), logger: new ConsoleLogger({ logLevels: ['fatal'] }) },
  );
}

export function redundancyRuntime(app: NestFastifyApplication): RedundancyRuntime {
  return app.get(RedundancyRuntime, { strict: false });
}

/** Appends one event of another context, as its service would. */
export async function appendForeignEvent(
  store: EventStore,
  streamId: string,
  context: 'inventory',
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
