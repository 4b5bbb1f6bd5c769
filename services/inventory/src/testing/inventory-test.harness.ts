import { ConsoleLogger, Global, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, startServiceApp, type FleetwardenConfig } from '@fleetwarden/platform';
import { INVENTORY_SERVICE_NAME } from '../inventory-service.constants';
import { INVENTORY_SERVICE_OPTIONS, InventoryRuntime, type InventoryServiceOptions } from '../inventory-runtime';
import { InventoryServiceModule } from '../inventory-service.module';

/** A logger that keeps warnings and errors, so that tests can check what was logged. */
export class CapturingLogger extends ConsoleLogger {
  readonly lines: string[] = [];

  constructor() {
    super({ logLevels: ['fatal'] });
  }

  override warn(message: unknown, ...rest: unknown[]): void {
    this.lines.push(`WARN ${String(message)}`);
    super.warn(message, ...rest);
  }

  override error(message: unknown, ...rest: unknown[]): void {
    this.lines.push(`ERROR ${String(message)}`);
    super.error(message, ...rest);
  }
}

export interface InventoryTestEnv {
  natsUrl: string;
  databaseUrl: string;
  schema: string;
  namespace: string;
  clockSpeed?: number;
}

export function inventoryTestConfig(env: InventoryTestEnv): FleetwardenConfig {
  return loadConfig({
    NATS_URL: env.natsUrl,
    DATABASE_URL: env.databaseUrl,
    FLEETWARDEN_DB_SCHEMA: env.schema,
    FLEETWARDEN_NAMESPACE: env.namespace,
    FLEETWARDEN_CLOCK_SPEED: String(env.clockSpeed ?? 1),
    LOG_LEVEL: 'error',
  });
}

/** Starts an inventory service app (its own connections) with test timings. */
export async function startInventoryForTest(
  env: InventoryTestEnv,
  options: InventoryServiceOptions = {},
  logger: ConsoleLogger = new CapturingLogger(),
): Promise<NestFastifyApplication> {
  @Global()
  @Module({
    providers: [{ provide: INVENTORY_SERVICE_OPTIONS, useValue: options }],
    exports: [INVENTORY_SERVICE_OPTIONS],
  })
  class TestOptionsModule {}

  @Module({ imports: [TestOptionsModule, InventoryServiceModule] })
  class InventoryUnderTestModule {}

  return startServiceApp(
    { name: INVENTORY_SERVICE_NAME, context: 'inventory', module: InventoryUnderTestModule },
    { config: inventoryTestConfig(env), logger },
  );
}

/** The runtime (directory, intake, presence) of a started inventory app. */
export function inventoryRuntime(app: NestFastifyApplication): InventoryRuntime {
  return app.get(InventoryRuntime, { strict: false });
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
