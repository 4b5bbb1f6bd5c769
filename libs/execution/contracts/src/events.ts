import { z } from 'zod';
import { defineCommand, defineEvent } from '@fleetwarden/contracts';
import {
  componentVersionSchema,
  idSchema,
  isoDateTimeSchema,
  maintenanceWindowSchema,
} from '@fleetwarden/scheduling-contracts';

/** Stream of one task's execution. */
export const rolloutStreamId = (taskId: string): string => `rollout-${taskId}`;

const serverIds = z.array(idSchema);
const jobIdSchema = z
  .string()
  .min(1)
  .max(200)
  .describe('`<taskId>:<serverId>:<attempt>`; one dispatch per server and attempt.');
const seconds = z.number().positive();
const inFlightPhaseSchema = z.enum(['downloading', 'installing', 'restarting', 'validating']);

export const phaseTimeoutsSchema = z
  .object({
    dispatched: seconds.describe('Longest wait for the agent to begin the job.'),
    downloading: seconds,
    installing: seconds,
    restarting: seconds,
    validating: seconds,
  })
  .describe('Clock seconds a job may stay in each status; the largest limit of the components it installs.');

/** Execution of a started task began: its frozen servers are queued in start order. */
export const RolloutStarted = defineEvent({
  context: 'execution',
  type: 'RolloutStarted',
  version: 1,
  description:
    'Execution of a started task began; `serverIds` are queued in start order (server k is due k x stagger after `startedAt`). Stream `rollout-<taskId>`.',
  schema: z.object({
    taskId: idSchema,
    serverIds: z.array(idSchema).min(1),
    targetVersions: z.array(componentVersionSchema).min(1),
    staggerSeconds: z.number().nonnegative(),
    maxConcurrency: z.int().positive().nullable(),
    window: maintenanceWindowSchema.nullable(),
    failureThreshold: z.int().positive().nullable(),
    timeouts: phaseTimeoutsSchema,
    attempt: z.int().positive().describe('1, or one more than the attempt of the task this one retries.'),
    startedAt: isoDateTimeSchema,
    pairs: z
      .array(
        z.object({
          pairId: idSchema,
          primaryServerId: idSchema,
          secondaryServerId: idSchema,
          activeServerId: idSchema.describe('Member in control when the rollout started.'),
        }),
      )
      .optional()
      .describe(
        'Redundancy pairs with a member among the servers: the standby is updated first (it takes the earlier of the two places in `serverIds`), the active member only after a switchover, and never both at once.',
      ),
  }),
});

export const ServerUpdateDispatched = defineEvent({
  context: 'execution',
  type: 'ServerUpdateDispatched',
  version: 1,
  description: "A server's job was started: the agent is sent the `update` command (the server's startedAt).",
  schema: z.object({
    taskId: idSchema,
    serverId: idSchema,
    jobId: jobIdSchema,
    attempt: z.int().positive(),
    dispatchedAt: isoDateTimeSchema,
  }),
});

export const ServerUpdateProgressed = defineEvent({
  context: 'execution',
  type: 'ServerUpdateProgressed',
  version: 1,
  description: 'The agent reported a new phase of the job, with the log lines produced since its last report.',
  schema: z.object({
    taskId: idSchema,
    serverId: idSchema,
    jobId: jobIdSchema,
    phase: inFlightPhaseSchema,
    log: z.array(z.string()),
    at: isoDateTimeSchema,
  }),
});

export const ServerUpdateCompleted = defineEvent({
  context: 'execution',
  type: 'ServerUpdateCompleted',
  version: 1,
  description: 'The agent reported the target versions and its functional check passed: the server counts as updated.',
  schema: z.object({
    taskId: idSchema,
    serverId: idSchema,
    jobId: jobIdSchema,
    versions: z.array(componentVersionSchema),
    finishedAt: isoDateTimeSchema,
  }),
});

export const ServerUpdateFailed = defineEvent({
  context: 'execution',
  type: 'ServerUpdateFailed',
  version: 1,
  description:
    'The job failed: agent error, failed validation, wrong reported version, or a timeout. `log` keeps the error lines.',
  schema: z.object({
    taskId: idSchema,
    serverId: idSchema,
    jobId: jobIdSchema,
    reason: z.string(),
    log: z.array(z.string()),
    finishedAt: isoDateTimeSchema,
  }),
});

