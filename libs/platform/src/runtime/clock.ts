import type { Clock } from '@fleetwarden/shared-domain';

/**
 * The process clock for `FLEETWARDEN_CLOCK_SPEED`: the system clock at speed 1; otherwise
 * `origin + (real - origin) * speed`, so that every process sharing `origin`
 * (`FLEETWARDEN_CLOCK_ORIGIN`) and `speed` agrees on the time (demo, fleet simulation, tests).
 */
export function createClock(speed = 1, origin = 0, realNow: () => number = Date.now): Clock {
  if (speed === 1) return { now: () => new Date(realNow()) };
  return { now: () => new Date(origin + (realNow() - origin) * speed) };
}
