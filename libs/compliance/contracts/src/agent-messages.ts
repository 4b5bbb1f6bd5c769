import { z } from 'zod';
import { defineAgentMessage } from '@fleetwarden/contracts';
import {
  idSchema,
  isoDateTimeSchema,
  patchInstallKindSchema,
  patchInstallStarterSchema,
  patchListSchema,
} from './shared';

/** What an agent reports after OS updates were installed on its server. */
export const agentPatchReportSchema = z
  .object({
    serverId: idSchema.describe('Must equal the subject token.'),
    installedAt: isoDateTimeSchema.describe("Agent's clock when the install finished."),
    patches: patchListSchema,
    startedBy: patchInstallStarterSchema,
    kind: patchInstallKindSchema.default('regular'),
    urgentUpdateId: idSchema.nullable().default(null).describe('Required when `kind` is `urgent`.'),
    taskId: idSchema
      .nullable()
      .default(null)
      .describe(
        'The control-plane task that installed the patches; null: installed outside the system (unapproved patches are then flagged, not refused).',
      ),
    sentAt: isoDateTimeSchema.describe("Agent's clock when sent."),
  })
  .strict()
  .describe(
    'Sent by an agent after OS updates were installed on its server: when, which patches, who started them (reseller, automated, operations). The compliance service records it as a `RecordPatchInstall` (`source` `system` when `taskId` is set, else `outside`).',
  );
export type AgentPatchReport = z.output<typeof agentPatchReportSchema>;

/**
 * An agent's OS-patch install report on `<ns>.agent.<serverId>.patches`, published with JetStream
 * (kept in the agent progress stream until the compliance service took it).
 */
export const AgentPatchReport = defineAgentMessage({
  kind: 'patches',
  description:
    'Sent by the agent, with JetStream (`Nats-Msg-Id` = `<serverId>:<installedAt>`), after OS updates were installed on its server: when, which patches, who started them. Recorded as `RecordPatchInstall` (`source` `system` when `taskId` is set, else `outside`). `serverId` must equal the subject token.',
  schema: agentPatchReportSchema,
});

export const COMPLIANCE_AGENT_MESSAGES = [AgentPatchReport] as const;
