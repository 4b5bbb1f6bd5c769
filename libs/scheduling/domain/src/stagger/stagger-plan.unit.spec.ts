import { staggerPlan } from './stagger-plan';

const servers = [{ serverId: 's1' }, { serverId: 's2' }, { serverId: 's3' }];

describe('staggerPlan', () => {
  it('starts server k k x stagger after the first, in order', () => {
    expect(
      staggerPlan(servers, { startAt: '2026-11-28T22:00:00.000Z', staggerSeconds: 180, maxConcurrency: null }),
    ).toEqual([
      { serverId: 's1', index: 0, offsetSeconds: 0, earliestStartAt: '2026-11-28T22:00:00.000Z' },
      { serverId: 's2', index: 1, offsetSeconds: 180, earliestStartAt: '2026-11-28T22:03:00.000Z' },
      { serverId: 's3', index: 2, offsetSeconds: 360, earliestStartAt: '2026-11-28T22:06:00.000Z' },
    ]);
  });

  it('starts every server at once with no stagger', () => {
    const plan = staggerPlan(servers, {
      startAt: '2026-11-28T22:00:00+01:00',
      staggerSeconds: 0,
      maxConcurrency: null,
    });
    expect(plan.map((p) => p.earliestStartAt)).toEqual([
      '2026-11-28T21:00:00.000Z',
      '2026-11-28T21:00:00.000Z',
      '2026-11-28T21:00:00.000Z',
    ]);
  });

  it('keeps the offsets as earliest starts under a concurrency limit (durations are unknown)', () => {
    const plan = staggerPlan(servers, { startAt: '2026-11-28T22:00:00Z', staggerSeconds: 60, maxConcurrency: 1 });
    expect(plan.map((p) => p.offsetSeconds)).toEqual([0, 60, 120]);
  });

  it('plans 10,000 servers', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ serverId: `s${i}` }));
    const plan = staggerPlan(many, { startAt: '2026-11-28T00:00:00Z', staggerSeconds: 180, maxConcurrency: 50 });
    expect(plan[9_999]).toMatchObject({ index: 9_999, offsetSeconds: 9_999 * 180 });
  });

  it('plans nothing for no servers', () => {
    expect(staggerPlan([], { startAt: '2026-11-28T00:00:00Z', staggerSeconds: 180, maxConcurrency: null })).toEqual([]);
  });

  it('refuses a negative stagger, a bad start or a bad concurrency limit', () => {
    const opts = { startAt: '2026-11-28T00:00:00Z', staggerSeconds: 180, maxConcurrency: null };
    expect(() => staggerPlan(servers, { ...opts, staggerSeconds: -1 })).toThrow(RangeError);
    expect(() => staggerPlan(servers, { ...opts, startAt: 'tomorrow' })).toThrow(RangeError);
    expect(() => staggerPlan(servers, { ...opts, maxConcurrency: 0 })).toThrow(RangeError);
  });
});
