import { isInWindow, lastWindowEnd, validateWindow } from './maintenance-window';

describe('maintenance window', () => {
  const night = { start: '22:00', end: '02:00', timeZone: 'Europe/Berlin' };

  it('is open inside a same-day window and closed outside it', () => {
    const day = { start: '09:00', end: '17:00', timeZone: 'UTC' };
    expect(isInWindow(day, Date.parse('2026-11-28T09:00:00Z'))).toBe(true);
    expect(isInWindow(day, Date.parse('2026-11-28T16:59:00Z'))).toBe(true);
    expect(isInWindow(day, Date.parse('2026-11-28T17:00:00Z'))).toBe(false);
    expect(isInWindow(day, Date.parse('2026-11-28T08:59:00Z'))).toBe(false);
  });

  it('wraps midnight in its own time zone', () => {
    // Berlin is UTC+1 in November.
    expect(isInWindow(night, Date.parse('2026-11-28T20:59:00Z'))).toBe(false);
    expect(isInWindow(night, Date.parse('2026-11-28T21:00:00Z'))).toBe(true);
    expect(isInWindow(night, Date.parse('2026-11-28T23:30:00Z'))).toBe(true);
    expect(isInWindow(night, Date.parse('2026-11-29T00:59:00Z'))).toBe(true);
    expect(isInWindow(night, Date.parse('2026-11-29T01:00:00Z'))).toBe(false);
  });

  it('follows daylight saving time of the zone', () => {
    // Berlin is UTC+2 in July: 22:00 local is 20:00 UTC.
    expect(isInWindow(night, Date.parse('2026-07-01T20:00:00Z'))).toBe(true);
    expect(isInWindow(night, Date.parse('2026-07-01T19:59:00Z'))).toBe(false);
  });

  it('finds the most recent window end', () => {
    expect(new Date(lastWindowEnd(night, Date.parse('2026-11-29T03:30:20Z'))).toISOString()).toBe(
      '2026-11-29T01:00:00.000Z',
    );
  });

  it('rejects an unknown time zone or a malformed time', () => {
    expect(() => validateWindow({ ...night, timeZone: 'Mars/Olympus' })).toThrow(
      expect.objectContaining({ code: 'ROLLOUT.INVALID_WINDOW' }),
    );
    expect(() => validateWindow({ ...night, start: '25:00' })).toThrow(
      expect.objectContaining({ code: 'ROLLOUT.INVALID_WINDOW' }),
    );
  });
});
