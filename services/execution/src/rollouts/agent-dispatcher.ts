import { z } from 'zod';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Subjects } from '@fleetwarden/contracts';
import { AgentCommand, type AgentUpdateCommand } from '@fleetwarden/execution-contracts';
import type { RolloutServer, RolloutState } from '@fleetwarden/execution-domain';

/** What an agent answers to a command. */
const agentReplySchema = z.union([
  z.object({ ok: z.literal(true), jobId: z.string() }).loose(),
  z.object({ ok: z.literal(false), error: z.string() }).loose(),
]);

/** How a dispatch went: accepted, refused for good, or to be tried again (offline, busy, timeout). */
export type DispatchOutcome =
  { kind: 'accepted' } | { kind: 'refused'; error: string } | { kind: 'retry'; reason: string };

/** The `update` command of a server's job in a rollout. */
export function updateCommandOf(state: RolloutState, server: RolloutServer): AgentUpdateCommand {
  const t = state.timeouts;
  return {
    type: 'update',
    jobId: server.jobId ?? '',
    taskId: state.taskId,
    attempt: server.attempt,
    components: state.targetVersions.map((v) => ({ component: v.component, version: v.version })),
    timeouts: {
      downloadSec: Math.ceil(t.downloading),
      installSec: Math.ceil(t.installing),
      restartSec: Math.ceil(t.restarting),
      validateSec: Math.ceil(t.validating),
    },
  };
}

/**
 * Sends work to agents as requests on `<ns>.agent.<serverId>.cmd`. Agents are idempotent by job id,
 * so a command sent again (after a restart, or a lost reply) never runs an update twice.
 */
export class AgentDispatcher {
  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly timeoutMs: number,
  ) {}

  async send(serverId: string, command: AgentUpdateCommand): Promise<DispatchOutcome> {
    const body = AgentCommand.parse(command);
    let raw: string;
    try {
      const reply = await this.nc.request(this.subjects.agent(serverId, 'cmd'), JSON.stringify(body), {
        timeout: this.timeoutMs,
      });
      raw = reply.string();
    } catch (err) {
      return { kind: 'retry', reason: (err as Error).message };
    }
    let parsed: z.output<typeof agentReplySchema>;
    try {
      parsed = agentReplySchema.parse(JSON.parse(raw));
    } catch {
      return { kind: 'retry', reason: `unreadable reply from agent ${serverId}` };
    }
    if (parsed.ok) return { kind: 'accepted' };
    if (/^busy\b/.test(parsed.error)) return { kind: 'retry', reason: parsed.error };
    return { kind: 'refused', error: parsed.error };
  }
}
