import { z } from 'zod';
import { defineEvent } from '@fleetwarden/contracts';
import {
  idSchema,
  isoDateTimeSchema,
  memberRoleSchema,
  notificationTargetSchema,
  replicationStateSchema,
  serviceStateSchema,
} from './shared';
import { haComponentSchema, haHealthReportSchema } from './ha-shared';

const seconds = z.number().positive();

/** A pair was configured (or reconfigured): members, addresses, key hash, failover settings. */
export const PairConfigured = defineEvent({
  context: 'redundancy',
  type: 'PairConfigured',
  version: 1,
  description:
    'A primary/secondary pair was configured or reconfigured. The redundancy key is kept only as a salted hash (`scrypt$<salt>$<hash>`) and is never returned. Stream `pair-<pairId>`.',
  schema: z.object({
    pairId: idSchema,
    primaryServerId: idSchema,
    secondaryServerId: idSchema,
    primaryAddress: z.string().max(255),
    secondaryAddress: z.string().max(255),
    switchAddress: z.string().max(255).describe('Address of the A/B switch.'),
    redundancyKeyHash: z.string().min(1).max(300),
    autoFailover: z.boolean().describe('The standby assumes control when the active member is unavailable.'),
    keepAliveIntervalSec: seconds,
    failoverThresholdSec: seconds.describe('Keep-alives missed for this long make a member unavailable.'),
    holdDownSec: z.number().nonnegative().describe('No automatic failover within this long after a switch.'),
    notificationTargets: z.array(notificationTargetSchema),
    tenant: idSchema.nullable().describe('Reseller of both members; null when an operator configured it.'),
    configuredBy: z.string().min(1).max(200),
  }),
});

export const AutoFailoverSet = defineEvent({
  context: 'redundancy',
  type: 'AutoFailoverSet',
  version: 1,
  description: 'Automatic failover was turned on or off for the pair.',
  schema: z.object({ pairId: idSchema, enabled: z.boolean(), by: z.string().min(1).max(200) }),
});

export const MemberStateReported = defineEvent({
  context: 'redundancy',
  type: 'MemberStateReported',
  version: 1,
  description:
    "A member's keep-alive reported a change: its claim to be in control, its services, replication, whether it reaches its peer, and its clock skew. Keep-alives that change nothing are not events.",
  schema: z.object({
    pairId: idSchema,
    serverId: idSchema,
    role: memberRoleSchema,
    claimsControl: z.boolean(),
    switchingService: serviceStateSchema,
    ipPhoneService: serviceStateSchema,
    keepAliveService: serviceStateSchema,
    replicationStatus: replicationStateSchema,
    peerReachable: z.boolean(),
    clockSkewMs: z.number().describe("Member's clock minus the control plane's, at the report."),
    at: isoDateTimeSchema,
  }),
});

export const KeepAliveLost = defineEvent({
  context: 'redundancy',
  type: 'KeepAliveLost',
  version: 1,
  description: "No keep-alive from the member for the pair's failover threshold: the member is unavailable.",
  schema: z.object({
    pairId: idSchema,
    serverId: idSchema,
    role: memberRoleSchema,
    lastKeepAliveAt: isoDateTimeSchema.nullable(),
    at: isoDateTimeSchema,
  }),
});

export const KeepAliveRestored = defineEvent({
  context: 'redundancy',
  type: 'KeepAliveRestored',
  version: 1,
  description: 'Keep-alives of an unavailable member arrive again.',
  schema: z.object({ pairId: idSchema, serverId: idSchema, role: memberRoleSchema, at: isoDateTimeSchema }),
});

export const ControlSwitched = defineEvent({
  context: 'redundancy',
  type: 'ControlSwitched',
  version: 1,
  description:
    'The other member took control: an automatic `failover` (the active member was unavailable) or an operator `switchover`. The control plane alone decides which member is in control.',
  schema: z.object({
    pairId: idSchema,
    switchId: z.string().min(1).max(100),
    kind: z.enum(['failover', 'switchover']),
    from: memberRoleSchema,
    to: memberRoleSchema,
    reason: z.string().min(1).max(1000),
    by: z.string().min(1).max(200),
    at: isoDateTimeSchema,
  }),
});

