import { isDomainError } from '@fleetwarden/shared-domain';
import { ComplianceErrorCode } from '../compliance.errors';
import { localDayNumber, startOfLocalDay } from '../counter/compliance-counter';
import { forecastCharges, forecastServer, type ServerComplianceInput } from './compliance-forecast';

const TZ = 'Europe/Vienna';
const NOW = '2026-06-10T10:00:00.000Z'; // 12:00 in Vienna
const TODAY = localDayNumber(Date.parse(NOW), TZ);
/** 10:00 local, `days` local days before today. */
const daysAgo = (days: number): string => new Date(startOfLocalDay(TODAY - days, TZ) + 10 * 3_600_000).toISOString();
const server = (serverId: string, lastInstalledAt: string | null, reseller = 'r-1'): ServerComplianceInput => ({
  serverId,
  reseller,
  hostingProvider: 'operator',
  lastInstalledAt,
});
const charge = { value: 64_000, currency: 'USD' } as const;

describe('forecastServer', () => {
  it('gives the dates a server reaches 60 and 120 days if nothing is installed', () => {
    expect(forecastServer(server('s-1', daysAgo(100)), NOW, TZ)).toEqual({
      serverId: 's-1',
      reseller: 'r-1',
      lastInstalledAt: daysAgo(100),
      daysSinceLastUpdate: 100,
      dayCounter: 101,
      state: 'alerted',
      reaches60At: new Date(startOfLocalDay(TODAY - 40, TZ)).toISOString(),
      reaches120At: '2026-06-29T22:00:00.000Z',
    });
  });

  it('gives nothing for a partner-hosted server', () => {
    expect(forecastServer({ ...server('s-1', daysAgo(100)), hostingProvider: 'partner' }, NOW, TZ)).toBeNull();
  });
});

describe('forecastCharges', () => {
  const servers: ServerComplianceInput[] = [
    server('breaches-in-20-days', daysAgo(100)),
    server('breaches-in-40-days', daysAgo(80)),
    server('breached', daysAgo(125)),
    server('breaches-in-110-days', daysAgo(10)),
    server('breaches-on-day-30', daysAgo(90)),
    server('breaches-on-day-31', daysAgo(89)),
    { ...server('partner', daysAgo(150)), hostingProvider: 'partner' },
    server('never-installed', null, 'r-2'),
  ];

  it('expects per reseller one charge per server breached by the end of the next 30, 60 and 90 days', () => {
    expect(forecastCharges(servers, { now: NOW, timeZone: TZ, charge })).toEqual([
      {
        reseller: 'r-1',
        windows: [
          {
            days: 30,
            until: '2026-07-10T22:00:00.000Z',
            serverIds: ['breaches-in-20-days', 'breached', 'breaches-on-day-30'],
            amount: { value: 192_000, currency: 'USD' },
          },
          {
            days: 60,
            until: '2026-08-09T22:00:00.000Z',
            serverIds: [
              'breaches-in-20-days',
              'breaches-in-40-days',
              'breached',
              'breaches-on-day-30',
              'breaches-on-day-31',
            ],
            amount: { value: 320_000, currency: 'USD' },
          },
          {
            days: 90,
            until: '2026-09-08T22:00:00.000Z',
            serverIds: [
              'breaches-in-20-days',
              'breaches-in-40-days',
              'breached',
              'breaches-on-day-30',
              'breaches-on-day-31',
            ],
            amount: { value: 320_000, currency: 'USD' },
          },
        ],
      },
      {
        reseller: 'r-2',
        windows: [30, 60, 90].map((days) => ({
          days,
          until: expect.any(String),
          serverIds: ['never-installed'],
          amount: { value: 64_000, currency: 'USD' },
        })),
      },
    ]);
  });

  it('takes other windows and amounts', () => {
    const [r1] = forecastCharges(servers, {
      now: NOW,
      timeZone: TZ,
      charge: { value: 100, currency: 'USD' },
      horizonDays: [0],
    });
    expect(r1.windows).toEqual([
      { days: 0, until: '2026-06-10T22:00:00.000Z', serverIds: ['breached'], amount: { value: 100, currency: 'USD' } },
    ]);
  });

  it('refuses a negative charge and a bad window', () => {
    const code = (run: () => unknown): string | undefined => {
      try {
        run();
      } catch (error) {
        return isDomainError(error) ? error.code : 'not a domain error';
      }
      return undefined;
    };
    expect(
      code(() => forecastCharges(servers, { now: NOW, timeZone: TZ, charge: { value: -1, currency: 'USD' } })),
    ).toBe(ComplianceErrorCode.InvalidAmount);
    expect(code(() => forecastCharges(servers, { now: NOW, timeZone: TZ, charge, horizonDays: [-30] }))).toBe(
      ComplianceErrorCode.InvalidForecastWindow,
    );
  });
});
