import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startServiceForTest, type ServiceTestEnv } from '@fleetwarden/platform';
import { ComplianceRuntime } from '../compliance-runtime';
import { COMPLIANCE_SERVICE } from '../compliance-service.module';
import { COMPLIANCE_SERVICE_OPTIONS, type ComplianceServiceOptions } from '../compliance-service.options';

/** Starts a compliance service app (its own connections, its own outbox relay) with test options. */
export function startComplianceForTest(
  env: ServiceTestEnv,
  options: ComplianceServiceOptions = {},
): Promise<NestFastifyApplication> {
  return startServiceForTest(COMPLIANCE_SERVICE, env, [{ token: COMPLIANCE_SERVICE_OPTIONS, value: options }]);
}

export function complianceRuntime(app: NestFastifyApplication): ComplianceRuntime {
  return app.get(ComplianceRuntime, { strict: false });
}
