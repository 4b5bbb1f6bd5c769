import { Module, type DynamicModule, type LoggerService, type Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  OutboxRelayModule,
  PlatformModule,
  createFastifyApp,
  listenOn,
  type FleetwardenConfig,
  type PlatformResources,
} from '@fleetwarden/platform';
import { GatewayModule } from './gateway.module';
import type { GatewayOptions } from './gateway.options';

/** Options of {@link startGatewayApp}. */
export interface StartGatewayOptions {
  config: FleetwardenConfig;
  logger: LoggerService;
  /** Shared connections (runner); default: the gateway opens and closes its own. */
  resources?: PlatformResources;
  /** Run an outbox relay contender in this app (default true). */
  relay?: boolean;
  /** Timeouts of mutations (defaults suit production). */
  gateway?: GatewayOptions;
}

/** Starts the gateway on `PORT` (all interfaces). */
export async function startGatewayApp(options: StartGatewayOptions): Promise<NestFastifyApplication> {
  const { config, logger } = options;
  const imports: Array<Type | DynamicModule> = [
    PlatformModule.forRoot(config, { name: 'gateway', resources: options.resources, logger }),
    GatewayModule.forRoot(options.gateway),
  ];
  if (options.relay ?? true) imports.push(OutboxRelayModule.forRoot());

  @Module({ imports })
  class GatewayRootModule {}

  const app = await createFastifyApp(GatewayRootModule, logger);
  try {
    await listenOn(app, config.port, 'PORT');
    return app;
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
}

/** The URLs a person uses, for log lines. */
export function gatewayUrls(config: Pick<FleetwardenConfig, 'port'>): { graphql: string; health: string } {
  const base = `http://127.0.0.1:${config.port}`;
  return { graphql: `${base}/graphql`, health: `${base}/health` };
}
