import { isDomainError } from '@fleetwarden/shared-domain';
import { ComplianceErrorCode } from '../compliance.errors';
import { complianceOf, complianceStateOf, localDate, localDayNumber, startOfLocalDay } from './compliance-counter';

const VIENNA = 'Europe/Vienna';
const ms = (iso: string): number => Date.parse(iso);
const before = (iso: string): string => new Date(ms(iso) - 1).toISOString();
const throwsCode = (code: string, run: () => unknown): void => {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(isDomainError(thrown, code)).toBe(true);
};

describe('complianceOf', () => {
  describe('on the install day', () => {
    const installedAt = '2026-02-01T09:00:00.000Z'; // 10:00 in Vienna

    it('counts day 0, day counter 1, ok, until local midnight', () => {
      expect(complianceOf(installedAt, installedAt, VIENNA)).toEqual({
        daysSinceLastUpdate: 0,
        dayCounter: 1,
        state: 'ok',
        reaches60At: '2026-04-01T22:00:00.000Z',
        reaches120At: '2026-05-31T22:00:00.000Z',
      });
      expect(complianceOf(installedAt, '2026-02-01T22:59:59.999Z', VIENNA)).toMatchObject({
        daysSinceLastUpdate: 0,
        dayCounter: 1,
      });
      expect(complianceOf(installedAt, '2026-02-01T23:00:00.000Z', VIENNA)).toMatchObject({
        daysSinceLastUpdate: 1,
        dayCounter: 2,
      });
    });

    it("takes the install day in the operator's time zone, not in UTC", () => {
      const afterLocalMidnight = '2026-01-31T23:30:00.000Z'; // 1 February, 00:30 in Vienna
      expect(complianceOf(afterLocalMidnight, '2026-02-01T22:00:00.000Z', VIENNA).daysSinceLastUpdate).toBe(0);
      expect(complianceOf(afterLocalMidnight, '2026-02-01T22:00:00.000Z', 'UTC').daysSinceLastUpdate).toBe(1);
      expect(complianceOf(afterLocalMidnight, '2026-02-01T22:00:00.000Z', 'America/New_York').daysSinceLastUpdate).toBe(
        1,
      );
    });
  });

  describe('crossing 60 days across the change to summer time (29 March 2026 in Vienna)', () => {
    const installedAt = '2026-02-01T09:00:00.000Z';
    // Day 60 is 2 April, which starts at 00:00 CEST = 22:00 UTC the day before.
    const day60 = '2026-04-01T22:00:00.000Z';

    it('is day 59 and ok until the last millisecond before local midnight', () => {
      expect(complianceOf(installedAt, before(day60), VIENNA)).toMatchObject({
        daysSinceLastUpdate: 59,
        dayCounter: 60,
        state: 'ok',
      });
    });

    it('turns alerted at local midnight exactly, not at UTC midnight nor 60 × 24 h after the install', () => {
      expect(complianceOf(installedAt, day60, VIENNA)).toMatchObject({
        daysSinceLastUpdate: 60,
        dayCounter: 61,
        state: 'alerted',
        reaches60At: day60,
      });
      // 60 × 24 h after the install is 11:00 local on 2 April: long alerted by then.
      expect(ms(installedAt) + 60 * 86_400_000).toBeGreaterThan(ms(day60));
      // UTC midnight of 2 April is 02:00 local: already day 60 for two hours.
      expect(complianceOf(installedAt, '2026-04-01T23:59:59.000Z', VIENNA).daysSinceLastUpdate).toBe(60);
    });

    it('counts the 23-hour day of the change as one day', () => {
      expect(complianceOf(installedAt, '2026-03-28T22:59:59.999Z', VIENNA).daysSinceLastUpdate).toBe(55);
      expect(complianceOf(installedAt, '2026-03-28T23:00:00.000Z', VIENNA).daysSinceLastUpdate).toBe(56);
      expect(complianceOf(installedAt, '2026-03-29T21:59:59.999Z', VIENNA).daysSinceLastUpdate).toBe(56);
      expect(complianceOf(installedAt, '2026-03-29T22:00:00.000Z', VIENNA).daysSinceLastUpdate).toBe(57);
    });
  });

  describe('crossing 60 days across the change back to winter time (25 October 2026 in Vienna)', () => {
    const installedAt = '2026-08-28T10:00:00.000Z';
    const day60 = '2026-10-26T23:00:00.000Z'; // 27 October, 00:00 CET

    it('turns alerted at local midnight in winter time', () => {
      expect(complianceOf(installedAt, before(day60), VIENNA)).toMatchObject({ daysSinceLastUpdate: 59, state: 'ok' });
      expect(complianceOf(installedAt, day60, VIENNA)).toMatchObject({
        daysSinceLastUpdate: 60,
        state: 'alerted',
        reaches60At: day60,
      });
    });

    it('counts the 25-hour day of the change as one day', () => {
      expect(complianceOf(installedAt, '2026-10-24T22:00:00.000Z', VIENNA).daysSinceLastUpdate).toBe(58);
      expect(complianceOf(installedAt, '2026-10-25T22:59:59.999Z', VIENNA).daysSinceLastUpdate).toBe(58);
      expect(complianceOf(installedAt, '2026-10-25T23:00:00.000Z', VIENNA).daysSinceLastUpdate).toBe(59);
    });
  });

  describe('at 120 days', () => {
    const installedAt = '2026-02-01T09:00:00.000Z';
    const day120 = '2026-05-31T22:00:00.000Z'; // 1 June, 00:00 CEST

    it('is alerted on day 119 and breached from day 120', () => {
      expect(complianceOf(installedAt, before(day120), VIENNA)).toMatchObject({
        daysSinceLastUpdate: 119,
        dayCounter: 120,
        state: 'alerted',
      });
      expect(complianceOf(installedAt, day120, VIENNA)).toMatchObject({
        daysSinceLastUpdate: 120,
        dayCounter: 121,
        state: 'breached',
        reaches120At: day120,
      });
      expect(complianceOf(installedAt, '2027-02-01T09:00:00.000Z', VIENNA)).toMatchObject({
        daysSinceLastUpdate: 365,
        state: 'breached',
      });
    });
  });

  it('starts a day at the first local instant where summer time skips midnight (Santiago, 6 September 2026)', () => {
    const installedAt = '2026-07-08T15:00:00.000Z'; // 11:00 in Santiago; day 60 is 6 September
    const day60 = '2026-09-06T04:00:00.000Z'; // 01:00 local: 00:00 does not exist that day
    expect(complianceOf(installedAt, day60, 'America/Santiago')).toMatchObject({
      daysSinceLastUpdate: 60,
      reaches60At: day60,
    });
    expect(complianceOf(installedAt, before(day60), 'America/Santiago').daysSinceLastUpdate).toBe(59);
  });

  it('treats a server never installed as breached, with no counter', () => {
    expect(complianceOf(null, '2026-02-01T09:00:00.000Z', VIENNA)).toEqual({
      daysSinceLastUpdate: null,
      dayCounter: null,
      state: 'breached',
      reaches60At: null,
      reaches120At: null,
    });
  });

  it('refuses an install after now', () => {
    throwsCode(ComplianceErrorCode.FutureInstall, () =>
      complianceOf('2026-02-01T09:00:00.001Z', '2026-02-01T09:00:00.000Z', VIENNA),
    );
  });

  it('refuses a time that is no date-time and an unknown time zone', () => {
    throwsCode(ComplianceErrorCode.InvalidTime, () => complianceOf('yesterday', '2026-02-01T09:00:00.000Z', VIENNA));
    throwsCode(ComplianceErrorCode.InvalidTime, () => complianceOf(null, 'now', VIENNA));
    throwsCode(ComplianceErrorCode.InvalidTimeZone, () =>
      complianceOf(null, '2026-02-01T09:00:00.000Z', 'Europe/Atlantis'),
    );
    throwsCode(ComplianceErrorCode.InvalidTimeZone, () => complianceOf(null, '2026-02-01T09:00:00.000Z', ''));
  });
});

