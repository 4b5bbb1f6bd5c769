import { z } from 'zod';
import type { EventMetadata, RecordedEvent } from '@fleetwarden/eventstore';

/** Header names this library sets on JetStream messages. */
export const FleetHeaders = {
  /** Event type of an event message (`ServerRegistered`). */
  EventType: 'Fleet-Event-Type',
  /** Event-store stream id of an event message (`inventory-srv-1`). */
  StreamId: 'Fleet-Stream-Id',
  /** On a dead letter: the last error's message. */
  Error: 'Fleet-Error',
  /** On a dead letter: how many times the message was delivered. */
  Deliveries: 'Fleet-Deliveries',
  /** On a dead letter: the subject the message was first published on. */
  OriginalSubject: 'Fleet-Original-Subject',
  /** On a dead letter: the stream sequence of the original message. */
  OriginalSequence: 'Fleet-Original-Sequence',
} as const;

/**
 * The JSON payload of every message on `<ns>.events.<context>.<EventType>`: a recorded event as
 * the event store returns it. `Nats-Msg-Id` is `eventId`.
 */
export interface EventEnvelope<T extends string = string, D = unknown> {
  eventId: string;
  type: T;
  schemaVersion: number;
  streamId: string;
  streamVersion: number;
  globalPosition: number;
  data: D;
  metadata: EventMetadata;
  /** ISO-8601 time the event store recorded the event. */
  recordedAt: string;
}

const envelopeSchema = z.object({
  eventId: z.string().min(1),
  type: z.string().min(1),
  schemaVersion: z.number().int(),
  streamId: z.string().min(1),
  streamVersion: z.number().int(),
  globalPosition: z.number().int(),
  data: z.unknown(),
  metadata: z.record(z.string(), z.unknown()),
  recordedAt: z.string(),
});

/** The envelope published for a recorded event (its transaction id stays in the store). */
export function toEventEnvelope(event: RecordedEvent): EventEnvelope {
  return {
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    globalPosition: event.globalPosition,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt,
  };
}

/** Parses a message payload into an envelope; throws when it is not JSON or not an envelope. */
export function parseEventEnvelope(payload: Uint8Array | string): EventEnvelope {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`payload is not JSON: ${(err as Error).message}`);
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`payload is not an event envelope: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return { ...parsed.data, data: (json as { data: unknown }).data } as EventEnvelope;
}
