import { randomUUID } from 'node:crypto';
import { ConsoleLogger, Global, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { EventStore } from '@fleetwarden/eventstore';
import { loadConfig, startServiceApp, type FleetwardenConfig } from '@fleetwarden/platform';
import { EXECUTION_SERVICE_NAME } from '../execution-service.constants';
import { EXECUTION_SERVICE_OPTIONS, ExecutionRuntime, type ExecutionServiceOptions } from '../execution-runtime';
import { ExecutionServiceModule } from '../execution-service.module';

export interface ExecutionTestEnv {
  natsUrl: string;
  databaseUrl: string;
  schema: string;
  namespace: string;
  clockSpeed?: number;
  clockOrigin?: string;
}

export function executionTestConfig(env: ExecutionTestEnv): FleetwardenConfig {
  return loadConfig({
    NATS_URL: env.natsUrl,
    DATABASE_URL: env.databaseUrl,
    FLEETWARDEN_DB_SCHEMA: env.schema,
    FLEETWARDEN_NAMESPACE: env.namespace,
    FLEETWARDEN_CLOCK_SPEED: String(env.clockSpeed ?? 1),
    ...(env.clockOrigin ? { FLEETWARDEN_CLOCK_ORIGIN: env.clockOrigin } : {}),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
  });
}

/** Starts an execution service app (its own connections, its own outbox relay) with test timings. */
export async function startExecutionForTest(
  env: ExecutionTestEnv,
  options: ExecutionServiceOptions = {},
): Promise<NestFastifyApplication> {
  @Global()
  @Module({
    providers: [{ provide: EXECUTION_SERVICE_OPTIONS, useValue: options }],
    exports: [EXECUTION_SERVICE_OPTIONS],
  })
  class TestOptionsModule {}

  @Module({ imports: [TestOptionsModule, ExecutionServiceModule] })
  class ExecutionUnderTestModule {}

  return startServiceApp(
    { name: EXECUTION_SERVICE_NAME, context: 'execution', module: ExecutionUnderTestModule },
    {
      config: executionTestConfig(env),
      logger: new ConsoleLogger({
        logLevels: process.env.TEST_LOG_LEVEL ? ['fatal', 'error', 'warn', 'log'] : ['fatal'],
      }),
    },
  );
}

export function executionRuntime(app: NestFastifyApplication): ExecutionRuntime {
  return app.get(ExecutionRuntime, { strict: false });
}

/** Appends one event of another context, as its service would. */
export async function appendForeignEvent(
  store: EventStore,
  streamId: string,
  context: 'inventory' | 'scheduling' | 'redundancy',
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
