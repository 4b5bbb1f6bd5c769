/** Which member of a pair. */
export type MemberRole = 'primary' | 'secondary';

/** State of one redundancy service on a member. */
export type ServiceState = 'up' | 'down';

/**
 * Replication as a member reports it: the source (the member in control) is `monitoring`; the
 * destination is `synchronizing` until it has caught up, then `updated`.
 */
export type ReplicationStatus = 'monitoring' | 'synchronizing' | 'updated';

/** Where a switch is announced: a NATS subject, or an HTTP(S) webhook. */
export type NotificationTarget = { kind: 'subject'; subject: string } | { kind: 'webhook'; url: string };

/** The three redundancy services every member runs. */
export const REDUNDANCY_SERVICES = ['switchingService', 'ipPhoneService', 'keepAliveService'] as const;
export type RedundancyService = (typeof REDUNDANCY_SERVICES)[number];

/** One keep-alive of a member, as its keep-alive service sends it. */
export interface MemberReport {
  /** The member believes it is in control; never decides who is (see `PairState.activeRole`). */
  inControl: boolean;
  switchingService: ServiceState;
  ipPhoneService: ServiceState;
  keepAliveService: ServiceState;
  replicationStatus: ReplicationStatus;
  /** The member reached its peer over the redundancy link lately. */
  peerReachable: boolean;
  /** The member's clock when sent (ISO-8601), for the skew. */
  sentAt: string;
}

export interface MemberState {
  serverId: string;
  role: MemberRole;
  /** What the member last reported about itself; the control plane alone decides who is in control. */
  claimsControl: boolean;
  switchingService: ServiceState;
  ipPhoneService: ServiceState;
  keepAliveService: ServiceState;
  replicationStatus: ReplicationStatus;
  peerReachable: boolean;
  /** Member's clock minus the control plane's, at the last `MemberStateReported`. */
  clockSkewMs: number;
  /** Time of the last `MemberStateReported`; null before the first. */
  reportedAt: string | null;
  /** False after `KeepAliveLost` until `KeepAliveRestored`; true initially. */
  available: boolean;
}

export interface PairConfig {
  primaryServerId: string;
  secondaryServerId: string;
  primaryAddress: string;
  secondaryAddress: string;
  /** Address of the A/B switch. */
  switchAddress: string;
  /** Salted hash of the redundancy key; the key itself is never stored. */
  redundancyKeyHash: string;
  /** The standby assumes control when the active member is unavailable. */
  autoFailover: boolean;
  keepAliveIntervalSec: number;
  /** Keep-alives missed for this long make a member unavailable. */
  failoverThresholdSec: number;
  /** No automatic failover within this long after a switch. */
  holdDownSec: number;
  notificationTargets: NotificationTarget[];
  /** Reseller of both members; null when an operator configured the pair. */
  tenant: string | null;
  configuredBy: string;
}

export type SwitchKind = 'failover' | 'switchover';

export interface LastSwitch {
  switchId: string;
  kind: SwitchKind;
  from: MemberRole;
  to: MemberRole;
  reason: string;
  at: string;
}

/** One delivery attempt of a switch notification. */
export interface NotificationAttempt {
  switchId: string;
  target: NotificationTarget;
  attempt: number;
  delivered: boolean;
  error: string | null;
  at: string;
}

/** One redundancy pair (`pair-<pairId>`). */
export interface PairState {
  exists: boolean;
  pairId: string;
  config: PairConfig | null;
  /** The member in control: `primary` at first configuration; only `ControlSwitched` changes it. */
  activeRole: MemberRole;
  members: { primary: MemberState; secondary: MemberState } | null;
  lastSwitch: LastSwitch | null;
  /** Reason of the `FailoverBlocked` of the current outage of the active member; null when none. */
  blockedReason: string | null;
  /** The secondary has not reached its primary since then; null when it does. */
  unreachableSince: string | null;
  /** Isolation warnings given since `unreachableSince` (days left: 7, 3, 1). */
  warnedDaysLeft: number[];
  /** The secondary has not reached its primary for 30 days. */
  functionLost: boolean;
  /** The last {@link MAX_NOTIFICATIONS} delivery attempts, oldest first. */
  notifications: NotificationAttempt[];
}

/** How many notification attempts the state keeps. */
export const MAX_NOTIFICATIONS = 50;
/** Clock skew between a member and the control plane must stay under this. */
export const CLOCK_SKEW_LIMIT_MS = 60_000;
/** A secondary that has not reached its primary for this long loses function. */
export const SECONDARY_ISOLATION_LIMIT_DAYS = 30;
/** Isolation warnings, in days left, in the order they fall due. */
export const SECONDARY_ISOLATION_WARNING_DAYS = [7, 3, 1] as const;
/** `by` of an automatic failover. */
export const SYSTEM_ACTOR = 'system:redundancy';
