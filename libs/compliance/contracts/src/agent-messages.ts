import { z } from 'zod';
import {
  idSchema,
  isoDateTimeSchema,
  patchInstallKindSchema,
  patchInstallStarterSchema,
  patchListSchema,
} from './shared';

/**
 * Subject kind the agents' patch reports are meant for: `<ns>.agent.<serverId>.patches`. Not yet
 * one of `AGENT_MESSAGE_KINDS` (`@fleetwarden/contracts`), so the report is not declared with
 * `defineAgentMessage` yet: once the kind is added there, wrap {@link agentPatchReportSchema} in
 * `defineAgentMessage({ kind: 'patches', ... })` and list it in the catalogue.
 */
export const PATCHES_AGENT_MESSAGE_KIND = 'patches';

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
