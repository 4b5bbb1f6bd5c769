import { z } from 'zod';
import { commandReplySchema, commandRequestSchema, type CommandReply, type CommandRequest } from './command-protocol';
import { eventEnvelopeSchema, isPascalCase, type EventEnvelope } from './envelope';
import { AGENT_MESSAGE_KINDS, CONTEXTS, Subjects, type AgentMessageKind, type Context } from './subjects';
import { parseOrThrow } from './validation';

const DEFAULT_SUBJECTS = new Subjects();

/** What `defineEvent` takes. */
export interface EventDefinition<Type extends string, Schema extends z.ZodType> {
  /** Bounded context that owns (appends and publishes) the event. */
  context: Context;
  /** Past-tense PascalCase name, stable forever (`ServerRegistered`). */
  type: Type;
  /** Version of the `data` shape, from 1; a breaking change adds a new version with an upcaster. */
  version: number;
  description: string;
  /** Schema of the event's `data`. */
  schema: Schema;
}

/** A published event type at one version. */
export interface EventContract<Type extends string = string, Schema extends z.ZodType = z.ZodType> extends Readonly<
  EventDefinition<Type, Schema>
> {
  readonly category: 'event';
  /** `<ns>.events.<context>.<type>` (default namespace `fleet`). */
  subject(subjects?: Subjects): string;
  /** Validates the event's `data`. */
  parse(data: unknown): z.output<Schema>;
  /** Validates a whole envelope of this type and version, `data` included. */
  parseEnvelope(value: unknown): EventEnvelope<Type, z.output<Schema>>;
}

/** What `defineCommand` takes. */
export interface CommandDefinition<Name extends string, Request extends z.ZodType, Reply extends z.ZodType> {
  /** Bounded context whose service handles the command. */
  context: Context;
  /** Imperative PascalCase name (`ScheduleUpdateTask`). */
  name: Name;
  description: string;
  /** Schema of the request's `data`. */
  request: Request;
  /** Schema of a successful reply's `data`. */
  reply: Reply;
}

/** A command: request/reply on `<ns>.cmd.<context>.<name>`. */
export interface CommandContract<
  Name extends string = string,
  Request extends z.ZodType = z.ZodType,
  Reply extends z.ZodType = z.ZodType,
> extends Readonly<CommandDefinition<Name, Request, Reply>> {
  readonly category: 'command';
  /** Schema of the whole request, `{ data, meta }`. */
  readonly requestSchema: ReturnType<typeof commandRequestSchema<Request>>;
  /** Schema of the whole reply, `{ ok: true, data } | { ok: false, error }`. */
  readonly replySchema: ReturnType<typeof commandReplySchema<Reply>>;
  /** `<ns>.cmd.<context>.<name>` (default namespace `fleet`). */
  subject(subjects?: Subjects): string;
  parseRequest(value: unknown): CommandRequest<z.output<Request>>;
  parseReply(value: unknown): CommandReply<z.output<Reply>>;
}

/** What `defineAgentMessage` takes. */
export interface AgentMessageDefinition<Kind extends AgentMessageKind, Schema extends z.ZodType> {
  /** Last subject token: `hello`, `heartbeat`, `report`, `cmd` or `progress`. */
  kind: Kind;
  description: string;
  schema: Schema;
}

/** A message between the control plane and an agent on `<ns>.agent.<serverId>.<kind>`. */
export interface AgentMessageContract<
  Kind extends AgentMessageKind = AgentMessageKind,
  Schema extends z.ZodType = z.ZodType,
> extends Readonly<AgentMessageDefinition<Kind, Schema>> {
  readonly category: 'agent-message';
  /** `<ns>.agent.<serverId>.<kind>` (default namespace `fleet`). */
  subject(serverId: string, subjects?: Subjects): string;
  parse(value: unknown): z.output<Schema>;
}

/** Any contract of the catalogue. */
export type MessageContract = EventContract | CommandContract | AgentMessageContract;

