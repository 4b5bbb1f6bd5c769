import { z } from 'zod';
import { idSchema } from '@fleetwarden/inventory-contracts';

/** Identifier: 1-64 of `[A-Za-z0-9_-]` (servers, pairs): the inventory's ids. */
export { idSchema };

export const isoDateTimeSchema = z.iso.datetime({ offset: true });

/** Which member of a pair. */
export const MEMBER_ROLES = ['primary', 'secondary'] as const;
export const memberRoleSchema = z.enum(MEMBER_ROLES);
export type MemberRole = z.output<typeof memberRoleSchema>;

/** State of one redundancy service on a member. */
export const serviceStateSchema = z.enum(['up', 'down']);
export type ServiceState = z.output<typeof serviceStateSchema>;

/**
 * Replication as a member reports it: the source (the member in control) is `monitoring`; the
 * destination is `synchronizing` until it has caught up, then `updated`.
 */
export const REPLICATION_STATES = ['monitoring', 'synchronizing', 'updated'] as const;
export const replicationStateSchema = z.enum(REPLICATION_STATES);
export type ReplicationState = z.output<typeof replicationStateSchema>;

/** Where a switchover is announced: a NATS subject, or an HTTP(S) webhook (POST, JSON). */
export const notificationTargetSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('subject'),
      subject: z
        .string()
        .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'dot-separated tokens of [A-Za-z0-9_-], no wildcards')
        .max(200),
    })
    .strict(),
  z.object({ kind: z.literal('webhook'), url: z.url({ protocol: /^https?$/ }).max(2000) }).strict(),
]);
export type NotificationTarget = z.output<typeof notificationTargetSchema>;

/** Keep-alive timings of a pair, in clock seconds. */
export const DEFAULT_KEEPALIVE_INTERVAL_SEC = 5;
export const DEFAULT_FAILOVER_THRESHOLD_SEC = 15;
export const DEFAULT_HOLD_DOWN_SEC = 300;
/** A secondary that has not reached its primary for this long loses function. */
export const SECONDARY_ISOLATION_LIMIT_DAYS = 30;
/** Warnings before that, in days left. */
export const SECONDARY_ISOLATION_WARNING_DAYS = [7, 3, 1] as const;

/** Stream of one pair. */
export const pairStreamId = (pairId: string): string => `pair-${pairId}`;
