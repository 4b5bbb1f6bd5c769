import { createClock } from './clock';

describe('createClock', () => {
  it('follows the real time at speed 1', () => {
    let real = 1_000;
    const clock = createClock(1, () => real);
    real = 5_000;
    expect(clock.now().getTime()).toBe(5_000);
  });

  it('runs faster from the real start time at a higher speed', () => {
    let real = 1_000;
    const clock = createClock(60, () => real);
    expect(clock.now().getTime()).toBe(1_000);
    real = 2_000;
    expect(clock.now().getTime()).toBe(1_000 + 60_000);
  });
});
