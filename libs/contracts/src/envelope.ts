import { z } from 'zod';

const PASCAL_CASE = /^[A-Z][A-Za-z0-9]*$/;
const isoDateTime = () => z.iso.datetime({ offset: true });

/** Who and why: carried by every event, copied from the command that caused it. Extra keys are kept. */
export const eventMetadataSchema = z
  .looseObject({
    correlationId: z.string().min(1).describe('Id shared by every message of one user action or process.'),
    causationId: z
      .string()
      .min(1)
      .nullable()
      .describe('Id of the message (command or event) that caused this event; null when none.'),
    actor: z
      .string()
      .min(1)
      .describe(
        'Who caused the event: `operator:<user>`, `reseller:<user>`, `agent:<serverId>`, `system:<component>`.',
      ),
    reseller: z
      .string()
      .min(1)
      .nullable()
      .describe('Reseller the event belongs to (tenancy filter); null for fleet-wide events.'),
    occurredAt: isoDateTime().describe('ISO-8601 time the fact happened, from the injected clock.'),
  })
  .describe('Who and why; set from the command that caused the event. Extra keys are kept.');

/** Metadata of an event (see {@link eventMetadataSchema}). */
export type EventMetadata = z.output<typeof eventMetadataSchema>;

/**
 * The JSON payload of every message on `<ns>.events.<context>.<EventType>`: one recorded event.
 * `Nats-Msg-Id` is the `eventId`, so a republished event is dropped by JetStream's dedupe window.
 */
export const eventEnvelopeSchema = z
  .object({
    eventId: z.uuid().describe('Unique id of the event; appends and publishes are idempotent by it.'),
    type: z.string().regex(PASCAL_CASE).describe('Event type in the past tense, e.g. `ServerRegistered`.'),
    schemaVersion: z.int().min(1).describe('Version of the `data` shape of this type; starts at 1.'),
    streamId: z.string().min(1).describe('Event-store stream (one aggregate), `<category>-<id>`.'),
    streamVersion: z.int().min(1).describe('Position of the event in its stream, 1-based.'),
    globalPosition: z.int().min(1).describe('Position of the event in the global log.'),
    data: z.record(z.string(), z.unknown()).describe('The event itself; its schema is listed per event type.'),
    metadata: eventMetadataSchema,
    recordedAt: isoDateTime().describe('ISO-8601 time the event store recorded the event.'),
  })
  .describe('Payload of every event message.');

/** An event as published on JetStream. */
export type EventEnvelope<Type extends string = string, Data = Record<string, unknown>> = Omit<
  z.output<typeof eventEnvelopeSchema>,
  'type' | 'data'
> & { type: Type; data: Data };

/** `true` when `name` is a PascalCase type or command name (`ServerRegistered`, `Ping`). */
export function isPascalCase(name: string): boolean {
  return PASCAL_CASE.test(name);
}
