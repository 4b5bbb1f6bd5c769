import { ConsoleLogger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { serviceTestConfig, startServiceForTest, type ServiceTestEnv } from '@fleetwarden/platform';
import { INVENTORY_SERVICE_OPTIONS, InventoryRuntime, type InventoryServiceOptions } from '../inventory-runtime';
import { INVENTORY_SERVICE } from '../inventory-service.module';

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

export type InventoryTestEnv = ServiceTestEnv;

export const inventoryTestConfig = serviceTestConfig;

/** Starts an inventory service app (its own connections) with test timings. */
export function startInventoryForTest(
  env: InventoryTestEnv,
  options: InventoryServiceOptions = {},
  logger: ConsoleLogger = new CapturingLogger(),
): Promise<NestFastifyApplication> {
  return startServiceForTest(INVENTORY_SERVICE, env, [{ token: INVENTORY_SERVICE_OPTIONS, value: options }], logger);
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
