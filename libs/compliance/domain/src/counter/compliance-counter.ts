import { futureInstall, invalidTime, invalidTimeZone } from '../compliance.errors';
import { ALERT_AFTER_DAYS, BREACH_AFTER_DAYS, DAY_MS, type ComplianceState } from '../compliance.types';

/**
 * A server's patch compliance at one instant. Days are whole calendar days in the operator's
 * time zone: the install day is day 0 (`dayCounter` 1), the next local day day 1, and so on.
 * Null counters and times: no install is known, which counts as breached (no server may go
 * {@link BREACH_AFTER_DAYS} days without updates).
 */
export interface ComplianceStatus {
  /** Local calendar days since the last install: 0 on the install day; null when never installed. */
  daysSinceLastUpdate: number | null;
  /** `daysSinceLastUpdate + 1`: 1 on the install day; null when never installed. */
  dayCounter: number | null;
  state: ComplianceState;
  /** The local midnight starting day 60 (the alert), as an ISO instant; null when never installed. */
  reaches60At: string | null;
  /** The local midnight starting day 120 (the breach), as an ISO instant; null when never installed. */
  reaches120At: string | null;
}

/**
 * Compliance of a server last patched at `lastInstalledAt` (null: never), seen at `now`, with day
 * boundaries in `timeZone` (IANA). DST-safe: a day is a local calendar day, 23 or 25 hours long
 * on a DST change. Throws `COMPLIANCE.FUTURE_INSTALL` when the install lies after `now`,
 * `COMPLIANCE.INVALID_TIME` / `COMPLIANCE.INVALID_TIME_ZONE` for bad input.
 */
export function complianceOf(lastInstalledAt: string | null, now: string, timeZone: string): ComplianceStatus {
  const nowMs = parseInstant('now', now);
  assertTimeZone(timeZone);
  if (lastInstalledAt === null) {
    return { daysSinceLastUpdate: null, dayCounter: null, state: 'breached', reaches60At: null, reaches120At: null };
  }
  const installedMs = parseInstant('lastInstalledAt', lastInstalledAt);
  if (installedMs > nowMs) throw futureInstall(lastInstalledAt, now);
  const installDay = localDayNumber(installedMs, timeZone);
  const days = localDayNumber(nowMs, timeZone) - installDay;
  return {
    daysSinceLastUpdate: days,
    dayCounter: days + 1,
    state: complianceStateOf(days),
    reaches60At: startOfLocalDayIso(installDay + ALERT_AFTER_DAYS, timeZone),
    reaches120At: startOfLocalDayIso(installDay + BREACH_AFTER_DAYS, timeZone),
  };
}

/** The state for a number of days without updates; null (never installed) is breached. */
export function complianceStateOf(daysSinceLastUpdate: number | null): ComplianceState {
  if (daysSinceLastUpdate === null || daysSinceLastUpdate >= BREACH_AFTER_DAYS) return 'breached';
  return daysSinceLastUpdate >= ALERT_AFTER_DAYS ? 'alerted' : 'ok';
}

/** Epoch ms of an ISO-8601 instant; `COMPLIANCE.INVALID_TIME` naming `field` otherwise. */
export function parseInstant(field: string, value: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw invalidTime(field, String(value));
  return ms;
}

/** Throws `COMPLIANCE.INVALID_TIME_ZONE` unless `timeZone` is an IANA time zone the runtime knows. */
export function assertTimeZone(timeZone: string): void {
  formatter(timeZone);
}

/**
 * The local calendar date at `epochMs` in `timeZone`, as days since 1970-01-01. Fast after the
 * first call for a day: it compares with the cached first instants of the local days.
 */
export function localDayNumber(epochMs: number, timeZone: string): number {
  const days = daysOf(timeZone);
  let day = Math.floor(epochMs / DAY_MS);
  while (epochMs < startOf(day, timeZone, days)) day -= 1;
  while (epochMs >= startOf(day + 1, timeZone, days)) day += 1;
  return day;
}