export const FailoverBlocked = defineEvent({
  context: 'redundancy',
  type: 'FailoverBlocked',
  version: 1,
  description:
    'The active member is unavailable but no failover was made (auto-failover off, standby unavailable or its services down, hold-down): once per outage and reason.',
  schema: z.object({ pairId: idSchema, reason: z.string().min(1).max(1000), at: isoDateTimeSchema }),
});

export const SecondaryIsolationWarning = defineEvent({
  context: 'redundancy',
  type: 'SecondaryIsolationWarning',
  version: 1,
  description:
    'The secondary has not reached its primary since `unreachableSince`: it loses function after 30 days. Warned at 7, 3 and 1 day(s) left.',
  schema: z.object({
    pairId: idSchema,
    daysLeft: z.union([z.literal(7), z.literal(3), z.literal(1)]),
    unreachableSince: isoDateTimeSchema,
    at: isoDateTimeSchema,
  }),
});

export const SecondaryFunctionLost = defineEvent({
  context: 'redundancy',
  type: 'SecondaryFunctionLost',
  version: 1,
  description: 'The secondary has not reached its primary for 30 days and loses function.',
  schema: z.object({ pairId: idSchema, unreachableSince: isoDateTimeSchema, at: isoDateTimeSchema }),
});

export const SwitchoverNotified = defineEvent({
  context: 'redundancy',
  type: 'SwitchoverNotified',
  version: 1,
  description: 'One delivery attempt of a switch to a notification target, and whether it was delivered.',
  schema: z.object({
    pairId: idSchema,
    switchId: z.string().min(1).max(100),
    target: notificationTargetSchema,
    attempt: z.int().positive(),
    delivered: z.boolean(),
    error: z.string().max(1000).nullable(),
    at: isoDateTimeSchema,
  }),
});

/** Every redundancy event, in catalogue order. */
export const REDUNDANCY_EVENTS = [
  PairConfigured,
  AutoFailoverSet,
  MemberStateReported,
  KeepAliveLost,
  KeepAliveRestored,
  ControlSwitched,
  FailoverBlocked,
  SecondaryIsolationWarning,
  SecondaryFunctionLost,
  SwitchoverNotified,
] as const;

type DataOf<C> = C extends { parse(data: unknown): infer D } ? D : never;
type EventOf<C> = C extends { type: infer T } ? { type: T; data: DataOf<C> } : never;

/** The `{ type, data }` union of a pair stream's events. */
export type PairEventContract = EventOf<(typeof REDUNDANCY_EVENTS)[number]>;

/** An HA cluster was configured (or reconfigured). */
export const HaClusterConfigured = defineEvent({
  context: 'redundancy',
  type: 'HaClusterConfigured',
  version: 1,
  description:
    'An HA cluster was configured or reconfigured: its components (servers and load balancers) and the address of each. Stream `ha-cluster-<clusterId>`.',
  schema: z.object({
    clusterId: idSchema,
    components: z.array(haComponentSchema),
    tenant: idSchema.nullable().describe('Reseller of the components; null when an operator configured it.'),
    configuredBy: z.string().min(1).max(200),
  }),
});

/** An HA health check ran: the messaging between every two components and each component's clock. */
export const HaHealthChecked = defineEvent({
  context: 'redundancy',
  type: 'HaHealthChecked',
  version: 1,
  description:
    "An HA health check ran: one messaging row per ordered pair of components (`OK` with the transfer time, `SLOW`, `NO_CONNECTION`, `COMPONENT_DOWN`) and one clock row per component (`CLOCK_OK`, `CLOCK_SKEW` when it differs by a minute or more, `CLOCK_UNKNOWN`), each with a recommendation. Stream `ha-cluster-<clusterId>` (for a pair: the pair's checks only).",
  schema: haHealthReportSchema.extend({ by: z.string().min(1).max(200) }),
});

/** The events of an HA cluster stream (`ha-cluster-<clusterId>`), in catalogue order. */
export const HA_CLUSTER_EVENTS = [HaClusterConfigured, HaHealthChecked] as const;

/** The `{ type, data }` union of an HA cluster stream's events. */
export type HaClusterEventContract = EventOf<(typeof HA_CLUSTER_EVENTS)[number]>;
