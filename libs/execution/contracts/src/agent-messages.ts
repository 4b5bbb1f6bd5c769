import { z } from 'zod';
import { defineAgentMessage } from '@fleetwarden/contracts';

const idSchema = z.string().min(1).max(64);
const versionSchema = z.string().min(1).max(64);
const sentAt = z.iso.datetime({ offset: true }).describe("Agent's clock when sent.");

/** Product components an update can install. */
export const UPDATE_COMPONENTS = ['server-image', 'web-apps', 'client-apps'] as const;
export const updateComponentSchema = z.enum(UPDATE_COMPONENTS);

/** Phases of an update job as reported by the agent, in order; `completed` and `failed` are final. */
export const UPDATE_PHASES = [
  'accepted',
  'downloading',
  'installing',
  'restarting',
  'validating',
  'completed',
  'failed',
] as const;
export const updatePhaseSchema = z.enum(UPDATE_PHASES);

const timeoutSec = z.number().int().positive().max(86_400);

/** Install the given component versions. */
export const updateCommandSchema = z
  .object({
    type: z.literal('update'),
    jobId: idSchema,
    taskId: idSchema,
    attempt: z.number().int().positive(),
    components: z
      .array(z.object({ component: updateComponentSchema, version: versionSchema }).strict())
      .min(1)
      .max(UPDATE_COMPONENTS.length),
    timeouts: z
      .object({ downloadSec: timeoutSec, installSec: timeoutSec, restartSec: timeoutSec, validateSec: timeoutSec })
      .strict(),
  })
  .strict();

/**
 * Install OS patches (an operations patch task, an automated update, an urgent or emergency
 * update). The agent replies `{ ok: true, jobId }` and, once installed, reports the install on
 * `<ns>.agent.<serverId>.patches` with `taskId` = `jobId`; a job id it already has is ignored.
 */
export const installPatchesCommandSchema = z
  .object({
    type: z.literal('install-patches'),
    jobId: idSchema,
    patches: z.array(z.string().min(1).max(200).regex(/^\S+$/)).min(1).max(1000),
    startedBy: z.enum(['reseller', 'automated', 'operations']),
    kind: z.enum(['regular', 'urgent', 'emergency']),
    urgentUpdateId: idSchema.nullable(),
  })
  .strict();

/** Stop a job that has not yet gone past installing. */
export const cancelCommandSchema = z.object({ type: z.literal('cancel'), jobId: idSchema }).strict();

/**
 * Work sent by the control plane to an agent, as a request on `<ns>.agent.<serverId>.cmd`.
 * The agent replies `{ ok: true, jobId }` when it accepts it.
 */
export const AgentCommand = defineAgentMessage({
  kind: 'cmd',
  description:
    'Sent by the control plane to the agent as a request (discriminated on `type`): `update` installs component versions, `cancel` stops a job not yet past installing, `install-patches` installs OS patches (reported afterwards on `patches`). The agent replies `{ ok: true, jobId }`.',
  schema: z.discriminatedUnion('type', [updateCommandSchema, cancelCommandSchema, installPatchesCommandSchema]),
});

/** Progress of an update job, on `<ns>.agent.<serverId>.progress`, one message per phase. */
export const AgentProgress = defineAgentMessage({
  kind: 'progress',
  description:
    'Sent by the agent per phase of a job: `versions` after install, `validation` after the functional check, `error` when failed, and the log lines produced since the last progress. `serverId` must equal the subject token.',
  schema: z
    .object({
      serverId: idSchema,
      jobId: idSchema,
      phase: updatePhaseSchema,
      sentAt,
      versions: z.array(z.object({ component: updateComponentSchema, version: versionSchema }).strict()).optional(),
      validation: z
        .object({ passed: z.boolean(), detail: z.string().max(2000) })
        .strict()
        .optional(),
      error: z.string().min(1).max(2000).optional(),
      log: z.array(z.string().max(4000)).max(1000),
    })
    .strict(),
});

export const EXECUTION_AGENT_MESSAGES = [AgentCommand, AgentProgress] as const;

export type AgentCommandMessage = z.output<typeof AgentCommand.schema>;
export type AgentUpdateCommand = z.output<typeof updateCommandSchema>;
export type AgentCancelCommand = z.output<typeof cancelCommandSchema>;
export type AgentProgressMessage = z.output<typeof AgentProgress.schema>;
export type UpdateComponent = z.output<typeof updateComponentSchema>;
export type UpdatePhase = z.output<typeof updatePhaseSchema>;
