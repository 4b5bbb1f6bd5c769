import { randomUUID } from 'node:crypto';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { MsgHdrs, NatsConnection } from '@nats-io/nats-core';
import type { EventMetadata, LogPosition, NewEvent } from '@fleetwarden/eventstore';
import type { EventEnvelope } from '../event-envelope';

/** Polls `check` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export function metadata(extra: Partial<EventMetadata> = {}): EventMetadata {
  return {
    correlationId: randomUUID(),
    causationId: null,
    actor: 'test',
    reseller: null,
    occurredAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

export function newEvent(type: string, data: unknown = {}, extra: Partial<EventMetadata> = {}): NewEvent {
  return { eventId: randomUUID(), type, data, metadata: metadata(extra) };
}

/** An envelope as the relay would publish it, for consumer tests. */
export function envelope(type: string, data: unknown = {}, streamId = `inventory-${randomUUID()}`): EventEnvelope {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    streamId,
    streamVersion: 1,
    globalPosition: 1,
    data,
    metadata: metadata(),
    recordedAt: new Date().toISOString(),
  };
}

export interface StoredMessage {
  seq: number;
  subject: string;
  headers: MsgHdrs | undefined;
  msgId: string | undefined;
  json: unknown;
}

/** Every message of a stream, in order, read with an ordered consumer. */
export async function readStream(nc: NatsConnection, stream: string): Promise<StoredMessage[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const total = info.state.messages;
  const out: StoredMessage[] = [];
  if (total === 0) return out;
  const consumer = await jetstream(nc).consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume({ max_messages: 1000 });
  for await (const m of messages) {
    out.push({
      seq: m.seq,
      subject: m.subject,
      headers: m.headers,
      msgId: m.headers?.get('Nats-Msg-Id') || undefined,
      json: JSON.parse(m.string()),
    });
    if (m.seq >= info.state.last_seq) break;
  }
  await messages.close();
  return out;
}

/** Number of messages in a stream now. */
export async function streamCount(nc: NatsConnection, stream: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(stream)).state.messages;
}

/** Orders log positions as the event store reads them: by transaction id, then global position. */
export function comparePositions(a: LogPosition, b: LogPosition): number {
  const tx = BigInt(a.transactionId) - BigInt(b.transactionId);
  if (tx !== 0n) return tx < 0n ? -1 : 1;
  return a.globalPosition - b.globalPosition;
}
