import type { MemberReport, PairConfig } from './pair.types';

/**
 * Configures a pair, or reconfigures its redundancy settings (its members cannot change).
 * `resolved` carries what the service looked up about the two servers.
 */
export type ConfigurePair = {
  type: 'ConfigurePair';
  data: { pairId: string } & PairConfig;
  resolved: {
    /** Member ids that are no registered server (or not the caller's). */
    unknownServerIds: string[];
    /** Member ids that already belong to another pair. */
    serversInOtherPairs: string[];
  };
};

export type SetAutoFailover = { type: 'SetAutoFailover'; data: { pairId: string; enabled: boolean; by: string } };

/** One keep-alive of a member, received by the control plane at `now`. */
export type RecordKeepAlive = {
  type: 'RecordKeepAlive';
  data: { pairId: string; serverId: string; report: MemberReport; now: string };
};

/**
 * Periodic check: availability of both members from their last keep-alive (null: none known,
 * treated as unavailable), automatic failover, and the secondary's 30-day isolation limit.
 * `switchId` names the switch, should this check make one.
 */
export type Evaluate = {
  type: 'Evaluate';
  data: {
    pairId: string;
    now: string;
    lastKeepAliveAt: { primary: string | null; secondary: string | null };
    switchId: string;
  };
};

/** An operator hands control to the standby. */
export type ManualSwitchover = {
  type: 'ManualSwitchover';
  data: { pairId: string; now: string; by: string; reason: string; switchId: string };
};

/** One delivery attempt of a switch notification. */
export type RecordNotification = {
  type: 'RecordNotification';
  data: {
    pairId: string;
    switchId: string;
    target: PairConfig['notificationTargets'][number];
    attempt: number;
    delivered: boolean;
    error: string | null;
    now: string;
  };
};

export type PairCommand =
  ConfigurePair | SetAutoFailover | RecordKeepAlive | Evaluate | ManualSwitchover | RecordNotification;
