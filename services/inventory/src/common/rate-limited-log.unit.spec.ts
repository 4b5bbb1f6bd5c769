import { RateLimitedLog } from './rate-limited-log';

describe('RateLimitedLog', () => {
  it('logs a key once per period and then says how many it suppressed', () => {
    let now = 0;
    const lines: string[] = [];
    const log = new RateLimitedLog({ warn: (m: string) => lines.push(m) }, 1000, () => now);
    log.warn('bad-json', 'first');
    log.warn('bad-json', 'second');
    log.warn('bad-json', 'third');
    log.warn('unknown-kind', 'other key');
    now = 1000;
    log.warn('bad-json', 'fourth');
    expect(lines).toEqual(['first', 'other key', 'fourth (2 more like it suppressed)']);
  });
});
