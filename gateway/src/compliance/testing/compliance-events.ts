import type { NewEvent } from '@fleetwarden/eventstore';
import { event } from '../../testing/gateway-test-kit';

/** A `PatchesInstalled` event with plausible data; `over` replaces fields. */
export function patchesInstalled(serverId: string, reseller: string, installedAt: string, over: object = {}): NewEvent {
  return event(
    'PatchesInstalled',
    {
      serverId,
      reseller,
      hostingProvider: 'operator',
      installedAt,
      patches: ['KB5034441'],
      startedBy: 'reseller',
      kind: 'regular',
      urgentUpdateId: null,
      source: 'system',
      outsideApproval: false,
      ...over,
    },
    reseller,
    installedAt,
  );
}

/** A threshold event (`ComplianceAlerted`, `ComplianceBreached`, `OperationsPatchScheduled`). */
export function threshold(
  type: 'ComplianceAlerted' | 'ComplianceBreached' | 'OperationsPatchScheduled',
  serverId: string,
  reseller: string,
  lastInstalledAt: string | null,
  daysSinceLastUpdate: number | null,
  at: string,
): NewEvent {
  return event(type, { serverId, reseller, daysSinceLastUpdate, lastInstalledAt, at }, reseller, at);
}

/** A `ChargeRecorded` event of $640 by default. */
export function chargeRecorded(serverId: string, reseller: string, at: string, over: object = {}): NewEvent {
  return event(
    'ChargeRecorded',
    {
      serverId,
      reseller,
      amount: { value: 64_000, currency: 'USD' },
      reason: 'operations installed the OS updates of a breached server',
      daysSinceLastUpdate: 121,
      installedAt: at,
      at,
      ...over,
    },
    reseller,
    at,
  );
}
