/** Base of the errors this library throws: a stable `code`, the original error as `cause`. */
export class MessagingError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** No NATS server answered at the configured address. */
export class NatsUnreachableError extends MessagingError {
  constructor(
    readonly url: string,
    cause?: unknown,
  ) {
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    super(
      'NATS.UNREACHABLE',
      `NATS is unreachable at ${url} (set NATS_URL to a reachable NATS server with JetStream)${reason}`,
      { cause },
    );
  }
}

/** A command request got no reply within its timeout. */
export class CommandTimeoutError extends MessagingError {
  constructor(
    readonly subject: string,
    readonly timeoutMs: number,
    cause?: unknown,
  ) {
    super('COMMAND.TIMEOUT', `command ${subject} got no reply within ${timeoutMs} ms`, { cause });
  }
}

/** No service instance is subscribed to a command's subject. */
export class NoRespondersError extends MessagingError {
  constructor(
    readonly subject: string,
    cause?: unknown,
  ) {
    super('COMMAND.NO_RESPONDERS', `no service is listening for command ${subject}`, { cause });
  }
}

/** The service handling a command replied with an error; `code` is the remote error's code. */
export class RemoteCommandError extends MessagingError {
  constructor(
    code: string,
    message: string,
    readonly subject: string,
    readonly details?: unknown,
  ) {
    super(code, message);
  }
}

/** The outbox relay cannot map an event to a `<context>` subject token. */
export class UnroutableEventError extends MessagingError {
  constructor(
    readonly eventId: string,
    message: string,
    cause?: unknown,
  ) {
    super('OUTBOX.UNROUTABLE_EVENT', message, { cause });
  }
}
