import type { NatsConnection } from '@nats-io/nats-core';
import type { Subjects } from '@fleetwarden/contracts';
import type { RecordedEvent } from '@fleetwarden/eventstore';

/** What a reseller is told about, on `<ns>.notify.compliance.<reseller>`. */
export type ComplianceNotificationKind =
  'alerted' | 'breached' | 'charged' | 'emergency-update' | 'urgent-update-declared' | 'urgent-update-completed';

/** A notification as published (JSON); `eventId` identifies it for receivers that deduplicate. */
export interface ComplianceNotification {
  kind: ComplianceNotificationKind;
  reseller: string;
  serverId?: string;
  urgentUpdateId?: string;
  emergencyUpdateId?: string;
  daysSinceLastUpdate?: number | null;
  lastInstalledAt?: string | null;
  amount?: { value: number; currency: string };
  patches?: string[];
  serverIds?: string[];
  reason?: string;
  /** The event it tells of (one notification per reseller for an urgent update). */
  eventId: string;
  at: string;
}

/** The events that notify resellers. */
export const NOTIFYING_EVENTS = [
  'ComplianceAlerted',
  'ComplianceBreached',
  'ChargeRecorded',
  'EmergencyUpdateRecorded',
  'UrgentUpdateDeclared',
  'UrgentUpdateResellerCompleted',
] as const;

type Data = Record<string, unknown>;

/** The notifications of one event: one for its reseller, one per affected reseller of an urgent update. */
export function notificationsOf(event: RecordedEvent): ComplianceNotification[] {
  const d = event.data as Data;
  const base = { eventId: event.eventId, at: String(d.at) };
  switch (event.type) {
    case 'ComplianceAlerted':
    case 'ComplianceBreached':
      return [
        {
          kind: event.type === 'ComplianceAlerted' ? 'alerted' : 'breached',
          reseller: String(d.reseller),
          serverId: String(d.serverId),
          daysSinceLastUpdate: d.daysSinceLastUpdate as number | null,
          lastInstalledAt: d.lastInstalledAt as string | null,
          ...base,
        },
      ];
    case 'ChargeRecorded':
      return [
        {
          kind: 'charged',
          reseller: String(d.reseller),
          serverId: String(d.serverId),
          amount: d.amount as { value: number; currency: string },
          daysSinceLastUpdate: d.daysSinceLastUpdate as number | null,
          reason: String(d.reason),
          ...base,
        },
      ];
    case 'EmergencyUpdateRecorded':
      return [
        {
          kind: 'emergency-update',
          reseller: String(d.reseller),
          serverId: String(d.serverId),
          emergencyUpdateId: String(d.emergencyUpdateId),
          patches: d.patches as string[],
          reason: String(d.reason),
          ...base,
        },
      ];
    case 'UrgentUpdateDeclared':
      return (d.resellers as Array<{ reseller: string; serverIds: string[] }>).map((r) => ({
        kind: 'urgent-update-declared' as const,
        reseller: r.reseller,
        urgentUpdateId: String(d.urgentUpdateId),
        patches: d.patches as string[],
        serverIds: r.serverIds,
        reason: String(d.reason),
        ...base,
      }));
    case 'UrgentUpdateResellerCompleted':
      return [
        {
          kind: 'urgent-update-completed',
          reseller: String(d.reseller),
          urgentUpdateId: String(d.urgentUpdateId),
          ...base,
        },
      ];
    default:
      return [];
  }
}

/** Publishes the notifications of a batch of events and waits until the NATS server has them. */
export async function publishNotifications(
  nc: NatsConnection,
  subjects: Subjects,
  events: readonly RecordedEvent[],
): Promise<number> {
  let sent = 0;
  for (const event of events) {
    for (const n of notificationsOf(event)) {
      nc.publish(subjects.complianceNotification(n.reseller), JSON.stringify(n));
      sent++;
    }
  }
  if (sent > 0) await nc.flush();
  return sent;
}
