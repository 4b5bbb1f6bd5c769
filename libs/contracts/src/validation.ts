import type { z } from 'zod';

/** One failing field of a {@link ValidationError}. */
export interface ValidationIssue {
  /** Field path, `metadata.correlationId` or `items[2].id`; `(root)` for the value itself. */
  path: string;
  message: string;
  /** Zod's issue code (`invalid_type`, `invalid_format`, `too_small`, ...). */
  code: string;
}

/**
 * A message does not match its contract. `code` is always `VALIDATION`; the message names every
 * failing field path, `details.issues` lists them one by one.
 */
export class ValidationError extends Error {
  override name = 'ValidationError';
  readonly code = 'VALIDATION';
  readonly issues: readonly ValidationIssue[];
  readonly details: { what: string; issues: readonly ValidationIssue[] };

  constructor(what: string, issues: readonly ValidationIssue[], options?: { cause?: unknown }) {
    super(`Invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, options);
    this.issues = issues;
    this.details = { what, issues };
  }

  /** Converts a zod error; `what` names the value (`command request`, `ServerRegistered v1 data`). */
  static fromZod(what: string, error: z.ZodError): ValidationError {
    const issues = error.issues.map((issue) => ({
      path: formatPath(issue.path),
      message: issue.message,
      code: issue.code,
    }));
    return new ValidationError(what, issues, { cause: error });
  }
}

/** `['items', 2, 'id']` -> `items[2].id`; an empty path -> `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}

/** Parses `value` with `schema`; throws a {@link ValidationError} naming `what` and each failing field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw ValidationError.fromZod(what, result.error);
}
