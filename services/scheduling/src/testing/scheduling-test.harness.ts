import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { Subjects } from '@fleetwarden/contracts';
import type { EventStore, RecordedEvent } from '@fleetwarden/eventstore';
import { CancelRollout } from '@fleetwarden/execution-contracts';
import { toEventEnvelope, type CommandReply, type CommandRequest } from '@fleetwarden/messaging';
import { appendEventAs, serviceTestConfig, startServiceForTest, type ServiceTestEnv } from '@fleetwarden/platform';
import { EXECUTION_EVENTS_CONSUMER } from '../execution-events/execution-events.handler';
import { SCHEDULING_SERVICE_OPTIONS, SchedulingRuntime, type SchedulingServiceOptions } from '../scheduling-runtime';
import { SCHEDULING_SERVICE } from '../scheduling-service.module';

export type SchedulingTestEnv = ServiceTestEnv;

export const schedulingTestConfig = serviceTestConfig;

/** Starts a scheduling service app (its own connections) with test timings. */
export function startSchedulingForTest(
  env: SchedulingTestEnv,
  options: SchedulingServiceOptions = {},
): Promise<NestFastifyApplication> {
  return startServiceForTest(SCHEDULING_SERVICE, env, [{ token: SCHEDULING_SERVICE_OPTIONS, value: options }]);
}

/** The runtime (fleet view, timers) of a started scheduling app. */
export function schedulingRuntime(app: NestFastifyApplication): SchedulingRuntime {
  return app.get(SchedulingRuntime, { strict: false });
}

/** Appends inventory events as the inventory service would, to feed the fleet view. */
export function appendInventoryEvent(
  store: EventStore,
  streamId: string,
  type: string,
  data: Record<string, unknown>,
  reseller: string | null = null,
): Promise<void> {
  return appendEventAs(store, streamId, 'inventory', type, data, reseller);
}

/** Polls `probe` until it returns something other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Appends events to a task's rollout stream `rollout-<taskId>` in one append, as the execution service would. */
export async function appendRolloutEvents(
  store: EventStore,
  taskId: string,
  events: Array<{ type: string; data: Record<string, unknown> }>,
  reseller: string | null = null,
): Promise<RecordedEvent[]> {
  const streamId = `rollout-${taskId}`;
  const eventIds = events.map(() => randomUUID());
  const metadata = {
    correlationId: randomUUID(),
    causationId: null,
    actor: 'system:execution',
    reseller,
    occurredAt: new Date().toISOString(),
    context: 'execution',
  };
  await store.append(
    streamId,
    events.map((e, i) => ({ eventId: eventIds[i], type: e.type, data: e.data, metadata })),
  );
  const recorded = await store.readStream(streamId);
  return eventIds.map((id) => {
    const event = recorded.find((r) => r.eventId === id);
    if (!event) throw new Error(`event ${id} not in ${streamId}`);
    return event;
  });
}

/**
 * Publishes a recorded event's envelope again on `<ns>.events.<context>.<type>` under another
 * `Nats-Msg-Id` (so JetStream keeps it): the consumers get the same event a second time.
 * Returns the message's stream sequence.
 */
export async function publishAgain(nc: NatsConnection, namespace: string, event: RecordedEvent): Promise<number> {
  const context = event.metadata['context'] as 'execution';
  const subject = new Subjects(namespace).event(context, event.type);
  const ack = await jetstream(nc).publish(subject, JSON.stringify(toEventEnvelope(event)), {
    msgID: `${event.eventId}:again:${randomUUID()}`,
  });
  return ack.seq;
}

/** Waits until the outbox relay has published a recorded event; returns its stream sequence. */
export async function publishedSeq(nc: NatsConnection, namespace: string, event: RecordedEvent): Promise<number> {
  const subjects = new Subjects(namespace);
  const jsm = await jetstreamManager(nc);
  const subject = subjects.event(event.metadata['context'] as 'execution', event.type);
  return waitFor(`${event.type} ${event.eventId} published`, async () => {
    try {
      const msg = await jsm.streams.getMessage(subjects.eventsStream, { last_by_subj: subject });
      return msg?.json<{ eventId: string }>().eventId === event.eventId ? msg.seq : undefined;
    } catch {
      return undefined;
    }
  });
}

/** Waits until the scheduling service's execution-events consumer has acked every message up to `seq`. */
export async function executionEventsSettled(nc: NatsConnection, namespace: string, seq: number): Promise<void> {
  const subjects = new Subjects(namespace);
  const jsm = await jetstreamManager(nc);
  await waitFor(`the execution events up to #${seq} acked`, async () => {
    const info = await jsm.consumers.info(
      subjects.eventsStream,
      subjects.consumerName(SCHEDULING_SERVICE.name, EXECUTION_EVENTS_CONSUMER),
    );
    return info.delivered.stream_seq >= seq && info.num_ack_pending === 0 && info.num_pending === 0 ? true : undefined;
  });
}

/** One `CancelRollout` request the stand-in execution service received. */
export type CancelRolloutRequest = CommandRequest<{ taskId: string }>;

/**
 * Stands in for the execution service: answers `<ns>.cmd.execution.CancelRollout` following the
 * command protocol (`{ data, meta }` in, `{ ok, data | error }` out) with what `answer` returns;
 * `null` sends no reply at all. Every request is pushed to `received`.
 */
export function answerCancelRollout(
  nc: NatsConnection,
  namespace: string,
  answer: (request: CancelRolloutRequest) => CommandReply | null,
  received: CancelRolloutRequest[] = [],
): Subscription {
  return nc.subscribe(CancelRollout.subject(new Subjects(namespace)), {
    queue: `${namespace}.execution`,
    callback: (err, msg) => {
      if (err) return;
      const request = CancelRollout.parseRequest(JSON.parse(msg.string()));
      received.push(request);
      const reply = answer(request);
      if (reply) msg.respond(JSON.stringify(reply));
    },
  });
}
