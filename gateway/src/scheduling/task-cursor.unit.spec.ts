import { targetSummary } from './scheduling.projection';
import { decodeTaskCursor, encodeTaskCursor } from './task-cursor';

describe('task list cursor', () => {
  it('round-trips the keyset of a task', () => {
    const key: [string, string] = ['2026-11-20T08:01:00.000Z', 't-01'];
    expect(decodeTaskCursor(encodeTaskCursor(key))).toEqual(key);
  });

  it.each([
    ['garbage!'],
    [''],
    [Buffer.from('{"v":2,"t":["2026-11-20T08:01:00.000Z","t"]}').toString('base64url')],
    [Buffer.from('{"v":1,"t":["yesterday","t"]}').toString('base64url')],
    [Buffer.from('{"v":1,"t":["2026-11-20T08:01:00.000Z"]}').toString('base64url')],
  ])('refuses %j, naming after', (cursor) => {
    expect(() => decodeTaskCursor(cursor)).toThrow('Invalid argument "after"');
  });
});

describe('target summary', () => {
  it('names the frozen list, then what the caller targeted', () => {
    expect(targetSummary(12, { serverIds: ['a', 'b'], groupIds: ['g'] })).toBe('12 servers (2 servers, 1 group)');
    expect(targetSummary(1, { serverIds: ['a'], groupIds: [] })).toBe('1 server (1 server)');
  });
});
