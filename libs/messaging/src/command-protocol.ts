import { RpcException } from '@nestjs/microservices';
import { errorMessage } from './async.util';

/** Payload of a command request on `<ns>.cmd.<context>.<Command>`. */
export interface CommandRequest<D = unknown> {
  data: D;
  /** Caller-supplied metadata (correlation id, actor, idempotency key, ...). */
  meta?: Record<string, unknown>;
}

/** Error part of a failed command's reply. */
export interface CommandErrorBody {
  /** Stable code (`TASK.NOT_CANCELLABLE`); `INTERNAL` for errors without one. */
  code: string;
  message: string;
  details?: unknown;
}

/** Payload of a command reply. */
export type CommandReply<D = unknown> = { ok: true; data: D } | { ok: false; error: CommandErrorBody };

/** Code of errors that carry none of their own. */
export const INTERNAL_ERROR_CODE = 'INTERNAL';
/** Code of a request whose payload is not `{ data, meta? }` JSON. */
export const INVALID_REQUEST_CODE = 'INVALID_REQUEST';

/**
 * Maps what a handler threw to the error reply: an error (or `RpcException` payload) with a
 * string `code` keeps it, with its `message` and `details`; anything else becomes `INTERNAL`.
 */
export function toCommandError(err: unknown): CommandErrorBody {
  const source = err instanceof RpcException ? err.getError() : err;
  if (typeof source === 'string') return { code: INTERNAL_ERROR_CODE, message: source };
  if (source !== null && typeof source === 'object') {
    const { code, message, details } = source as { code?: unknown; message?: unknown; details?: unknown };
    const body: CommandErrorBody = {
      code: typeof code === 'string' && code.length > 0 ? code : INTERNAL_ERROR_CODE,
      message: typeof message === 'string' ? message : errorMessage(source),
    };
    if (details !== undefined) body.details = details;
    return body;
  }
  return { code: INTERNAL_ERROR_CODE, message: errorMessage(source) };
}

/** Parses a command request payload; throws when it is not `{ data, meta? }` JSON. */
export function parseCommandRequest(payload: Uint8Array): CommandRequest {
  const json: unknown = JSON.parse(Buffer.from(payload).toString('utf8'));
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error('command request must be a JSON object { data, meta? }');
  }
  const { data, meta } = json as { data?: unknown; meta?: unknown };
  if (meta !== undefined && (meta === null || typeof meta !== 'object' || Array.isArray(meta))) {
    throw new Error('command request meta must be an object');
  }
  return meta === undefined ? { data } : { data, meta: meta as Record<string, unknown> };
}
