import { rolloutInvalidWindow } from '../execution.errors';

/** Daily maintenance window, local to `timeZone` (IANA); `end` before `start` crosses midnight. */
export interface MaintenanceWindow {
  /** `HH:MM` */
  start: string;
  /** `HH:MM` */
  end: string;
  timeZone: string;
}

const MINUTES_PER_DAY = 24 * 60;
const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const formatters = new Map<string, Intl.DateTimeFormat>();

function minutesOf(hhmm: string): number {
  const match = HH_MM.exec(hhmm);
  if (!match) throw rolloutInvalidWindow(`"${hhmm}" is not HH:MM`);
  return Number(match[1]) * 60 + Number(match[2]);
}

function formatter(timeZone: string): Intl.DateTimeFormat {
  let existing = formatters.get(timeZone);
  if (!existing) {
    try {
      existing = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    } catch (error) {
      throw rolloutInvalidWindow(`unknown time zone "${timeZone}"`, error);
    }
    formatters.set(timeZone, existing);
  }
  return existing;
}

/** Minutes since local midnight in `timeZone` at `epochMs`. */
export function localMinuteOfDay(epochMs: number, timeZone: string): number {
  const parts = formatter(timeZone).formatToParts(epochMs);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value);
  const minute = Number(parts.find((p) => p.type === 'minute')?.value);
  return (hour % 24) * 60 + minute;
}

/** Throws `ROLLOUT.INVALID_WINDOW` for a malformed time or an unknown time zone. */
export function validateWindow(window: MaintenanceWindow): void {
  minutesOf(window.start);
  minutesOf(window.end);
  formatter(window.timeZone);
}

/** True when `epochMs` lies in the window (start inclusive, end exclusive); equal start and end: all day. */
export function isInWindow(window: MaintenanceWindow, epochMs: number): boolean {
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  if (start === end) return true;
  const now = localMinuteOfDay(epochMs, window.timeZone);
  return start < end ? now >= start && now < end : now >= start || now < end;
}

/**
 * Epoch ms of the most recent window end at or before `epochMs` (minute precision; a DST shift
 * since then can move it by the shift). Meaningful when `epochMs` is outside the window.
 */
export function lastWindowEnd(window: MaintenanceWindow, epochMs: number): number {
  const end = minutesOf(window.end);
  const nowMinute = localMinuteOfDay(epochMs, window.timeZone);
  const minutesSinceEnd = (nowMinute - end + MINUTES_PER_DAY) % MINUTES_PER_DAY;
  const startOfMinute = epochMs - (epochMs % 60_000);
  return startOfMinute - minutesSinceEnd * 60_000;
}
