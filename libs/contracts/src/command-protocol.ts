import { z } from 'zod';

/** Roles of the people and systems that send commands. */
export const ROLES = ['operator', 'reseller', 'auditor', 'system', 'agent'] as const;
export type Role = (typeof ROLES)[number];

/** Caller metadata of a command request; the gateway sets `actor` and `reseller` after authentication. */
export const commandMetaSchema = z
  .object({
    idempotencyKey: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Repeating a command with the same key returns the first outcome and appends nothing new.'),
    correlationId: z.string().min(1).optional().describe('Copied into the metadata of every resulting event.'),
    actor: z.string().min(1).optional().describe('Who sends the command (`operator:alice`, `system:scheduler`).'),
    reseller: z.string().min(1).nullable().optional().describe('Tenant the actor acts for; null or absent: none.'),
    role: z
      .enum(ROLES)
      .optional()
      .describe('Role of the actor: a `reseller` may act on its own tenant only; an `auditor` only reads.'),
  })
  .describe('Caller metadata.');

/** Metadata of a command request. */
export type CommandMeta = z.output<typeof commandMetaSchema>;

/** The request on `<ns>.cmd.<context>.<Command>`: `{ data, meta }`, where `data` has the command's schema. */
export function commandRequestSchema<D extends z.ZodType>(data: D) {
  return z.object({ data, meta: commandMetaSchema.default({}) }).describe('Payload of a command request.');
}

/** A command request with `data` of type `D`. */
export interface CommandRequest<D = unknown> {
  data: D;
  meta: CommandMeta;
}

/** The error part of a failed command's reply. */
export const commandErrorSchema = z
  .object({
    code: z.string().min(1).describe('Stable code (`TASK.NOT_CANCELLABLE`, `VALIDATION`, `INTERNAL`).'),
    message: z.string().describe('Human-readable explanation.'),
    details: z.unknown().optional().describe('Machine-readable facts about the failure.'),
  })
  .describe('Why the command failed.');

/** Why a command failed. */
export type CommandError = z.output<typeof commandErrorSchema>;

/** The reply to a command: `{ ok: true, data }` with the command's reply schema, or `{ ok: false, error }`. */
export function commandReplySchema<D extends z.ZodType>(data: D) {
  return z
    .discriminatedUnion('ok', [
      z.object({ ok: z.literal(true), data }),
      z.object({ ok: z.literal(false), error: commandErrorSchema }),
    ])
    .describe('Payload of a command reply.');
}

/** A command reply with success data of type `D`. */
export type CommandReply<D = unknown> = { ok: true; data: D } | { ok: false; error: CommandError };
