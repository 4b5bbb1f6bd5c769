import { z } from 'zod';
import { commandReplySchema, commandRequestSchema } from './command-protocol';
import { DEAD_LETTER_HEADERS, deadLetterHeadersSchema } from './dead-letter';
import { eventEnvelopeSchema } from './envelope';
import { ValidationError, formatPath, parseOrThrow } from './validation';

const envelope = () => ({
  eventId: '0b7a0c1e-5f7c-4a51-9d0e-3c1f3a9c2b10',
  type: 'ServerRegistered',
  schemaVersion: 1,
  streamId: 'server-srv-1',
  streamVersion: 1,
  globalPosition: 42,
  data: { serverId: 'srv-1' },
  metadata: {
    correlationId: 'c-1',
    causationId: null,
    actor: 'operator:alice',
    reseller: null,
    occurredAt: '2025-01-01T10:00:00.000Z',
  },
  recordedAt: '2025-01-01T10:00:00.012Z',
});

function validationErrorOf(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('parseOrThrow', () => {
  it('returns the parsed value', () => {
    expect(parseOrThrow(z.object({ n: z.number() }), { n: 1, extra: true }, 'thing')).toEqual({ n: 1 });
  });

  it('throws a ValidationError with code VALIDATION naming what and every failing field', () => {
    const schema = z.object({ a: z.string(), items: z.array(z.object({ id: z.uuid() })) });
    const error = validationErrorOf(() => parseOrThrow(schema, { items: [{ id: 'x' }] }, 'thing'));
    expect(error.name).toBe('ValidationError');
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toBe(
      'Invalid thing: a: Invalid input: expected string, received undefined; items[0].id: Invalid UUID',
    );
    expect(error.issues.map((i) => i.path)).toEqual(['a', 'items[0].id']);
    expect(error.details).toEqual({ what: 'thing', issues: error.issues });
    expect(error.cause).toBeInstanceOf(z.ZodError);
  });

  it('names the value itself as (root)', () => {
    expect(() => parseOrThrow(z.object({}), 'text', 'request')).toThrow(
      'Invalid request: (root): Invalid input: expected object, received string',
    );
  });

  it('formats paths with indices and nested keys', () => {
    expect(formatPath([])).toBe('(root)');
    expect(formatPath([0, 'a', 'b', 2])).toBe('[0].a.b[2]');
  });
});

describe('eventEnvelopeSchema', () => {
  it('accepts a recorded event and keeps extra metadata keys', () => {
    const value = envelope();
    const extra = { ...value, metadata: { ...value.metadata, idempotencyKey: 'k-1' } };
    expect(parseOrThrow(eventEnvelopeSchema, extra, 'envelope').metadata.idempotencyKey).toBe('k-1');
  });

  it('accepts offsets in times and a reseller', () => {
    const value = envelope();
    value.metadata.occurredAt = '2025-01-01T11:00:00+01:00';
    (value.metadata as { reseller: string | null }).reseller = 'r-1';
    expect(() => parseOrThrow(eventEnvelopeSchema, value, 'envelope')).not.toThrow();
  });

  it.each([
    ['eventId', (e: ReturnType<typeof envelope>) => ({ ...e, eventId: 'not-a-uuid' })],
    ['schemaVersion', (e: ReturnType<typeof envelope>) => ({ ...e, schemaVersion: 0 })],
    ['streamVersion', (e: ReturnType<typeof envelope>) => ({ ...e, streamVersion: 1.5 })],
    ['type', (e: ReturnType<typeof envelope>) => ({ ...e, type: 'server.registered' })],
    ['data', (e: ReturnType<typeof envelope>) => ({ ...e, data: null })],
    ['recordedAt', (e: ReturnType<typeof envelope>) => ({ ...e, recordedAt: 'yesterday' })],
    [
      'metadata.correlationId',
      (e: ReturnType<typeof envelope>) => ({ ...e, metadata: { ...e.metadata, correlationId: '' } }),
    ],
    [
      'metadata.causationId',
      (e: ReturnType<typeof envelope>) => ({ ...e, metadata: { ...e.metadata, causationId: undefined } }),
    ],
    [
      'metadata.occurredAt',
      (e: ReturnType<typeof envelope>) => ({ ...e, metadata: { ...e.metadata, occurredAt: '2025-01-01' } }),
    ],
  ])('rejects a bad %s, naming it', (field, change) => {
    const error = validationErrorOf(() => parseOrThrow(eventEnvelopeSchema, change(envelope()), 'event envelope'));
    expect(error.issues.map((i) => i.path)).toEqual([field]);
    expect(error.message).toContain(`Invalid event envelope: ${field}: `);
  });
});

describe('command request and reply', () => {
  const request = commandRequestSchema(z.object({ serverId: z.string().min(1) }));
  const reply = commandReplySchema(z.object({ taskId: z.string() }));

  it('accepts a request and defaults meta to {}', () => {
    expect(parseOrThrow(request, { data: { serverId: 's-1' } }, 'request')).toEqual({
      data: { serverId: 's-1' },
      meta: {},
    });
    const meta = { idempotencyKey: 'k', correlationId: 'c', actor: 'operator:alice', reseller: null };
    expect(parseOrThrow(request, { data: { serverId: 's-1' }, meta }, 'request').meta).toEqual(meta);
  });

  it('rejects bad data and bad meta, naming the fields', () => {
    expect(() => parseOrThrow(request, { data: { serverId: '' }, meta: { idempotencyKey: 7 } }, 'request')).toThrow(
      /^Invalid request: data\.serverId: .*; meta\.idempotencyKey: Invalid input: expected string, received number$/,
    );
  });

  it('accepts success and error replies', () => {
    expect(parseOrThrow(reply, { ok: true, data: { taskId: 't' } }, 'reply')).toEqual({
      ok: true,
      data: { taskId: 't' },
    });
    const failure = { ok: false, error: { code: 'TASK.NOT_FOUND', message: 'no task', details: { taskId: 't' } } };
    expect(parseOrThrow(reply, failure, 'reply')).toEqual(failure);
  });

  it('rejects a reply that is neither', () => {
    expect(() => parseOrThrow(reply, { ok: true, data: {} }, 'reply')).toThrow('Invalid reply: data.taskId:');
    expect(() => parseOrThrow(reply, { ok: false, error: { message: 'x' } }, 'reply')).toThrow(
      'Invalid reply: error.code:',
    );
    expect(() => parseOrThrow(reply, { ok: 'yes' }, 'reply')).toThrow('Invalid reply: ok:');
  });
});

describe('dead-letter headers', () => {
  const headers = {
    [DEAD_LETTER_HEADERS.originalSubject]: 'fleet.events.inventory.ServerRegistered',
    [DEAD_LETTER_HEADERS.originalSequence]: '17',
    [DEAD_LETTER_HEADERS.deliveries]: '5',
    [DEAD_LETTER_HEADERS.error]: 'boom',
  };

  it('accepts the required headers, with the optional event headers', () => {
    expect(parseOrThrow(deadLetterHeadersSchema, headers, 'dead letter')).toEqual(headers);
    const withEvent = { ...headers, 'Fleet-Event-Type': 'ServerRegistered', 'Nats-Msg-Id': 'e-1' };
    expect(parseOrThrow(deadLetterHeadersSchema, withEvent, 'dead letter')).toEqual(withEvent);
  });

  it('rejects a missing subject and a non-numeric count', () => {
    const { [DEAD_LETTER_HEADERS.originalSubject]: _subject, ...rest } = headers;
    const error = validationErrorOf(() =>
      parseOrThrow(deadLetterHeadersSchema, { ...rest, 'Fleet-Deliveries': 'many' }, 'dead letter'),
    );
    expect(error.issues.map((i) => i.path)).toEqual(['Fleet-Original-Subject', 'Fleet-Deliveries']);
    expect(error.message).toContain('Fleet-Deliveries: must be a positive decimal integer');
  });
});
