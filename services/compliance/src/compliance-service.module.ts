import { Module } from '@nestjs/common';
import type { ServiceDefinition } from '@fleetwarden/platform';
import { COMPLIANCE_SERVICE_NAME } from './compliance-service.constants';
import { PingHandler } from './ping/ping.handler';

/**
 * The compliance service: handles `<ns>.cmd.compliance.*` commands. Needs `PlatformModule` in the
 * application (see {@link COMPLIANCE_SERVICE} and `startServiceApp`).
 */
@Module({ controllers: [PingHandler] })
export class ComplianceServiceModule {}

/** How to run the compliance service, alone (`main.ts`) or in the runner. */
export const COMPLIANCE_SERVICE: ServiceDefinition = {
  name: COMPLIANCE_SERVICE_NAME,
  context: 'compliance',
  module: ComplianceServiceModule,
};
