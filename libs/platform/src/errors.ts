/**
 * A failure that stops start-up. Its message is one line a person can act on (it names the
 * variable and what is wrong) and never contains a secret; `main` prints it on stderr alone.
 */
export class StartupError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An environment variable has an invalid value. */
export class ConfigError extends StartupError {
  constructor(readonly problems: readonly string[]) {
    super('CONFIG.INVALID', `Invalid configuration: ${problems.join('; ')}`);
  }
}

/** A dependency named by the configuration (NATS, the database) cannot be reached or opened. */
export class DependencyError extends StartupError {}

/** First line of an error's message, without a trailing period; `String(err)` for non-errors. */
export function reasonOf(err: unknown): string {
  const raw =
    err instanceof AggregateError && err.errors.length > 0
      ? reasonOf(err.errors[0])
      : err instanceof Error
        ? err.message || (err as { code?: string }).code || err.name
        : String(err);
  return raw.split('\n')[0].trim().replace(/\.$/, '');
}
