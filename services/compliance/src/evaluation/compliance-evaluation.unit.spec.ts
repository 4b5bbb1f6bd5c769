import type { RecordedEvent } from '@fleetwarden/eventstore';
import { patchJobId } from '../common/job-ids';
import { insideWindow } from '../dispatch/automated-updates-runner';
import { notificationsOf } from '../reactions/compliance-notifications';
import { planEvaluations, type EvaluationRow } from './compliance-evaluation';

const TZ = 'Europe/Vienna';
const row = (serverId: string, lastInstalledAt: string | null, flags: Partial<EvaluationRow> = {}): EvaluationRow => ({
  serverId,
  reseller: 'r1',
  lastInstalledAt,
  alerted: false,
  breached: false,
  opsScheduled: false,
  ...flags,
});

describe('planEvaluations', () => {
  // installed 2026-01-01 23:30 local (22:30Z): day 60 starts at local midnight 2026-03-02
  const installed = '2026-01-01T22:30:00.000Z';

  it('alerts from the 60th local calendar day, not from 60 x 24 hours', () => {
    expect(planEvaluations([row('s', installed)], '2026-03-01T22:59:59.000Z', TZ).decisions).toEqual([]);
    const { decisions } = planEvaluations([row('s', installed)], '2026-03-01T23:00:00.000Z', TZ);
    expect(decisions).toEqual([expect.objectContaining({ serverId: 's', due: ['alert'] })]);
    expect(decisions[0].status).toMatchObject({ daysSinceLastUpdate: 60, dayCounter: 61, state: 'alerted' });
  });

  it('breaches and hands over to operations from day 120, each step once per alert cycle', () => {
    const now = '2026-05-01T10:00:00.000Z';
    expect(planEvaluations([row('s', installed)], now, TZ).decisions[0].due).toEqual(['alert', 'breach', 'operations']);
    expect(planEvaluations([row('s', installed, { alerted: true })], now, TZ).decisions[0].due).toEqual([
      'breach',
      'operations',
    ]);
    expect(
      planEvaluations([row('s', installed, { alerted: true, breached: true, opsScheduled: true })], now, TZ).decisions,
    ).toEqual([]);
  });

  it('counts a server without a known install as breached and skips an install after now', () => {
    const plan = planEvaluations(
      [row('never', null), row('ahead', '2026-01-02T00:00:00.000Z')],
      '2026-01-01T12:00:00.000Z',
      TZ,
    );
    expect(plan.decisions.map((d) => [d.serverId, d.due])).toEqual([['never', ['alert', 'breach', 'operations']]]);
    expect(plan.states).toEqual({ ok: 0, alerted: 0, breached: 1 });
  });
});

describe('insideWindow', () => {
  it('compares local times of the schedule, across midnight too', () => {
    const day = { start: '11:00', end: '13:00', timeZone: TZ };
    expect(insideWindow(Date.parse('2026-06-01T09:00:00.000Z'), day)).toBe(true); // 11:00 CEST
    expect(insideWindow(Date.parse('2026-06-01T11:00:00.000Z'), day)).toBe(false); // 13:00
    const night = { start: '22:00', end: '02:00', timeZone: TZ };
    expect(insideWindow(Date.parse('2026-01-01T23:30:00.000Z'), night)).toBe(true); // 00:30 CET
    expect(insideWindow(Date.parse('2026-01-01T12:00:00.000Z'), night)).toBe(false);
  });
});

describe('patchJobId', () => {
  it('is readable when short enough, a hash of the parts otherwise', () => {
    expect(patchJobId('auto', 's-1', '20260523')).toBe('auto-s-1-20260523');
    const long = patchJobId('auto', 'x'.repeat(64), '20260523');
    expect(long).toMatch(/^auto-[0-9a-f]{40}$/);
    expect(patchJobId('auto', 'x'.repeat(64), '20260523')).toBe(long);
  });
});

describe('notificationsOf', () => {
  const event = (type: string, data: Record<string, unknown>) => ({ eventId: 'e-1', type, data }) as RecordedEvent;

  it('notifies each affected reseller of an urgent update once', () => {
    const declared = event('UrgentUpdateDeclared', {
      urgentUpdateId: 'u-1',
      patches: ['kb-1'],
      reason: 'exploited',
      resellers: [
        { reseller: 'r1', serverIds: ['s-1'] },
        { reseller: 'r2', serverIds: ['s-2', 's-3'] },
      ],
      by: 'op',
      at: '2026-01-01T00:00:00.000Z',
    });
    expect(notificationsOf(declared).map((n) => [n.kind, n.reseller, n.serverIds, n.eventId])).toEqual([
      ['urgent-update-declared', 'r1', ['s-1'], 'e-1'],
      ['urgent-update-declared', 'r2', ['s-2', 's-3'], 'e-1'],
    ]);
  });

  it('tells the reseller of a charge and ignores events that notify nobody', () => {
    const charged = event('ChargeRecorded', {
      serverId: 's-1',
      reseller: 'r1',
      amount: { value: 64_000, currency: 'USD' },
      reason: 'breached',
      daysSinceLastUpdate: 121,
      installedAt: '2026-01-01T00:00:00.000Z',
      at: '2026-01-01T00:00:00.000Z',
    });
    expect(notificationsOf(charged)).toEqual([
      expect.objectContaining({
        kind: 'charged',
        reseller: 'r1',
        serverId: 's-1',
        amount: { value: 64_000, currency: 'USD' },
      }),
    ]);
    expect(notificationsOf(event('PatchesInstalled', { serverId: 's-1' }))).toEqual([]);
  });
});
