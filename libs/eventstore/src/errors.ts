/** Base class of event-store errors; `code` is stable for error mapping. */
export class EventStoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The stream was not at the expected version. */
export class ConcurrencyError extends EventStoreError {
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super('EVENTSTORE.CONCURRENCY', `Stream "${streamId}" is at version ${actualVersion}, expected ${expectedVersion}`);
  }
}

/** A batch mixes already stored events with new ones, or reuses an event id of another stream. */
export class EventIdConflictError extends EventStoreError {
  constructor(
    readonly streamId: string,
    readonly eventIds: string[],
  ) {
    super(
      'EVENTSTORE.EVENT_ID_CONFLICT',
      `Append to "${streamId}" reuses stored event id(s) ${eventIds.join(', ')} in a different batch or stream`,
    );
  }
}

/** Input that cannot be appended (empty stream id, bad event id, bad expected version). */
export class InvalidAppendError extends EventStoreError {
  constructor(message: string) {
    super('EVENTSTORE.INVALID_APPEND', message);
  }
}