describe('complianceStateOf', () => {
  it('is ok below 60, alerted from 60, breached from 120 and when never installed', () => {
    expect([0, 59, 60, 119, 120, 500, null].map(complianceStateOf)).toEqual([
      'ok',
      'ok',
      'alerted',
      'alerted',
      'breached',
      'breached',
      'breached',
    ]);
  });
});

describe('local days', () => {
  it('gives the local date and the first instant of a local day', () => {
    const instant = ms('2026-03-29T22:30:00.000Z');
    expect(localDate(instant, VIENNA)).toBe('2026-03-30');
    expect(localDate(instant, 'UTC')).toBe('2026-03-29');
    const day = localDayNumber(instant, VIENNA);
    expect(new Date(startOfLocalDay(day, VIENNA)).toISOString()).toBe('2026-03-29T22:00:00.000Z');
    expect(new Date(startOfLocalDay(day - 1, VIENNA)).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(new Date(startOfLocalDay(day, 'Asia/Kolkata')).toISOString()).toBe('2026-03-29T18:30:00.000Z');
    expect(new Date(startOfLocalDay(day, 'Pacific/Chatham')).toISOString()).toBe('2026-03-29T10:15:00.000Z');
  });

  it('agrees with Intl on the local date all year round, DST changes at midnight included', () => {
    const zones = ['Europe/Vienna', 'America/Santiago', 'America/Havana', 'Pacific/Chatham'];
    for (const timeZone of zones) {
      const intl = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
      const mismatches: string[] = [];
      for (let t = ms('2026-01-01T00:00:00.000Z'); t < ms('2027-01-01T00:00:00.000Z'); t += 127 * 60_000) {
        if (localDate(t, timeZone) !== intl.format(t)) mismatches.push(new Date(t).toISOString());
        if (localDate(t - 1, timeZone) !== intl.format(t - 1)) mismatches.push(new Date(t - 1).toISOString());
      }
      const firstDay = localDayNumber(ms('2026-01-01T12:00:00.000Z'), timeZone);
      for (let day = firstDay; day < firstDay + 365; day += 1) {
        const start = startOfLocalDay(day, timeZone);
        const date = new Date(day * 86_400_000).toISOString().slice(0, 10);
        if (intl.format(start) !== date || intl.format(start - 1) === date) mismatches.push(`start of ${date}`);
      }
      expect({ timeZone, mismatches }).toEqual({ timeZone, mismatches: [] });
    }
  });
});
