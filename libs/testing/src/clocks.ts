import type { Clock } from '@fleetwarden/shared-domain';

/** A point in time as a `Date`, an ISO-8601 string or epoch milliseconds. */
export type TimeInput = Date | string | number;

/** A clock that can also wait for an amount of its own time to pass. */
export interface SleepingClock extends Clock {
  /** Resolves once `ms` milliseconds of this clock's time have passed. */
  sleep(ms: number): Promise<void>;
}

function toEpochMs(time: TimeInput, name: string): number {
  const ms = time instanceof Date ? time.getTime() : typeof time === 'number' ? time : Date.parse(time);
  if (!Number.isFinite(ms)) throw new RangeError(`${name} is not a valid time: ${String(time)}`);
  return ms;
}

function checkDuration(ms: number, name: string): void {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${ms}`);
}

/** A clock that moves only when told to: `set` jumps to a time, `advance` moves forward. */
export class ManualClock implements SleepingClock {
  /** Where a `ManualClock` starts unless told otherwise. */
  static readonly DEFAULT_START = '2025-01-01T00:00:00.000Z';

  private current: number;
  private sleepers: Array<{ at: number; wake: () => void }> = [];

  constructor(start: TimeInput = ManualClock.DEFAULT_START) {
    this.current = toEpochMs(start, 'start');
  }

  now(): Date {
    return new Date(this.current);
  }

  /** Jumps to `time` (also backwards) and wakes the sleepers that are due. */
  set(time: TimeInput): void {
    this.current = toEpochMs(time, 'time');
    this.wakeDue();
  }

  /** Moves forward by `ms`, wakes the sleepers that are due and returns the new time. */
  advance(ms: number): Date {
    checkDuration(ms, 'advance(ms)');
    this.current += ms;
    this.wakeDue();
    return this.now();
  }

  /** Resolves when `set` or `advance` reaches `now() + ms`; at once when `ms` is 0. */
  sleep(ms: number): Promise<void> {
    checkDuration(ms, 'sleep(ms)');
    if (ms === 0) return Promise.resolve();
    return new Promise((wake) => {
      this.sleepers.push({ at: this.current + ms, wake });
    });
  }

  /** Number of `sleep` calls still waiting. */
  get pendingSleeps(): number {
    return this.sleepers.length;
  }

  private wakeDue(): void {
    const due = this.sleepers.filter((s) => s.at <= this.current).sort((a, b) => a.at - b.at);
    this.sleepers = this.sleepers.filter((s) => s.at > this.current);
    for (const sleeper of due) sleeper.wake();
  }
}

/**
 * A clock that runs `speed` times faster than real time from `startAt`: at speed 60 a real
 * second is a simulated minute. Used by the fleet simulator (`--speed`, `FLEETWARDEN_CLOCK_SPEED`).
 */
export class ScaledClock implements SleepingClock {
  private readonly startAtMs: number;
  private readonly realStart: number;

  /**
   * @param speed simulated milliseconds per real millisecond, > 0
   * @param startAt the simulated time at construction (default: the real time)
   * @param realTime monotonic real milliseconds (default `performance.now`)
   */
  constructor(
    readonly speed: number,
    startAt: TimeInput = Date.now(),
    private readonly realTime: () => number = () => performance.now(),
  ) {
    if (!Number.isFinite(speed) || speed <= 0) {
      throw new RangeError(`speed must be a finite number > 0, got ${speed}`);
    }
    this.startAtMs = toEpochMs(startAt, 'startAt');
    this.realStart = realTime();
  }

  now(): Date {
    return new Date(this.startAtMs + (this.realTime() - this.realStart) * this.speed);
  }

  /** Real milliseconds during which this clock advances `ms`. */
  toRealMs(ms: number): number {
    return ms / this.speed;
  }

  /** Resolves after `ms` of simulated time, i.e. `ms / speed` real milliseconds. */
  sleep(ms: number): Promise<void> {
    checkDuration(ms, 'sleep(ms)');
    return new Promise((resolve) => setTimeout(resolve, this.toRealMs(ms)));
  }
}
