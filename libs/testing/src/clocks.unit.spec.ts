import { ManualClock, ScaledClock } from './clocks';

describe('ManualClock', () => {
  it('starts at a fixed time and stands still', () => {
    const clock = new ManualClock();
    expect(clock.now().toISOString()).toBe(ManualClock.DEFAULT_START);
    expect(clock.now().getTime()).toBe(clock.now().getTime());
  });

  it('moves with set and advance', () => {
    const clock = new ManualClock('2025-06-01T12:00:00.000Z');
    expect(clock.advance(90_000).toISOString()).toBe('2025-06-01T12:01:30.000Z');
    clock.set(new Date('2024-02-29T00:00:00.000Z'));
    expect(clock.now().toISOString()).toBe('2024-02-29T00:00:00.000Z');
    clock.set(0);
    expect(clock.now().getTime()).toBe(0);
  });

  it('hands out copies that cannot move the clock', () => {
    const clock = new ManualClock();
    clock.now().setFullYear(1999);
    expect(clock.now().toISOString()).toBe(ManualClock.DEFAULT_START);
  });

  it('rejects invalid times and durations', () => {
    expect(() => new ManualClock('yesterday')).toThrow(RangeError);
    const clock = new ManualClock();
    expect(() => clock.advance(-1)).toThrow('advance(ms) must be a finite number >= 0, got -1');
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
  });

  it('wakes sleepers in due order once their time is reached', async () => {
    const clock = new ManualClock();
    const woken: string[] = [];
    const long = clock.sleep(5_000).then(() => woken.push('long'));
    const short = clock.sleep(1_000).then(() => woken.push('short'));
    clock.advance(999);
    await Promise.resolve();
    expect(woken).toEqual([]);
    expect(clock.pendingSleeps).toBe(2);
    clock.advance(10_000);
    await Promise.all([long, short]);
    expect(woken).toEqual(['short', 'long']);
    expect(clock.pendingSleeps).toBe(0);
    await clock.sleep(0);
  });
});

describe('ScaledClock', () => {
  it('runs speed times faster than real time from startAt', () => {
    let real = 1_000;
    const clock = new ScaledClock(60, '2025-01-01T00:00:00.000Z', () => real);
    expect(clock.now().toISOString()).toBe('2025-01-01T00:00:00.000Z');
    real += 1_000;
    expect(clock.now().toISOString()).toBe('2025-01-01T00:01:00.000Z');
    real += 500;
    expect(clock.now().toISOString()).toBe('2025-01-01T00:01:30.000Z');
  });

  it('converts simulated to real durations', () => {
    expect(new ScaledClock(1_000).toRealMs(60_000)).toBe(60);
    expect(new ScaledClock(0.5).toRealMs(100)).toBe(200);
  });

  it('defaults to the real time at speed 1', () => {
    const before = Date.now();
    const now = new ScaledClock(1).now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now() + 5);
  });

  it('rejects a speed that is not a positive number', () => {
    for (const speed of [0, -2, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new ScaledClock(speed)).toThrow(RangeError);
    }
  });

  it('sleeps simulated time for a fraction of the real time', async () => {
    jest.useFakeTimers();
    try {
      const clock = new ScaledClock(100);
      let done = false;
      const sleeping = clock.sleep(60_000).then(() => (done = true));
      jest.advanceTimersByTime(599);
      await Promise.resolve();
      expect(done).toBe(false);
      jest.advanceTimersByTime(1);
      await sleeping;
      expect(done).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});
