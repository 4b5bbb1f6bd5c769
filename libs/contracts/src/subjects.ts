/** The bounded contexts that own commands and events. */
export const CONTEXTS = ['inventory', 'scheduling', 'execution', 'redundancy', 'compliance'] as const;
export type Context = (typeof CONTEXTS)[number];

/** Kinds of agent messages on `<ns>.agent.<serverId>.<kind>`. */
export const AGENT_MESSAGE_KINDS = ['hello', 'heartbeat', 'report', 'cmd', 'progress', 'keepalive', 'control', 'patches'] as const;
export type AgentMessageKind = (typeof AGENT_MESSAGE_KINDS)[number];

const NAMESPACE_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Checks a namespace (`FLEETWARDEN_NAMESPACE`): lowercase letters, digits, underscore; starts with a letter. */
export function isValidNamespace(ns: string): boolean {
  return NAMESPACE_PATTERN.test(ns);
}

function token(name: string, value: string): string {
  if (!TOKEN_PATTERN.test(value)) {
    throw new Error(`${name} must be a single subject token ([A-Za-z0-9_-]+), got "${value}"`);
  }
  return value;
}

/**
 * Subject and stream names of one installation. Every subject starts with the namespace
 * (default `fleet`) and every JetStream stream or consumer name with its upper-case form.
 */
export class Subjects {
  constructor(readonly namespace: string = 'fleet') {
    if (!isValidNamespace(namespace)) {
      throw new Error(`FLEETWARDEN_NAMESPACE must match ${NAMESPACE_PATTERN}, got "${namespace}"`);
    }
  }

  /** `FLEET_EVENTS` for namespace `fleet`. */
  get eventsStream(): string {
    return `${this.namespace.toUpperCase()}_EVENTS`;
  }

  /** `fleet.events.>`: every domain event. */
  get allEvents(): string {
    return `${this.namespace}.events.>`;
  }

  /** `fleet.events.<context>.<EventType>` */
  event(context: Context, eventType: string): string {
    return `${this.namespace}.events.${token('context', context)}.${token('event type', eventType)}`;
  }

  /** `fleet.events.<context>.>` */
  contextEvents(context: Context): string {
    return `${this.namespace}.events.${context}.>`;
  }

  /** `fleet.cmd.<context>.<Command>`: request/reply, one queue group per service. */
  command(context: Context, command: string): string {
    return `${this.namespace}.cmd.${token('context', context)}.${token('command', command)}`;
  }

  /** `fleet.agent.<serverId>.<kind>` */
  agent(serverId: string, kind: AgentMessageKind): string {
    return `${this.namespace}.agent.${token('serverId', serverId)}.${kind}`;
  }

  /** `FLEET_AGENT_PROGRESS` for namespace `fleet`: keeps agents' job progress and patch reports until the services took them. */
  get agentProgressStream(): string {
    return `${this.namespace.toUpperCase()}_AGENT_PROGRESS`;
  }

  /** `fleet.agent.*.progress`: the progress messages of every agent. */
  get allAgentProgress(): string {
    return `${this.namespace}.agent.*.progress`;
  }

  /** `fleet.agent.*.patches`: the OS-patch install reports of every agent (kept in the agent progress stream). */
  get allAgentPatches(): string {
    return `${this.namespace}.agent.*.patches`;
  }

  /**
   * `fleet.notify.compliance.<reseller>`: notifications of a reseller about patch compliance
   * (alerted, breached, charged, urgent and emergency updates), plain NATS publish.
   */
  complianceNotification(reseller: string): string {
    return `${this.namespace}.notify.compliance.${token('reseller', reseller)}`;
  }

  /** `fleet.dlq.<consumer>`: messages a consumer gave up on, with the error attached. */
  deadLetter(consumer: string): string {
    return `${this.namespace}.dlq.${token('consumer', consumer)}`;
  }

  /** Durable consumer name, prefixed so that installations sharing a server never collide. */
  consumerName(service: string, handler: string): string {
    return `${this.namespace.toUpperCase()}_${token('service', service)}_${token('handler', handler)}`;
  }

  /** Queue group for a service's command handlers. */
  queueGroup(service: string): string {
    return `${this.namespace}.${token('service', service)}`;
  }
}
