import { z } from 'zod';
import { defineAgentMessage } from '@fleetwarden/contracts';
import {
  filesSchema,
  hostConfigSchema,
  hostingProviderSchema,
  idSchema,
  namedRefSchema,
  productVersionsSchema,
  stageSchema,
} from './shared';

const sentAt = z.iso.datetime({ offset: true }).describe("Agent's clock when sent.");

/**
 * First message of an agent after it connects (and after each reconnect), on
 * `<ns>.agent.<serverId>.hello`. `serverId` must equal the subject's server id.
 */
export const AgentHello = defineAgentMessage({
  kind: 'hello',
  description:
    'Sent by the agent when it connects: identity, product versions, host config, installed files and the heartbeat interval it will keep. `serverId` must equal the subject token.',
  schema: z
    .object({
      serverId: idSchema,
      agentVersion: z.string().min(1).max(64),
      heartbeatIntervalSec: z.number().positive().max(3600),
      sentAt,
      identity: z.object({
        reseller: namedRefSchema,
        company: namedRefSchema,
        address: z.string().max(500),
        stage: stageSchema,
        hostingProvider: hostingProviderSchema,
      }),
      versions: productVersionsSchema,
      config: hostConfigSchema,
      files: filesSchema,
    })
    .strict(),
});

/** Liveness, every announced interval, on `<ns>.agent.<serverId>.heartbeat`. Never stored as an event. */
export const AgentHeartbeat = defineAgentMessage({
  kind: 'heartbeat',
  description:
    'Sent every announced interval. Keeps the server connected; never stored as an event. `serverId` must equal the subject token.',
  schema: z.object({ serverId: idSchema, seq: z.number().int().nonnegative(), sentAt }).strict(),
});

/** What changed on the server since the hello or the last report, on `<ns>.agent.<serverId>.report`. */
export const AgentReport = defineAgentMessage({
  kind: 'report',
  description:
    'Sent when something on the server changed: any of versions, config, files (only the parts that changed need be present).',
  schema: z
    .object({
      serverId: idSchema,
      sentAt,
      versions: productVersionsSchema.optional(),
      config: hostConfigSchema.optional(),
      files: filesSchema.optional(),
    })
    .strict(),
});

export const INVENTORY_AGENT_MESSAGES = [AgentHello, AgentHeartbeat, AgentReport] as const;

export type AgentHelloMessage = z.output<typeof AgentHello.schema>;
export type AgentHeartbeatMessage = z.output<typeof AgentHeartbeat.schema>;
export type AgentReportMessage = z.output<typeof AgentReport.schema>;
