import { z } from 'zod';

/**
 * NATS headers of a message on `<ns>.dlq.<consumer>`: the original message's payload, with
 * where it came from and why the consumer gave up on it.
 */
export const DEAD_LETTER_HEADERS = {
  /** The subject the message was first published on. */
  originalSubject: 'Fleet-Original-Subject',
  /** Stream sequence of the original message. */
  originalSequence: 'Fleet-Original-Sequence',
  /** How many times the message was delivered before the consumer gave up. */
  deliveries: 'Fleet-Deliveries',
  /** The last error's message. */
  error: 'Fleet-Error',
  /** Event type, when the message is an event. */
  eventType: 'Fleet-Event-Type',
  /** Event-store stream id, when the message is an event. */
  streamId: 'Fleet-Stream-Id',
  /** The original `Nats-Msg-Id` (the event id for events). */
  messageId: 'Nats-Msg-Id',
} as const;

const positiveDecimal = z.string().regex(/^[1-9][0-9]*$/, 'must be a positive decimal integer');

/** The dead-letter headers as a record of header name to value. */
export const deadLetterHeadersSchema = z
  .object({
    [DEAD_LETTER_HEADERS.originalSubject]: z.string().min(1).describe('Subject the message was first published on.'),
    [DEAD_LETTER_HEADERS.originalSequence]: positiveDecimal.describe('Stream sequence of the original message.'),
    [DEAD_LETTER_HEADERS.deliveries]: positiveDecimal.describe('Deliveries before the consumer gave up.'),
    [DEAD_LETTER_HEADERS.error]: z.string().describe("The last error's message."),
    [DEAD_LETTER_HEADERS.eventType]: z.string().min(1).optional().describe('Event type, for events.'),
    [DEAD_LETTER_HEADERS.streamId]: z.string().min(1).optional().describe('Event-store stream id, for events.'),
    [DEAD_LETTER_HEADERS.messageId]: z.string().min(1).optional().describe('Original `Nats-Msg-Id`.'),
  })
  .describe('Headers of a dead letter.');

/** Dead-letter headers by name. */
export type DeadLetterHeaders = z.output<typeof deadLetterHeadersSchema>;
