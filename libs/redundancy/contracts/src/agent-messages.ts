import { z } from 'zod';
import { defineAgentMessage } from '@fleetwarden/contracts';
import { idSchema, isoDateTimeSchema, replicationStateSchema, serviceStateSchema } from './shared';

/** A pair member's keep-alive, every keep-alive interval, on `<ns>.agent.<serverId>.keepalive`. */
export const AgentKeepAlive = defineAgentMessage({
  kind: 'keepalive',
  description:
    'Sent by the keep-alive service of a pair member every keep-alive interval: whether it believes it is in control, its redundancy services, replication, whether it reaches its peer, and its clock (`sentAt`, for the skew). `serverId` must equal the subject token; a server in no pair is refused.',
  schema: z
    .object({
      serverId: idSchema,
      sentAt: isoDateTimeSchema.describe("Member's clock when sent."),
      inControl: z.boolean(),
      switchingService: serviceStateSchema,
      ipPhoneService: serviceStateSchema,
      keepAliveService: serviceStateSchema,
      replicationStatus: replicationStateSchema,
      peerReachable: z.boolean().describe('The member reached its peer over the redundancy link lately.'),
    })
    .strict(),
});

/**
 * Control-plane decision sent to a member as a request on `<ns>.agent.<serverId>.control`:
 * `assume-control` to the member that now leads, `release-control` to the other. The agent
 * replies `{ ok: true }`.
 */
export const AgentControl = defineAgentMessage({
  kind: 'control',
  description:
    'Sent by the control plane as a request: `assume-control` (this member now leads the pair) or `release-control` (it must stand by). The agent replies `{ ok: true }`.',
  schema: z
    .object({
      type: z.enum(['assume-control', 'release-control']),
      pairId: idSchema,
      switchId: z.string().min(1).max(100).nullable(),
      reason: z.string().max(1000),
    })
    .strict(),
});

export const REDUNDANCY_AGENT_MESSAGES = [AgentKeepAlive, AgentControl] as const;

export type AgentKeepAliveMessage = z.output<typeof AgentKeepAlive.schema>;
export type AgentControlMessage = z.output<typeof AgentControl.schema>;
