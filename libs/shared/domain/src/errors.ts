/** Extra context of a {@link DomainError}. */
export interface DomainErrorOptions {
  /** The error that led to this one. */
  cause?: unknown;
  /** Machine-readable facts about the failure, safe to show to the caller. */
  details?: Readonly<Record<string, unknown>>;
}

/**
 * Base of the errors domain code throws. `code` is stable (`TASK.NOT_CANCELLABLE`): transports
 * map it to user-facing errors and callers branch on it, never on the message.
 */
export class DomainError extends Error {
  override name = 'DomainError';
  readonly code: string;
  readonly details?: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.details !== undefined) this.details = options.details;
  }
}

/** A command breaks a business rule in the current state (`TASK.NOT_CANCELLABLE`). */
export class InvariantViolationError extends DomainError {
  override name = 'InvariantViolationError';
}

/** The command names something that does not exist (`SERVER.NOT_FOUND`). */
export class NotFoundError extends DomainError {
  override name = 'NotFoundError';
}

/** The command would create something that already exists or clashes with it (`SERVER.ALREADY_REGISTERED`). */
export class ConflictError extends DomainError {
  override name = 'ConflictError';
}

/** The actor may not do this to this target, e.g. another reseller's server (`SERVER.FORBIDDEN`). */
export class ForbiddenError extends DomainError {
  override name = 'ForbiddenError';
}

/** True for any {@link DomainError}, optionally with the given code. */
export function isDomainError(error: unknown, code?: string): error is DomainError {
  return error instanceof DomainError && (code === undefined || error.code === code);
}
