/** Orders of the server list; each ends with the server id, so that the order is total. */
export enum ServerOrder {
  ID_ASC = 'ID_ASC',
  COMPANY_ASC = 'COMPANY_ASC',
  LAST_SEEN_DESC = 'LAST_SEEN_DESC',
  SERVER_VERSION_DESC = 'SERVER_VERSION_DESC',
}

/**
 * The sort key of a row in one order: `[id]` for ID_ASC; `[companyName, id]`; `[lastSeen, id]`
 * (the database's own text of the timestamp, `-infinity` for never seen); `[serverVersion, id]`.
 */
export type CursorKey = string[];

/** A cursor that is not one this gateway issued for the requested order. */
export class CursorError extends Error {
  override name = 'CursorError';
}

const MAX_CURSOR_LENGTH = 2048;
const KEY_LENGTH: Record<ServerOrder, number> = {
  [ServerOrder.ID_ASC]: 1,
  [ServerOrder.COMPANY_ASC]: 2,
  [ServerOrder.LAST_SEEN_DESC]: 2,
  [ServerOrder.SERVER_VERSION_DESC]: 2,
};
const VERSION = /^\d+(\.\d+){0,9}$/;
const TIMESTAMP = /^(-infinity|\d{4}-\d{2}-\d{2}[ T][0-9:.]+([+-]\d{2}(:?\d{2})?|Z)?)$/;

/** Opaque cursor: base64url of `{"v":1,"o":<order>,"k":<key>}`. */
export function encodeCursor(order: ServerOrder, key: CursorKey): string {
  return Buffer.from(JSON.stringify({ v: 1, o: order, k: key })).toString('base64url');
}

/** The key inside a cursor; throws {@link CursorError} for garbage or a cursor of another order. */
export function decodeCursor(order: ServerOrder, cursor: string): CursorKey {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+={0,2}$/.test(cursor)) {
    throw new CursorError('not a cursor returned by this API');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new CursorError('not a cursor returned by this API');
  }
  const { v, o, k } = (parsed ?? {}) as { v?: unknown; o?: unknown; k?: unknown };
  if (v !== 1 || typeof o !== 'string' || !Array.isArray(k)) throw new CursorError('not a cursor returned by this API');
  if (o !== order) throw new CursorError(`the cursor belongs to orderBy ${o}, not ${order}`);
  if (k.length !== KEY_LENGTH[order] || !k.every((part) => typeof part === 'string' && part.length <= 1000)) {
    throw new CursorError('not a cursor returned by this API');
  }
  const key = k as string[];
  if (order === ServerOrder.LAST_SEEN_DESC && !TIMESTAMP.test(key[0])) {
    throw new CursorError('not a cursor returned by this API');
  }
  if (order === ServerOrder.SERVER_VERSION_DESC && !VERSION.test(key[0])) {
    throw new CursorError('not a cursor returned by this API');
  }
  return key;
}
