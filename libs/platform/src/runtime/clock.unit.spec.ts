import { createClock } from './clock';

describe('createClock', () => {
  it('follows the real time at speed 1', () => {
    let real = 1_000;
    const clock = createClock(1, 0, () => real);
    real = 5_000;
    expect(clock.now().getTime()).toBe(5_000);
  });

  it('runs faster from the shared origin at a higher speed', () => {
    let real = 1_000;
    const clock = createClock(60, 0, () => real);
    expect(clock.now().getTime()).toBe(60_000);
    real = 2_000;
    expect(clock.now().getTime()).toBe(120_000);
  });

  it('gives two processes created at different times the same time', () => {
    let real = 10_000;
    const first = createClock(100, 5_000, () => real);
    real = 12_000;
    const second = createClock(100, 5_000, () => real);
    expect(first.now().getTime()).toBe(second.now().getTime());
    expect(first.now().getTime()).toBe(5_000 + 7_000 * 100);
  });
});
