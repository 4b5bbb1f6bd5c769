import { randomUUID } from 'node:crypto';
import { ConsoleLogger, Global, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { EventStore } from '@fleetwarden/eventstore';
import { loadConfig, startServiceApp, type FleetwardenConfig } from '@fleetwarden/platform';
import { SCHEDULING_SERVICE_NAME } from '../scheduling-service.constants';
import { SCHEDULING_SERVICE_OPTIONS, SchedulingRuntime, type SchedulingServiceOptions } from '../scheduling-runtime';
import { SchedulingServiceModule } from '../scheduling-service.module';

export interface SchedulingTestEnv {
  natsUrl: string;
  databaseUrl: string;
  schema: string;
  namespace: string;
  clockSpeed?: number;
}

export function schedulingTestConfig(env: SchedulingTestEnv): FleetwardenConfig {
  return loadConfig({
    NATS_URL: env.natsUrl,
    DATABASE_URL: env.databaseUrl,
    FLEETWARDEN_DB_SCHEMA: env.schema,
    FLEETWARDEN_NAMESPACE: env.namespace,
    FLEETWARDEN_CLOCK_SPEED: String(env.clockSpeed ?? 1),
    LOG_LEVEL: 'error',
  });
}

/** Starts a scheduling service app (its own connections) with test timings. */
export async function startSchedulingForTest(
  env: SchedulingTestEnv,
  options: SchedulingServiceOptions = {},
): Promise<NestFastifyApplication> {
  @Global()
  @Module({
    providers: [{ provide: SCHEDULING_SERVICE_OPTIONS, useValue: options }],
    exports: [SCHEDULING_SERVICE_OPTIONS],
  })
  class TestOptionsModule {}

  @Module({ imports: [TestOptionsModule, SchedulingServiceModule] })
  class SchedulingUnderTestModule {}

  return startServiceApp(
    { name: SCHEDULING_SERVICE_NAME, context: 'scheduling', module: SchedulingUnderTestModule },
    { config: schedulingTestConfig(env), logger: new ConsoleLogger({ logLevels: ['fatal'] }) },
  );
}

/** The runtime (fleet view, timers) of a started scheduling app. */
export function schedulingRuntime(app: NestFastifyApplication): SchedulingRuntime {
  return app.get(SchedulingRuntime, { strict: false });
}

/** Appends inventory events as the inventory service would, to feed the fleet view. */
export async function appendInventoryEvent(
  store: EventStore,
  streamId: string,
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
        actor: 'operator:test',
        reseller,
        occurredAt: new Date().toISOString(),
        context: 'inventory',
      },
    },
  ]);
}

/** Polls `probe` until it returns something other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