function requireText(value: string, what: string): void {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${what} must not be empty`);
}

function requireContext(context: string, what: string): void {
  if (!(CONTEXTS as readonly string[]).includes(context)) {
    throw new TypeError(`${what}: unknown context "${context}" (one of ${CONTEXTS.join(', ')})`);
  }
}

function requirePascalCase(name: string, what: string): void {
  if (!isPascalCase(name)) throw new TypeError(`${what} must be PascalCase ([A-Z][A-Za-z0-9]*), got "${name}"`);
}

/** Declares an event type at one version; list it in the catalogue to publish it. */
export function defineEvent<const Type extends string, Schema extends z.ZodType>(
  definition: EventDefinition<Type, Schema>,
): EventContract<Type, Schema> {
  const { context, type, version, description, schema } = definition;
  const what = `event ${type}`;
  requireContext(context, what);
  requirePascalCase(type, `${what}: type`);
  if (!Number.isInteger(version) || version < 1) throw new TypeError(`${what}: version must be an integer >= 1`);
  requireText(description, `${what}: description`);
  const label = `${type} v${version}`;
  let envelope: z.ZodType | undefined;
  return Object.freeze({
    category: 'event' as const,
    context,
    type,
    version,
    description,
    schema,
    subject: (subjects: Subjects = DEFAULT_SUBJECTS) => subjects.event(context, type),
    parse: (data: unknown) => parseOrThrow(schema, data, `${label} data`),
    parseEnvelope: (value: unknown) => {
      envelope ??= eventEnvelopeSchema.extend({
        type: z.literal(type),
        schemaVersion: z.literal(version),
        data: schema,
      });
      return parseOrThrow(envelope, value, `${label} envelope`) as EventEnvelope<Type, z.output<Schema>>;
    },
  });
}

/** Declares a command; list it in the catalogue to document it. */
export function defineCommand<const Name extends string, Request extends z.ZodType, Reply extends z.ZodType>(
  definition: CommandDefinition<Name, Request, Reply>,
): CommandContract<Name, Request, Reply> {
  const { context, name, description, request, reply } = definition;
  const what = `command ${context}.${name}`;
  requireContext(context, what);
  requirePascalCase(name, `${what}: name`);
  requireText(description, `${what}: description`);
  const requestSchema = commandRequestSchema(request);
  const replySchema = commandReplySchema(reply);
  return Object.freeze({
    category: 'command' as const,
    context,
    name,
    description,
    request,
    reply,
    requestSchema,
    replySchema,
    subject: (subjects: Subjects = DEFAULT_SUBJECTS) => subjects.command(context, name),
    parseRequest: (value: unknown) =>
      parseOrThrow(requestSchema, value, `${name} request`) as CommandRequest<z.output<Request>>,
    parseReply: (value: unknown) => parseOrThrow(replySchema, value, `${name} reply`) as CommandReply<z.output<Reply>>,
  });
}

/** Declares the message an agent sends or receives on one subject kind. */
export function defineAgentMessage<const Kind extends AgentMessageKind, Schema extends z.ZodType>(
  definition: AgentMessageDefinition<Kind, Schema>,
): AgentMessageContract<Kind, Schema> {
  const { kind, description, schema } = definition;
  const what = `agent message ${kind}`;
  if (!(AGENT_MESSAGE_KINDS as readonly string[]).includes(kind)) {
    throw new TypeError(`${what}: kind must be one of ${AGENT_MESSAGE_KINDS.join(', ')}`);
  }
  requireText(description, `${what}: description`);
  return Object.freeze({
    category: 'agent-message' as const,
    kind,
    description,
    schema,
    subject: (serverId: string, subjects: Subjects = DEFAULT_SUBJECTS) => subjects.agent(serverId, kind),
    parse: (value: unknown) => parseOrThrow(schema, value, `agent ${kind} message`),
  });
}

/** What a {@link MessageCatalogue} is built from. */
export interface CatalogueEntries {
  events?: readonly EventContract[];
  commands?: readonly CommandContract[];
  agentMessages?: readonly AgentMessageContract[];
}

/**
 * Every message contract of the system, in declaration order. Rejects duplicates: an event
 * type belongs to one context and has each version once, a command name is unique within its
 * context, an agent message kind is declared once.
 */
export class MessageCatalogue {
  readonly events: readonly EventContract[];
  readonly commands: readonly CommandContract[];
  readonly agentMessages: readonly AgentMessageContract[];

  constructor(entries: CatalogueEntries) {
    this.events = Object.freeze([...(entries.events ?? [])]);
    this.commands = Object.freeze([...(entries.commands ?? [])]);
    this.agentMessages = Object.freeze([...(entries.agentMessages ?? [])]);

    const eventContexts = new Map<string, Context>();
    const eventVersions = new Set<string>();
    for (const event of this.events) {
      const owner = eventContexts.get(event.type);
      if (owner !== undefined && owner !== event.context) {
        throw new TypeError(`event ${event.type} is declared in both ${owner} and ${event.context}`);
      }
      eventContexts.set(event.type, event.context);
      const key = `${event.type}@${event.version}`;
      if (eventVersions.has(key)) throw new TypeError(`event ${event.type} v${event.version} is declared twice`);
      eventVersions.add(key);
    }
    const commandKeys = new Set<string>();
    for (const command of this.commands) {
      const key = `${command.context}.${command.name}`;
      if (commandKeys.has(key)) throw new TypeError(`command ${key} is declared twice`);
      commandKeys.add(key);
    }
    const kinds = new Set<string>();
    for (const message of this.agentMessages) {
      if (kinds.has(message.kind)) throw new TypeError(`agent message ${message.kind} is declared twice`);
      kinds.add(message.kind);
    }
  }

  /** The event contract of `type` at `version`, or at its latest version when `version` is omitted. */
  event(type: string, version?: number): EventContract | undefined {
    const versions = this.eventVersions(type);
    return version === undefined ? versions[versions.length - 1] : versions.find((e) => e.version === version);
  }

  /** Every declared version of `type`, oldest first. */
  eventVersions(type: string): EventContract[] {
    return this.events.filter((e) => e.type === type).sort((a, b) => a.version - b.version);
  }

  /** Latest version number of `type`, undefined when it is not declared. */
  latestVersion(type: string): number | undefined {
    return this.event(type)?.version;
  }

  command(context: Context, name: string): CommandContract | undefined {
    return this.commands.find((c) => c.context === context && c.name === name);
  }

  agentMessage(kind: AgentMessageKind): AgentMessageContract | undefined {
    return this.agentMessages.find((m) => m.kind === kind);
  }

  eventsOf(context: Context): EventContract[] {
    return this.events.filter((e) => e.context === context);
  }

  commandsOf(context: Context): CommandContract[] {
    return this.commands.filter((c) => c.context === context);
  }
}
