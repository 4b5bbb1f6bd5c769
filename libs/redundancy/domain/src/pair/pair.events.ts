import type {
  MemberRole,
  NotificationTarget,
  PairConfig,
  ReplicationStatus,
  ServiceState,
  SwitchKind,
} from './pair.types';

export type PairConfigured = { type: 'PairConfigured'; data: { pairId: string } & PairConfig };

export type AutoFailoverSet = { type: 'AutoFailoverSet'; data: { pairId: string; enabled: boolean; by: string } };

export type MemberStateReported = {
  type: 'MemberStateReported';
  data: {
    pairId: string;
    serverId: string;
    role: MemberRole;
    claimsControl: boolean;
    switchingService: ServiceState;
    ipPhoneService: ServiceState;
    keepAliveService: ServiceState;
    replicationStatus: ReplicationStatus;
    peerReachable: boolean;
    clockSkewMs: number;
    at: string;
  };
};

export type KeepAliveLost = {
  type: 'KeepAliveLost';
  data: { pairId: string; serverId: string; role: MemberRole; lastKeepAliveAt: string | null; at: string };
};

export type KeepAliveRestored = {
  type: 'KeepAliveRestored';
  data: { pairId: string; serverId: string; role: MemberRole; at: string };
};

export type ControlSwitched = {
  type: 'ControlSwitched';
  data: {
    pairId: string;
    switchId: string;
    kind: SwitchKind;
    from: MemberRole;
    to: MemberRole;
    reason: string;
    by: string;
    at: string;
  };
};

export type FailoverBlocked = { type: 'FailoverBlocked'; data: { pairId: string; reason: string; at: string } };

export type SecondaryIsolationWarning = {
  type: 'SecondaryIsolationWarning';
  data: { pairId: string; daysLeft: 7 | 3 | 1; unreachableSince: string; at: string };
};

export type SecondaryFunctionLost = {
  type: 'SecondaryFunctionLost';
  data: { pairId: string; unreachableSince: string; at: string };
};

export type SwitchoverNotified = {
  type: 'SwitchoverNotified';
  data: {
    pairId: string;
    switchId: string;
    target: NotificationTarget;
    attempt: number;
    delivered: boolean;
    error: string | null;
    at: string;
  };
};

/** Every event of a pair stream (`pair-<pairId>`). */
export type PairEvent =
  | PairConfigured
  | AutoFailoverSet
  | MemberStateReported
  | KeepAliveLost
  | KeepAliveRestored
  | ControlSwitched
  | FailoverBlocked
  | SecondaryIsolationWarning
  | SecondaryFunctionLost
  | SwitchoverNotified;
