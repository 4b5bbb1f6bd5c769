export { connectNats, DEFAULT_NATS_URL, isNatsConnection } from './nats-connection';
export type { ConnectNatsOptions, NatsConnectionSource } from './nats-connection';
export {
  allDeadLetters,
  deadLetterStreamName,
  ensureAgentProgressStream,
  ensureDeadLetterStream,
  ensureEventsStream,
} from './jetstream-streams';
export type { DeadLetterStreamOptions, EventsStreamOptions } from './jetstream-streams';
export { FleetHeaders, parseEventEnvelope, toEventEnvelope } from './event-envelope';
export type { EventEnvelope } from './event-envelope';
export { defaultContextOf, OutboxRelay } from './outbox-relay';
export type { OutboxRelayOptions, OutboxRelayStats } from './outbox-relay';
export { INTERNAL_ERROR_CODE, INVALID_REQUEST_CODE, toCommandError } from './command-protocol';
export type { CommandErrorBody, CommandReply, CommandRequest } from './command-protocol';
export { DurableEventConsumer } from './durable-event.consumer';
export type {
  DurableEventConsumerOptions,
  DurableEventConsumerStats,
  EventConsumerSettings,
} from './durable-event.consumer';
export { JETSTREAM_TRANSPORT, JetStreamServer } from './jetstream.server';
export type {
  EventHandlerExtras,
  JetStreamServerEvents,
  JetStreamServerOptions,
  JetStreamServerStatus,
} from './jetstream.server';
export { JetStreamClientProxy } from './jetstream-client.proxy';
export type { CommandCallOptions, CommandPattern, JetStreamClientProxyOptions } from './jetstream-client.proxy';
export { JetStreamCommandContext, JetStreamEventContext } from './jetstream.context';
export { JetStreamExceptionFilter } from './jetstream-exception.filter';
export {
  CommandTimeoutError,
  MessagingError,
  NatsUnreachableError,
  NoRespondersError,
  RemoteCommandError,
  UnroutableEventError,
} from './messaging.errors';
export { newUser, renderAuthConfig } from './nats-auth';
export type { AuthPlan, NkeyUser } from './nats-auth';
export { sleep } from './async.util';
