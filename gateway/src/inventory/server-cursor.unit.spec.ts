import { CursorError, ServerOrder, decodeCursor, encodeCursor } from './server-cursor';

describe('server list cursors', () => {
  it.each([
    [ServerOrder.ID_ASC, ['srv-001']],
    [ServerOrder.COMPANY_ASC, ['Ünïcode & Co "quoted"', 'srv-2']],
    [ServerOrder.LAST_SEEN_DESC, ['2026-11-20 08:00:00.123456+00', 'srv-3']],
    [ServerOrder.LAST_SEEN_DESC, ['-infinity', 'srv-4']],
    [ServerOrder.SERVER_VERSION_DESC, ['10.0.0.1', 'srv-5']],
  ])('round-trips a %s key', (order, key) => {
    const cursor = encodeCursor(order, key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(order, cursor)).toEqual(key);
  });

  it('refuses a cursor of another order, naming it', () => {
    const cursor = encodeCursor(ServerOrder.ID_ASC, ['srv-1']);
    expect(() => decodeCursor(ServerOrder.COMPANY_ASC, cursor)).toThrow('the cursor belongs to orderBy ID_ASC');
  });

  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  it.each([
    ['empty', ''],
    ['not base64', 'a cursor!'],
    ['not JSON', Buffer.from('{oops').toString('base64url')],
    ['JSON null', b64(null)],
    ['another version', b64({ v: 2, o: 'ID_ASC', k: ['a'] })],
    ['a key of the wrong length', b64({ v: 1, o: 'ID_ASC', k: ['a', 'b'] })],
    ['a key that is not text', b64({ v: 1, o: 'ID_ASC', k: [1] })],
    ['a version key that is not a version', b64({ v: 1, o: 'SERVER_VERSION_DESC', k: ['x; DROP TABLE', 'a'] })],
    ['a time key that is not a time', b64({ v: 1, o: 'LAST_SEEN_DESC', k: ['yesterday', 'a'] })],
    ['a huge cursor', 'A'.repeat(5000)],
  ])('refuses %s', (_, cursor) => {
    expect(() => decodeCursor(orderOf(cursor), cursor)).toThrow(CursorError);
  });
});

/** The order a test cursor claims (so that only its content is at fault), ID_ASC otherwise. */
function orderOf(cursor: string): ServerOrder {
  try {
    const o = (JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { o?: ServerOrder }).o;
    return o && Object.values(ServerOrder).includes(o) ? o : ServerOrder.ID_ASC;
  } catch {
    return ServerOrder.ID_ASC;
  }
}
