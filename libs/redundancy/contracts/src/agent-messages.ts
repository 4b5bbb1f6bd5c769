import { z } from 'zod';
import { defineAgentMessage } from '@fleetwarden/contracts';
import { idSchema, isoDateTimeSchema, replicationStateSchema, serviceStateSchema } from './shared';
import { HA_DEFAULT_MESSAGING_PORT, HA_MAX_COMPONENTS, haComponentRoleSchema } from './ha-shared';

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

/** `assume-control` / `release-control`: which member of a pair leads. */
export const agentPairControlSchema = z
  .object({
    type: z.enum(['assume-control', 'release-control']),
    pairId: idSchema,
    switchId: z.string().min(1).max(100).nullable(),
    reason: z.string().max(1000),
  })
  .strict();

/** `ha-check`: measure the messaging round trip to every peer of an HA cluster. */
export const agentHaCheckSchema = z
  .object({
    type: z.literal('ha-check'),
    checkId: z.string().min(1).max(100),
    clusterId: idSchema,
    peers: z
      .array(
        z
          .object({
            serverId: idSchema,
            role: haComponentRoleSchema,
            address: z
              .string()
              .max(255)
              .describe(
                `host or host:port of its messaging (port ${HA_DEFAULT_MESSAGING_PORT} when none); may be empty.`,
              ),
          })
          .strict(),
      )
      .max(HA_MAX_COMPONENTS),
  })
  .strict();

/**
 * Control-plane request to a member on `<ns>.agent.<serverId>.control`, discriminated on `type`:
 * `assume-control` to the member that now leads, `release-control` to the other (the agent
 * replies `{ ok: true }`); `ha-check` to a component of an HA cluster (the agent replies an
 * {@link AgentHaCheckReply}).
 */
export const AgentControl = defineAgentMessage({
  kind: 'control',
  description:
    "Sent by the control plane as a request (discriminated on `type`): `assume-control` (this member now leads the pair) or `release-control` (it must stand by), replied `{ ok: true }`; `ha-check` (measure the messaging round trip to each of `peers`, e.g. by timing a TCP connect to its address, 2 s at most), replied `{ ok: true, sentAt, receivedAt, results: [{ peerId, reachable, roundTripMs, error }] }` (`AgentHaCheckReply`: `sentAt` and `receivedAt` are the agent's clock when it sent the reply and received the request, for the clock skew; `roundTripMs` is null when unreachable). A refusal is `{ ok: false, error }`.",
  schema: z.discriminatedUnion('type', [agentPairControlSchema, agentHaCheckSchema]),
});

/** What an agent measured to one peer in an `ha-check`. */
export const agentHaPeerResultSchema = z
  .object({
    peerId: idSchema,
    reachable: z.boolean(),
    roundTripMs: z.number().nonnegative().nullable().describe('Null when unreachable.'),
    error: z.string().max(1000).optional().describe('Why it is unreachable (connection refused, timed out).'),
  })
  .strict();

/**
 * An agent's reply to an `ha-check` request: its clock when it sent the reply (`sentAt`) and,
 * optionally, when it received the request (`receivedAt`; with both, the control plane computes
 * the skew as NTP does, else from the middle of the request's round trip), and one result per
 * peer. `{ ok: false, error }` when it refuses the request.
 */
export const AgentHaCheckReply = z.discriminatedUnion('ok', [
  z
    .object({
      ok: z.literal(true),
      sentAt: isoDateTimeSchema.describe("Agent's clock when it sent the reply."),
      receivedAt: isoDateTimeSchema.optional().describe("Agent's clock when the request arrived."),
      results: z.array(agentHaPeerResultSchema).max(HA_MAX_COMPONENTS),
    })
    .strict(),
  z.object({ ok: z.literal(false), error: z.string().max(2000) }).strict(),
]);

export const REDUNDANCY_AGENT_MESSAGES = [AgentKeepAlive, AgentControl] as const;

export type AgentKeepAliveMessage = z.output<typeof AgentKeepAlive.schema>;
/** An `assume-control` or `release-control` request. */
export type AgentControlMessage = z.output<typeof agentPairControlSchema>;
/** An `ha-check` request. */
export type AgentHaCheckMessage = z.output<typeof agentHaCheckSchema>;
/** Any request on `<ns>.agent.<serverId>.control`. */
export type AgentControlRequest = z.output<typeof AgentControl.schema>;
export type AgentHaPeerResult = z.output<typeof agentHaPeerResultSchema>;
export type AgentHaCheckReplyMessage = z.output<typeof AgentHaCheckReply>;
