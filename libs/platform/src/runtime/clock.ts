import type { Clock } from '@fleetwarden/shared-domain';

/**
 * The process clock for `FLEETWARDEN_CLOCK_SPEED`: the system clock at speed 1; otherwise a
 * clock that starts at the real time and runs `speed` times as fast (demo, fleet simulation).
 */
export function createClock(speed = 1, realNow: () => number = Date.now): Clock {
  if (speed === 1) return { now: () => new Date(realNow()) };
  const origin = realNow();
  return { now: () => new Date(origin + (realNow() - origin) * speed) };
}