export const ServerUpdateCancelled = defineEvent({
  context: 'execution',
  type: 'ServerUpdateCancelled',
  version: 1,
  description: 'The task was cancelled before this server started.',
  schema: z.object({ taskId: idSchema, serverId: idSchema }),
});

export const ServerUpdateNotStarted = defineEvent({
  context: 'execution',
  type: 'ServerUpdateNotStarted',
  version: 1,
  description:
    'The server will not start: the failure threshold halted the task, the maintenance window ended while it was disconnected, or (the active member of a pair) control could not pass to its updated standby (`detail` says why).',
  schema: z.object({
    taskId: idSchema,
    serverId: idSchema,
    reason: z.enum(['halted', 'window-ended', 'switchover-refused']),
    detail: z.string().max(1000).optional(),
  }),
});

export const SwitchoverRequested = defineEvent({
  context: 'execution',
  type: 'SwitchoverRequested',
  version: 1,
  description:
    'The active member of a pair is due and its standby is updated: the execution service asks the redundancy service for a switchover (`ManualSwitchover`) before updating it.',
  schema: z.object({
    taskId: idSchema,
    pairId: idSchema,
    fromServerId: idSchema,
    toServerId: idSchema,
    at: isoDateTimeSchema,
  }),
});

export const RolloutPairSwitched = defineEvent({
  context: 'execution',
  type: 'RolloutPairSwitched',
  version: 1,
  description:
    'The rollout learned that control of a pair moved to `activeServerId` (its own switchover request, or a failover).',
  schema: z.object({ taskId: idSchema, pairId: idSchema, activeServerId: idSchema, at: isoDateTimeSchema }),
});

export const RolloutHalted = defineEvent({
  context: 'execution',
  type: 'RolloutHalted',
  version: 1,
  description:
    'The failure threshold was reached: queued servers will not start; `startedServerIds` (already dispatched) run on and report.',
  schema: z.object({
    taskId: idSchema,
    failed: z.int().nonnegative(),
    failedServerIds: serverIds,
    startedServerIds: serverIds,
    at: isoDateTimeSchema,
  }),
});

export const RolloutFinished = defineEvent({
  context: 'execution',
  type: 'RolloutFinished',
  version: 1,
  description:
    'Every server of the task reached a final status (or the task was cancelled before it started): outcome and counts. Servers in neither list did not start.',
  schema: z.object({
    taskId: idSchema,
    outcome: z.enum(['completed', 'failed', 'cancelled']),
    completed: z.int().nonnegative(),
    failed: z.int().nonnegative(),
    notStarted: z.int().nonnegative(),
    cancelled: z.int().nonnegative(),
    completedServerIds: serverIds,
    failedServerIds: serverIds,
    finishedAt: isoDateTimeSchema,
  }),
});

/** Every execution event, in catalogue order. */
export const EXECUTION_EVENTS = [
  RolloutStarted,
  ServerUpdateDispatched,
  ServerUpdateProgressed,
  ServerUpdateCompleted,
  ServerUpdateFailed,
  ServerUpdateCancelled,
  ServerUpdateNotStarted,
  RolloutHalted,
  RolloutFinished,
  SwitchoverRequested,
  RolloutPairSwitched,
] as const;

/** Stops a task's rollout from starting further servers; sent by the scheduling service on a cancel. */
export const CancelRollout = defineCommand({
  context: 'execution',
  name: 'CancelRollout',
  description:
    "Cancels the servers of a task that have not started (operators and the task's reseller). Replies the servers already started, which run on; before the rollout began, none.",
  request: z.object({ taskId: idSchema }),
  reply: z.object({ taskId: idSchema, startedServerIds: serverIds, cancelledServerIds: serverIds }),
});

export const EXECUTION_COMMANDS = [CancelRollout] as const;

type DataOf<C> = C extends { parse(data: unknown): infer D } ? D : never;
type EventOf<C> = C extends { type: infer T } ? { type: T; data: DataOf<C> } : never;

/** The `{ type, data }` union of a rollout stream's events. */
export type RolloutEventContract = EventOf<(typeof EXECUTION_EVENTS)[number]>;
