import { AGENT_MESSAGE_KINDS, ValidationError } from '@fleetwarden/contracts';
import {
  AgentHello,
  AgentReport,
  idSchema,
  type AgentHelloMessage,
  type AgentReportMessage,
} from '@fleetwarden/inventory-contracts';

/** Why an agent message was refused; `code` is stable (logs and stats group by it). */
export class AgentMessageRejected extends Error {
  override name = 'AgentMessageRejected';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** An agent message the inventory acts on. */
export type AgentIntakeMessage =
  | { kind: 'hello'; serverId: string; body: AgentHelloMessage }
  | { kind: 'report'; serverId: string; body: AgentReportMessage };

/** What the intake does with a subject `<ns>.agent.<serverId>.<kind>`. */
export type AgentSubjectRoute =
  | { action: 'handle'; kind: 'hello' | 'report'; serverToken: string }
  | { action: 'ignore' }
  | { action: 'reject'; error: AgentMessageRejected };

const HANDLED = new Set(['hello', 'report']);
/** Kinds other parts of the system deal with: heartbeats (presence), cmd and progress (execution). */
const OTHERS = new Set<string>(AGENT_MESSAGE_KINDS.filter((k) => !HANDLED.has(k)));

/** Routes a subject of the `<ns>.agent.*.*` subscription by its kind. */
export function routeAgentSubject(subject: string): AgentSubjectRoute {
  const tokens = subject.split('.');
  const kind = tokens[tokens.length - 1];
  if (OTHERS.has(kind)) return { action: 'ignore' };
  if (tokens.length !== 4 || tokens[1] !== 'agent') {
    return { action: 'reject', error: new AgentMessageRejected('AGENT.BAD_SUBJECT', `unexpected subject ${subject}`) };
  }
  if (kind === 'hello' || kind === 'report') return { action: 'handle', kind, serverToken: tokens[2] };
  return {
    action: 'reject',
    error: new AgentMessageRejected(
      'AGENT.UNKNOWN_KIND',
      `unknown message kind "${kind}" (known: ${AGENT_MESSAGE_KINDS.join(', ')})`,
    ),
  };
}

/**
 * Parses and validates a hello or report: JSON, the contract's schema, and `serverId` equal to
 * the subject's server token (an agent speaks only for its own server).
 */
export function parseAgentMessage(kind: 'hello' | 'report', serverToken: string, payload: string): AgentIntakeMessage {
  if (!idSchema.safeParse(serverToken).success) {
    throw new AgentMessageRejected('AGENT.BAD_SUBJECT', `server token "${serverToken}" is not a valid server id`);
  }
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch (err) {
    throw new AgentMessageRejected('AGENT.INVALID_JSON', `payload is not JSON: ${(err as Error).message}`);
  }
  let body: AgentHelloMessage | AgentReportMessage;
  try {
    body = kind === 'hello' ? AgentHello.parse(json) : AgentReport.parse(json);
  } catch (err) {
    if (err instanceof ValidationError) throw new AgentMessageRejected('AGENT.INVALID_MESSAGE', err.message);
    throw err;
  }
  if (body.serverId !== serverToken) {
    throw new AgentMessageRejected(
      'AGENT.SERVER_ID_MISMATCH',
      `serverId "${body.serverId}" does not match the subject's server "${serverToken}"`,
    );
  }
  return kind === 'hello'
    ? { kind, serverId: serverToken, body: body as AgentHelloMessage }
    : { kind, serverId: serverToken, body: body as AgentReportMessage };
}
