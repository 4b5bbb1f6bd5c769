import { z } from 'zod';
import { commandReplySchema, commandRequestSchema } from './command-protocol';
import { deadLetterHeadersSchema } from './dead-letter';
import { eventEnvelopeSchema } from './envelope';
import type { AgentMessageContract, CommandContract, EventContract, MessageCatalogue } from './registry';
import { AGENT_MESSAGE_KINDS, CONTEXTS, Subjects } from './subjects';

/** Where `npm run docs` writes {@link renderEventsDoc}'s output, relative to the workspace root. */
export const EVENTS_DOC_PATH = 'docs/events.md';

type JsonSchema = Record<string, unknown>;

/** JSON Schema (draft 2020-12) of a zod schema, without the noise that only repeats `format`. */
export function toDocJsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, {
    io,
    override: ({ jsonSchema }) => {
      const s = jsonSchema as JsonSchema;
      if (typeof s.format === 'string') delete s.pattern;
      if (s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
      if (s.minimum === Number.MIN_SAFE_INTEGER) delete s.minimum;
    },
  }) as JsonSchema;
  delete json.$schema;
  return json;
}

function jsonBlock(schema: JsonSchema): string {
  return ['```json', JSON.stringify(schema, null, 2), '```'].join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function typeOf(s: JsonSchema): string {
  if (Array.isArray(s.anyOf)) return (s.anyOf as JsonSchema[]).map(typeOf).join(' | ');
  if (Array.isArray(s.oneOf)) return (s.oneOf as JsonSchema[]).map(typeOf).join(' | ');
  if (s.const !== undefined) return JSON.stringify(s.const);
  const type = Array.isArray(s.type) ? s.type.join(' | ') : typeof s.type === 'string' ? s.type : 'any';
  return typeof s.format === 'string' ? `${type} (${s.format})` : type;
}

function fieldRows(schema: JsonSchema, prefix = ''): string[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).flatMap(([name, field]) => {
    const path = `${prefix}${name}`;
    const row = `| \`${path}\` | ${cell(typeOf(field))} | ${required.has(name) ? 'yes' : 'no'} | ${cell(
      String(field.description ?? ''),
    )} |`;
    return field.properties ? [row, ...fieldRows(field, `${path}.`)] : [row];
  });
}

function fieldTable(schema: JsonSchema): string {
  return ['| Field | Type | Required | Description |', '| --- | --- | --- | --- |', ...fieldRows(schema)].join('\n');
}

function renderEvent(event: EventContract, catalogue: MessageCatalogue, subjects: Subjects): string {
  const latest = catalogue.latestVersion(event.type);
  const status = latest !== undefined && latest > event.version ? ` · superseded by v${latest}` : '';
  return [
    `#### \`${event.type}\` v${event.version}`,
    '',
    `Subject \`${event.subject(subjects)}\` · \`schemaVersion\` ${event.version}${status}`,
    '',
    event.description,
    '',
    '`data`:',
    '',
    jsonBlock(toDocJsonSchema(event.schema)),
  ].join('\n');
}

function renderCommand(command: CommandContract, subjects: Subjects): string {
  return [
    `#### \`${command.name}\``,
    '',
    `Subject \`${command.subject(subjects)}\` · request/reply`,
    '',
    command.description,
    '',
    'Request `data`:',
    '',
    jsonBlock(toDocJsonSchema(command.request, 'input')),
    '',
    'Reply `data` (when `ok` is true):',
    '',
    jsonBlock(toDocJsonSchema(command.reply)),
  ].join('\n');
}

function renderAgentMessage(message: AgentMessageContract, subjects: Subjects): string {
  return [
    `### \`${message.kind}\``,
    '',
    `Subject \`${subjects.namespace}.agent.<serverId>.${message.kind}\``,
    '',
    message.description,
    '',
    jsonBlock(toDocJsonSchema(message.schema)),
  ].join('\n');
}

function section(items: string[], none: string): string {
  return items.length === 0 ? none : items.join('\n\n');
}

/**
 * The text of `docs/events.md`: subjects, the event envelope, the command protocol, dead
 * letters, then each context's events and commands, then the agent messages. Pure and
 * deterministic; `npm run docs` writes it, a unit test compares it with the file.
 */
