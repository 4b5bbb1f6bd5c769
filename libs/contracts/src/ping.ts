import { z } from 'zod';
import { defineCommand } from './registry';
import { CONTEXTS, type Context } from './subjects';

/** Reply of every service's `Ping`. */
export const pingReplySchema = z.object({
  service: z.string().min(1).describe('Name of the answering service (`inventory`).'),
  instanceId: z.string().min(1).describe('Id of the answering process; differs between instances of one service.'),
  uptimeMs: z.number().nonnegative().describe('Milliseconds since the instance started.'),
});

/** Reply data of `Ping`. */
export type PingReply = z.output<typeof pingReplySchema>;

function pingCommand(context: Context) {
  return defineCommand({
    context,
    name: 'Ping',
    description: `Liveness check: one instance of the ${context} service answers with its identity and uptime.`,
    request: z.object({}),
    reply: pingReplySchema,
  });
}

/** The command contract of `Ping`. */
export type PingCommand = ReturnType<typeof pingCommand>;

/** `fleet.cmd.<context>.Ping` of every context. */
export const PING_COMMANDS: Readonly<Record<Context, PingCommand>> = Object.freeze(
  Object.fromEntries(CONTEXTS.map((context) => [context, pingCommand(context)])) as Record<Context, PingCommand>,
);
