import type { LoggerService } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { COMPLIANCE_SERVICE } from '@fleetwarden/service-compliance';
import { EXECUTION_SERVICE } from '@fleetwarden/service-execution';
import { INVENTORY_SERVICE } from '@fleetwarden/service-inventory';
import { REDUNDANCY_SERVICE } from '@fleetwarden/service-redundancy';
import { SCHEDULING_SERVICE } from '@fleetwarden/service-scheduling';
import { gatewayUrls, startGatewayApp } from '@fleetwarden/gateway';
import {
  openPlatformResources,
  pgliteDir,
  redactUrl,
  startServiceApp,
  type Closeable,
  type FleetwardenConfig,
  type ServiceDefinition,
} from '@fleetwarden/platform';

/** Every service the runner hosts. */
export const SERVICES: readonly ServiceDefinition[] = [
  INVENTORY_SERVICE,
  SCHEDULING_SERVICE,
  EXECUTION_SERVICE,
  REDUNDANCY_SERVICE,
  COMPLIANCE_SERVICE,
];

/**
 * Runs every service, the outbox relay and the gateway in this process, on one event store and
 * one NATS connection. Each service is its own Nest application (as when it runs alone), so
 * that its handlers are served with its own queue group and consumer names.
 *
 * Stops in this order: the services (command subscriptions and event consumers drained,
 * handlers in flight finished), the gateway (HTTP, then the relay finishing its batch), then
 * the store (after in-flight appends) and NATS.
 */
export async function startRunner(config: FleetwardenConfig, logger: LoggerService): Promise<Closeable> {
  const resources = await openPlatformResources(config, { name: 'runner', logger });
  const services: NestFastifyApplication[] = [];
  let gateway: NestFastifyApplication | undefined;
  const close = async () => {
    await Promise.all(services.map((app) => app.close()));
    await gateway?.close();
    await resources.close();
  };
  try {
    // FLEETWARDEN_RUNNER_SERVICES: the parts not listed run as their own processes. The relay
    // contender runs with the gateway, or with the first service when the gateway runs elsewhere.
    const hosted = new Set<string>(config.runnerServices);
    const withGateway = hosted.has('gateway');
    for (const [i, service] of SERVICES.filter((s) => hosted.has(s.context)).entries()) {
      services.push(await startServiceApp(service, { config, logger, resources, relay: !withGateway && i === 0 }));
    }
    if (withGateway) gateway = await startGatewayApp({ config, logger, resources, relay: true });
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  const urls = gatewayUrls(config);
  const database = config.databaseUrl ? redactUrl(config.databaseUrl) : `PGlite in ${pgliteDir(config)}`;
  const parts = config.runnerServices.length === 6 ? '' : ` (hosting ${config.runnerServices.join(', ')})`;
  logger.log(
    `Fleetwarden ready${parts}: GraphQL at ${urls.graphql}, health at ${urls.health} ` +
      `(NATS ${redactUrl(config.natsUrl)}, namespace ${config.namespace}, database ${database})`,
    'runner',
  );
  return { close };
}
