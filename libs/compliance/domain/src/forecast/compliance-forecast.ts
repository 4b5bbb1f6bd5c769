import { invalidForecastWindow } from '../compliance.errors';
import { BREACH_AFTER_DAYS, FORECAST_HORIZON_DAYS, type HostingProvider, type Money } from '../compliance.types';
import {
  assertTimeZone,
  complianceOf,
  localDayNumber,
  parseInstant,
  startOfLocalDay,
  type ComplianceStatus,
} from '../counter/compliance-counter';
import { assertMoney } from '../server/server-compliance.decider';

/** What the forecast needs of a server: from the inventory and its compliance stream. */
export interface ServerComplianceInput {
  serverId: string;
  reseller: string;
  hostingProvider: HostingProvider;
  /** Null: no install known. */
  lastInstalledAt: string | null;
}

export interface ServerForecast extends ComplianceStatus {
  serverId: string;
  reseller: string;
  lastInstalledAt: string | null;
}

/**
 * When the server reaches 60 and 120 days if nothing is installed, with its counter now; null for
 * a partner-hosted server (not subject to the policy).
 */
export function forecastServer(server: ServerComplianceInput, now: string, timeZone: string): ServerForecast | null {
  if (server.hostingProvider !== 'operator') return null;
  const { serverId, reseller, lastInstalledAt } = server;
  return { serverId, reseller, lastInstalledAt, ...complianceOf(lastInstalledAt, now, timeZone) };
}

/** Expected charges of one reseller within one window. */
export interface ChargeForecastWindow {
  /** The window: today and the next `days` local days. */
  days: number;
  /** Exclusive end of the window: the local midnight after its last day (ISO instant). */
  until: string;
  /** Operator-hosted servers breached by the end of the window, already breached ones included. */
  serverIds: string[];
  /** One charge per such server. */
  amount: Money;
}

export interface ResellerChargeForecast {
  reseller: string;
  windows: ChargeForecastWindow[];
}

export interface ChargeForecastOptions {
  now: string;
  timeZone: string;
  /** The configured charge per breached server. */
  charge: Money;
  /** Window lengths in days; default {@link FORECAST_HORIZON_DAYS}. */
  horizonDays?: readonly number[];
}

/**
 * Per reseller, the charges to expect within the next 30/60/90 days if nothing is installed:
 * every operator-hosted server that is breached, or reaches {@link BREACH_AFTER_DAYS} days on or
 * before the window's last local day, costs one charge (recorded when operations patches it).
 * Servers never installed count as breached; resellers are sorted by id.
 */
export function forecastCharges(
  servers: Iterable<ServerComplianceInput>,
  options: ChargeForecastOptions,
): ResellerChargeForecast[] {
  const { now, timeZone, charge } = options;
  const horizons = [...(options.horizonDays ?? FORECAST_HORIZON_DAYS)];
  assertTimeZone(timeZone);
  assertMoney('charge', charge);
  const today = localDayNumber(parseInstant('now', now), timeZone);
  const lastDays = horizons.map((days) => {
    if (!Number.isInteger(days) || days < 0) throw invalidForecastWindow(days);
    return today + days;
  });
  const byReseller = new Map<string, string[][]>();
  for (const server of servers) {
    if (server.hostingProvider !== 'operator') continue;
    let breaches = byReseller.get(server.reseller);
    if (breaches === undefined) {
      breaches = horizons.map(() => []);
      byReseller.set(server.reseller, breaches);
    }
    const breachDay =
      server.lastInstalledAt === null
        ? Number.NEGATIVE_INFINITY
        : localDayNumber(parseInstant('lastInstalledAt', server.lastInstalledAt), timeZone) + BREACH_AFTER_DAYS;
    lastDays.forEach((lastDay, i) => {
      if (breachDay <= lastDay) breaches[i].push(server.serverId);
    });
  }
  return [...byReseller]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([reseller, breaches]) => ({
      reseller,
      windows: horizons.map((days, i) => ({
        days,
        until: new Date(startOfLocalDay(lastDays[i] + 1, timeZone)).toISOString(),
        serverIds: breaches[i],
        amount: { value: breaches[i].length * charge.value, currency: charge.currency },
      })),
    }));
}