export function renderEventsDoc(catalogue: MessageCatalogue): string {
  const subjects = new Subjects();
  const ns = subjects.namespace;
  const genericData = z.record(z.string(), z.unknown()).describe("The command's data; see each command.");
  const envelope = toDocJsonSchema(eventEnvelopeSchema);
  const deadLetter = toDocJsonSchema(deadLetterHeadersSchema);

  const parts: string[] = [
    '# Fleetwarden messages',
    '',
    '<!-- Generated from libs/contracts by `npm run docs`; do not edit. A unit test fails when this file and the contracts differ. -->',
    '',
    'Every event, command and agent message of Fleetwarden, with its JSON Schema (draft 2020-12).',
    '',
    '## Subjects and streams',
    '',
    `The namespace (\`FLEETWARDEN_NAMESPACE\`, default \`${ns}\`) is the first token of every subject and, in upper case, ` +
      'the prefix of every JetStream stream and consumer name, so that several installations can share one NATS server. ' +
      'This page shows the default namespace.',
    '',
    '| Messages | Subject | Transport |',
    '| --- | --- | --- |',
    `| Events | \`${ns}.events.<context>.<EventType>\` | JetStream stream \`${subjects.eventsStream}\` ` +
      `(subjects \`${subjects.allEvents}\`); \`Nats-Msg-Id\` is the event id, so republishing never duplicates |`,
    `| Commands | \`${ns}.cmd.<context>.<Command>\` | NATS request/reply; the instances of a service share one queue group |`,
    `| Agent messages | \`${ns}.agent.<serverId>.<kind>\` | kinds ${AGENT_MESSAGE_KINDS.map((k) => `\`${k}\``).join(', ')} |`,
    `| Agent job progress and patch reports | \`${subjects.allAgentProgress}\`, \`${subjects.allAgentPatches}\` | JetStream stream \`${subjects.agentProgressStream}\`, kept until the execution and compliance services took them |`,
    `| Compliance notifications | \`${ns}.notify.compliance.<reseller>\` | NATS publish: alerted, breached, charged, emergency update, urgent update declared/completed, as JSON \`{ kind, reseller, ... }\` |`,
    `| Dead letters | \`${ns}.dlq.<consumer>\` | messages a durable consumer gave up on, with the headers below |`,
    '',
    `Contexts: ${CONTEXTS.map((c) => `\`${c}\``).join(', ')}.`,
    '',
    '## Event envelope',
    '',
    'The payload of every event message. `data` has the schema of its `type` at its `schemaVersion` (listed per context below).',
    '',
    fieldTable(envelope),
    '',
    jsonBlock(envelope),
    '',
    'A breaking change to an event adds a new version of its type, published on the same subject with the next ' +
      '`schemaVersion`; the event store upcasts stored events to the newest version. Superseded versions stay listed.',
    '',
    '## Commands',
    '',
    'A command request is `{ data, meta }`; the reply is `{ ok: true, data }` or `{ ok: false, error }`. ' +
      "A request that does not match its command's schema is answered with error code `VALIDATION`, " +
      'whose message names each failing field.',
    '',
    'Request:',
    '',
    jsonBlock(toDocJsonSchema(commandRequestSchema(genericData), 'input')),
    '',
    'Reply:',
    '',
    jsonBlock(toDocJsonSchema(commandReplySchema(genericData))),
    '',
    '## Dead letters',
    '',
    `A message on \`${ns}.dlq.<consumer>\` carries the original payload and these headers:`,
    '',
    fieldTable(deadLetter).replace('| Field |', '| Header |'),
  ];

  for (const context of CONTEXTS) {
    parts.push(
      '',
      `## Context \`${context}\``,
      '',
      '### Events',
      '',
      section(
        catalogue.eventsOf(context).map((e) => renderEvent(e, catalogue, subjects)),
        'None yet.',
      ),
      '',
      '### Commands',
      '',
      section(
        catalogue.commandsOf(context).map((c) => renderCommand(c, subjects)),
        'None yet.',
      ),
    );
  }

  parts.push(
    '',
    '## Agent messages',
    '',
    section(
      catalogue.agentMessages.map((m) => renderAgentMessage(m, subjects)),
      'None yet.',
    ),
  );
  return `${parts.join('\n')}\n`;
}
