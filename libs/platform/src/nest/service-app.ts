import { Logger, Module, type DynamicModule, type LoggerService, type Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Context } from '@fleetwarden/contracts';
import { JetStreamExceptionFilter, JetStreamServer } from '@fleetwarden/messaging';
import type { FleetwardenConfig } from '../config/config';
import type { PlatformResources } from '../runtime/resources';
import { createFastifyApp, listenOn } from './create-app';
import { HealthController } from './health.controller';
import { OutboxRelayModule } from './outbox-relay.module';
import { PLATFORM_RESOURCES, PlatformModule } from './platform.module';

/** What a service package exports so that it can run alone or inside the runner. */
export interface ServiceDefinition {
  /** Service name: NATS queue group `<ns>.<name>` and consumer name prefix. */
  name: string;
  /** Bounded context whose commands it handles (`<ns>.cmd.<context>.<Command>`). */
  context: Context;
  /** The service's Nest module (its controllers carry the `@MessagePattern`/`@EventPattern` handlers). */
  module: Type;
}

/** Options of {@link startServiceApp}. */
export interface StartServiceOptions {
  config: FleetwardenConfig;
  logger: LoggerService;
  /** Shared connections (runner); default: the service opens and closes its own. */
  resources?: PlatformResources;
  /** Also run an outbox relay contender in this app (default: true when it owns its resources). */
  relay?: boolean;
  /** Serve `GET /health` on this port (default: none). */
  healthPort?: number;
}

@Module({ controllers: [HealthController] })
class ServiceHealthHttpModule {}

/**
 * Starts one service: its module on the platform, its handlers served by a {@link JetStreamServer}
 * (commands on `<ns>.cmd.<context>.*` with queue group `<ns>.<name>`; events through durable
 * consumers), optionally an outbox relay contender and a `/health` endpoint.
 */
export async function startServiceApp(
  service: ServiceDefinition,
  options: StartServiceOptions,
): Promise<NestFastifyApplication> {
  const { config, logger } = options;
  const relay = options.relay ?? !options.resources;
  const imports: Array<Type | DynamicModule> = [
    PlatformModule.forRoot(config, { name: service.name, resources: options.resources, logger }),
    service.module,
  ];
  if (relay) imports.push(OutboxRelayModule.forRoot());
  if (options.healthPort !== undefined) imports.push(ServiceHealthHttpModule);

  @Module({ imports })
  class ServiceRootModule {}
  Object.defineProperty(ServiceRootModule, 'name', { value: `${service.module.name}Root` });

  const app = await createFastifyApp(ServiceRootModule, logger);
  try {
    const resources = app.get<PlatformResources>(PLATFORM_RESOURCES);
    app.useGlobalFilters(new JetStreamExceptionFilter());
    app.connectMicroservice(
      {
        strategy: new JetStreamServer({
          connection: resources.nats,
          subjects: resources.subjects,
          context: service.context,
          service: service.name,
          eventsStream: { replicas: config.natsReplicas, duplicateWindowMs: config.duplicateWindowMs },
          logger: new Logger(`JetStream:${service.name}`),
        }),
      },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    if (options.healthPort !== undefined) {
      await listenOn(app, options.healthPort, 'FLEETWARDEN_HEALTH_PORT');
    } else {
      await app.init();
    }
    return app;
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
}
