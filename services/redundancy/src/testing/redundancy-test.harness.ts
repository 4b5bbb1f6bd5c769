import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { appendEventAs, startServiceForTest, type ServiceTestEnv } from '@fleetwarden/platform';
import { REDUNDANCY_SERVICE_OPTIONS, RedundancyRuntime, type RedundancyServiceOptions } from '../redundancy-runtime';
import { REDUNDANCY_SERVICE } from '../redundancy-service.module';

/** Starts a redundancy service app (its own connections, its own outbox relay) with test timings. */
export function startRedundancyForTest(
  env: ServiceTestEnv,
  options: RedundancyServiceOptions = {},
): Promise<NestFastifyApplication> {
  return startServiceForTest(REDUNDANCY_SERVICE, env, [{ token: REDUNDANCY_SERVICE_OPTIONS, value: options }]);
}

export function redundancyRuntime(app: NestFastifyApplication): RedundancyRuntime {
  return app.get(RedundancyRuntime, { strict: false });
}

/** Appends one event of another context, as its service would. */
export const appendForeignEvent = appendEventAs;
