import { Module } from '@nestjs/common';
import type { ServiceDefinition } from '@fleetwarden/platform';
import { AutomatedUpdatesCommandsHandler } from './commands/automated-updates-commands.handler';
import { PatchBatchCommandsHandler } from './commands/patch-batch-commands.handler';
import { ServerComplianceCommandsHandler } from './commands/server-compliance-commands.handler';
import { UrgentUpdateCommandsHandler } from './commands/urgent-update-commands.handler';
import { ComplianceRuntime } from './compliance-runtime';
import { COMPLIANCE_SERVICE_NAME } from './compliance-service.constants';
import { PingHandler } from './ping/ping.handler';

/**
 * The compliance service: OS-patch compliance of the servers. Commands on
 * `<ns>.cmd.compliance.*` (installs, emergency and urgent updates, the patch batches' approval
 * cycle, automated updates); the agents' patch reports from the agent progress stream; on the one
 * leading instance the daily 60/120-day evaluation with the operations take-over and its charge,
 * automated updates, the urgent updates' progress, the resellers' notifications on
 * `<ns>.notify.compliance.<reseller>` and the `install-patches` jobs sent to agents. Needs
 * `PlatformModule` in the application (see {@link COMPLIANCE_SERVICE} and `startServiceApp`);
 * tuning and a test clock come through `COMPLIANCE_SERVICE_OPTIONS`.
 */
@Module({
  controllers: [
    PingHandler,
    ServerComplianceCommandsHandler,
    UrgentUpdateCommandsHandler,
    PatchBatchCommandsHandler,
    AutomatedUpdatesCommandsHandler,
  ],
  providers: [ComplianceRuntime],
})
export class ComplianceServiceModule {}

/** How to run the compliance service, alone (`main.ts`) or in the runner. */
export const COMPLIANCE_SERVICE: ServiceDefinition = {
  name: COMPLIANCE_SERVICE_NAME,
  context: 'compliance',
  module: ComplianceServiceModule,
};