/** The local calendar date at `epochMs` in `timeZone`, `YYYY-MM-DD`. */
export function localDate(epochMs: number, timeZone: string): string {
  return new Date(localDayNumber(epochMs, timeZone) * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Epoch ms of the first instant of local day `dayNumber` (days since 1970-01-01) in `timeZone`:
 * local midnight, or the first local time after it where a DST change skips midnight.
 */
export function startOfLocalDay(dayNumber: number, timeZone: string): number {
  return startOf(dayNumber, timeZone, daysOf(timeZone));
}

/** {@link startOfLocalDay} as an ISO instant. */
export function startOfLocalDayIso(dayNumber: number, timeZone: string): string {
  const days = daysOf(timeZone);
  startOf(dayNumber, timeZone, days);
  return (days.get(dayNumber) as DayStart).iso;
}

interface DayStart {
  ms: number;
  iso: string;
}

/** Per time zone: local day number -> its first instant. Days in use are few (a few hundred). */
const startsOfDays = new Map<string, Map<number, DayStart>>();
const MAX_CACHED_DAYS = 100_000;

function daysOf(timeZone: string): Map<number, DayStart> {
  let days = startsOfDays.get(timeZone);
  if (days === undefined) {
    formatter(timeZone);
    days = new Map();
    startsOfDays.set(timeZone, days);
  }
  return days;
}

function startOf(dayNumber: number, timeZone: string, days: Map<number, DayStart>): number {
  const cached = days.get(dayNumber);
  if (cached !== undefined) return cached.ms;
  const utcMidnight = dayNumber * DAY_MS;
  let start = utcMidnight - offsetAt(utcMidnight, timeZone);
  start = utcMidnight - offsetAt(start, timeZone);
  if (!isStartOfDay(start, dayNumber, timeZone)) start = searchStartOfDay(dayNumber, timeZone);
  if (days.size >= MAX_CACHED_DAYS) days.clear();
  days.set(dayNumber, { ms: start, iso: new Date(start).toISOString() });
  return start;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let existing = formatters.get(timeZone);
  if (!existing) {
    if (typeof timeZone !== 'string' || timeZone === '') throw invalidTimeZone(String(timeZone));
    try {
      existing = new Intl.DateTimeFormat('en-US', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      });
    } catch (error) {
      throw invalidTimeZone(timeZone, error);
    }
    formatters.set(timeZone, existing);
  }
  return existing;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function localParts(epochMs: number, timeZone: string): LocalParts {
  const parts: LocalParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatter(timeZone).formatToParts(epochMs)) {
    if (part.type in parts) parts[part.type as keyof LocalParts] = Number(part.value);
  }
  parts.hour %= 24;
  return parts;
}

/** Local time minus UTC at `epochMs`, in ms. */
function offsetAt(epochMs: number, timeZone: string): number {
  const p = localParts(epochMs, timeZone);
  const wholeSecond = Math.floor(epochMs / 1000) * 1000;
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - wholeSecond;
}

/** The local date by formatting: slow, the truth the cache is built from. */
function formattedDayNumber(epochMs: number, timeZone: string): number {
  const p = localParts(epochMs, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day) / DAY_MS;
}

function isStartOfDay(epochMs: number, dayNumber: number, timeZone: string): boolean {
  return formattedDayNumber(epochMs, timeZone) === dayNumber && formattedDayNumber(epochMs - 1, timeZone) < dayNumber;
}

/** Bisection for the first instant of the day; local dates only ever move forward. */
function searchStartOfDay(dayNumber: number, timeZone: string): number {
  let before = dayNumber * DAY_MS - 2 * DAY_MS;
  let atOrAfter = dayNumber * DAY_MS + 2 * DAY_MS;
  while (atOrAfter - before > 1) {
    const middle = Math.floor((before + atOrAfter) / 2);
    if (formattedDayNumber(middle, timeZone) >= dayNumber) atOrAfter = middle;
    else before = middle;
  }
  return atOrAfter;
}
