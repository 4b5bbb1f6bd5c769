import { badUserInput } from '../graphql/graphql-errors';

/** Keyset of the task list (newest first): `[postedAt ISO, id]`. */
export type TaskCursorKey = [string, string];

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/** Opaque cursor: base64url of `{"v":1,"t":[postedAt, id]}`. */
export function encodeTaskCursor(key: TaskCursorKey): string {
  return Buffer.from(JSON.stringify({ v: 1, t: key })).toString('base64url');
}

/** The key inside a cursor; BAD_USER_INPUT (argument `after`) for anything this API did not issue. */
export function decodeTaskCursor(cursor: string): TaskCursorKey {
  const bad = () => badUserInput('after', 'not a cursor returned by this API');
  if (cursor.length === 0 || cursor.length > 512 || !/^[A-Za-z0-9_-]+={0,2}$/.test(cursor)) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const { v, t } = (parsed ?? {}) as { v?: unknown; t?: unknown };
  if (v !== 1 || !Array.isArray(t) || t.length !== 2) throw bad();
  const [at, id] = t as unknown[];
  if (typeof at !== 'string' || !ISO.test(at) || typeof id !== 'string' || id.length > 64) throw bad();
  return [at, id];
}
