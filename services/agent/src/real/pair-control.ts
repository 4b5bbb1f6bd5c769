import { formatPath } from '@fleetwarden/contracts';
import { agentPairControlSchema, type AgentControlMessage } from '@fleetwarden/redundancy-contracts';
import type { ShellCommandResult } from './shell-command';

/** Reply to `assume-control` / `release-control`, and to any control request the agent refuses. */
export type PairControlReply = { ok: true } | { ok: false; error: string };

/** The refusal of `assume-control` / `release-control` by an agent without a `redundancy` section. */
export const NOT_IN_A_PAIR_ERROR = 'this agent is in no redundancy pair';

const PAIR_CONTROL_TYPES: ReadonlySet<unknown> = new Set(['assume-control', 'release-control']);

/** What a request on the control subject asks for; `refused` carries the reply that names the fault. */
export type ControlRequest =
  { kind: 'ha-check' } | { kind: 'pair-control'; message: AgentControlMessage } | { kind: 'refused'; error: string };

/**
 * Sorts a request on `<ns>.agent.<serverId>.control`: an `ha-check` (validated by its own
 * handler), a valid `assume-control` / `release-control` when the agent is in a pair (`inPair`),
 * or a refusal: not JSON, an unknown `type`, a field at fault, or {@link NOT_IN_A_PAIR_ERROR}.
 */
export function parseControlRequest(text: string, inPair: boolean): ControlRequest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { kind: 'refused', error: `control request is not JSON: ${(err as Error).message}` };
  }
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  if (type === 'ha-check') return { kind: 'ha-check' };
  if (!PAIR_CONTROL_TYPES.has(type)) {
    return { kind: 'refused', error: 'type: must be assume-control, release-control or ha-check' };
  }
  if (!inPair) return { kind: 'refused', error: NOT_IN_A_PAIR_ERROR };
  const parsed = agentPairControlSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${formatPath(i.path)}: ${i.message}`)
      .join('; ');
    return { kind: 'refused', error: `invalid ${String(type)} request: ${problems}` };
  }
  return { kind: 'pair-control', message: parsed.data };
}

/** Longest `error` of a reply. */
const MAX_ERROR = 1000;

/**
 * The reply to a control request from how its command ended: `{ ok: true }` on exit 0, else why
 * it failed, with the last line it wrote (when it wrote one).
 */
export function pairControlReply(
  type: AgentControlMessage['type'],
  result: ShellCommandResult,
  options: { timeoutSec: number; lastLine?: string },
): PairControlReply {
  let error: string;
  switch (result.kind) {
    case 'exited':
      if (result.code === 0) return { ok: true };
      error = `${type} command exited with code ${result.code}`;
      break;
    case 'signalled':
      error = `${type} command was killed by ${result.signal}`;
      break;
    case 'timed-out':
      error = `${type} command timed out after ${options.timeoutSec} s`;
      break;
    case 'aborted':
      error = `${type} command stopped: the agent is stopping`;
      break;
    case 'not-started':
      error = `${type} command could not start: ${result.error.message}`;
      break;
  }
  const last = options.lastLine?.trim();
  if (last) error += `: ${last}`;
  return { ok: false, error: error.length > MAX_ERROR ? `${error.slice(0, MAX_ERROR - 1)}…` : error };
}
