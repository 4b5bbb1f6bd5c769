import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { appendEventAs, startServiceForTest, type ServiceTestEnv } from '@fleetwarden/platform';
import { EXECUTION_SERVICE_OPTIONS, ExecutionRuntime, type ExecutionServiceOptions } from '../execution-runtime';
import { EXECUTION_SERVICE } from '../execution-service.module';

/** Starts an execution service app (its own connections, its own outbox relay) with test timings. */
export function startExecutionForTest(
  env: ServiceTestEnv,
  options: ExecutionServiceOptions = {},
): Promise<NestFastifyApplication> {
  return startServiceForTest(EXECUTION_SERVICE, env, [{ token: EXECUTION_SERVICE_OPTIONS, value: options }]);
}

export function executionRuntime(app: NestFastifyApplication): ExecutionRuntime {
  return app.get(ExecutionRuntime, { strict: false });
}

/** Appends one event of another context, as its service would. */
export const appendForeignEvent = appendEventAs;
