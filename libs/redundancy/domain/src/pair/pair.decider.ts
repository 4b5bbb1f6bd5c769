import { assertNever, type Decider } from '@fleetwarden/shared-domain';
import {
  pairIdMismatch,
  pairInvalidThreshold,
  pairInvalidTime,
  pairMembersChanged,
  pairNotAMember,
  pairNotFound,
  pairSameServerTwice,
  pairServerInOtherPair,
  pairSwitchoverRefused,
  pairUnknownServers,
} from '../redundancy.errors';
import type {
  ConfigurePair,
  Evaluate,
  ManualSwitchover,
  PairCommand,
  RecordKeepAlive,
  RecordNotification,
  SetAutoFailover,
} from './pair.commands';
import type { PairEvent } from './pair.events';
import { isClockSkewExcessive, isSwitchoverPossible, otherRole, servicesDown } from './pair.rules';
import {
  MAX_NOTIFICATIONS,
  REDUNDANCY_SERVICES,
  SECONDARY_ISOLATION_LIMIT_DAYS,
  SECONDARY_ISOLATION_WARNING_DAYS,
  SYSTEM_ACTOR,
  type MemberRole,
  type MemberState,
  type PairConfig,
  type PairState,
} from './pair.types';

const DAY_MS = 86_400_000;
const ROLES: readonly MemberRole[] = ['primary', 'secondary'];

/** A pair that has been configured: config and members are set. */
type ConfiguredPair = PairState & { config: PairConfig; members: NonNullable<PairState['members']> };

const isConfigured = (state: PairState): state is ConfiguredPair =>
  state.exists && state.config !== null && state.members !== null;

export function initialPairState(): PairState {
  return {
    exists: false,
    pairId: '',
    config: null,
    activeRole: 'primary',
    members: null,
    lastSwitch: null,
    blockedReason: null,
    unreachableSince: null,
    warnedDaysLeft: [],
    functionLost: false,
    notifications: [],
  };
}

/** A member as it stands right after the pair's first configuration. */
export function initialMemberState(serverId: string, role: MemberRole): MemberState {
  return {
    serverId,
    role,
    claimsControl: role === 'primary',
    switchingService: 'up',
    ipPhoneService: 'up',
    keepAliveService: 'up',
    replicationStatus: role === 'primary' ? 'monitoring' : 'synchronizing',
    peerReachable: true,
    clockSkewMs: 0,
    reportedAt: null,
    available: true,
  };
}

export function decidePair(command: PairCommand, state: PairState): PairEvent[] {
  const { pairId } = command.data;
  if (state.exists && state.pairId !== pairId) throw pairIdMismatch(state.pairId, pairId);
  if (command.type === 'ConfigurePair') return configure(command, state);
  if (!isConfigured(state)) throw pairNotFound(pairId);
  switch (command.type) {
    case 'SetAutoFailover':
      return setAutoFailover(command, state);
    case 'RecordKeepAlive':
      return recordKeepAlive(command, state);
    case 'Evaluate':
      return evaluate(command, state);
    case 'ManualSwitchover':
      return manualSwitchover(command, state);
    case 'RecordNotification':
      return recordNotification(command);
    default:
      return assertNever(command, 'pair command');
  }
}

function configure(command: ConfigurePair, state: PairState): PairEvent[] {
  const d = command.data;
  const config: PairConfig = {
    primaryServerId: d.primaryServerId,
    secondaryServerId: d.secondaryServerId,
    primaryAddress: d.primaryAddress,
    secondaryAddress: d.secondaryAddress,
    switchAddress: d.switchAddress,
    redundancyKeyHash: d.redundancyKeyHash,
    autoFailover: d.autoFailover,
    keepAliveIntervalSec: d.keepAliveIntervalSec,
    failoverThresholdSec: d.failoverThresholdSec,
    holdDownSec: d.holdDownSec,
    notificationTargets: d.notificationTargets.map((t) => ({ ...t })),
    tenant: d.tenant,
    configuredBy: d.configuredBy,
  };
  if (config.primaryServerId === config.secondaryServerId) throw pairSameServerTwice(config.primaryServerId);
  const current = state.config;
  if (
    current !== null &&
    (current.primaryServerId !== config.primaryServerId || current.secondaryServerId !== config.secondaryServerId)
  ) {
    throw pairMembersChanged(d.pairId, current, config);
  }
  const { unknownServerIds, serversInOtherPairs } = command.resolved;
  if (unknownServerIds.length > 0) throw pairUnknownServers(unique(unknownServerIds));
  if (serversInOtherPairs.length > 0) throw pairServerInOtherPair(unique(serversInOtherPairs));
  validateTimings(config);
  if (current !== null && sameConfig(current, config)) return [];
  return [{ type: 'PairConfigured', data: { pairId: d.pairId, ...config } }];
}

function validateTimings(config: PairConfig): void {
  const { keepAliveIntervalSec, failoverThresholdSec, holdDownSec } = config;
  const details = { keepAliveIntervalSec, failoverThresholdSec, holdDownSec };
  if (!Number.isFinite(keepAliveIntervalSec) || keepAliveIntervalSec <= 0) {
    throw pairInvalidThreshold('the keep-alive interval must be above 0 s', details);
  }
  if (!Number.isFinite(failoverThresholdSec) || failoverThresholdSec <= keepAliveIntervalSec) {
    throw pairInvalidThreshold(
      `the failover threshold (${failoverThresholdSec} s) must be above the keep-alive interval (${keepAliveIntervalSec} s)`,
      details,
    );
  }
  if (!Number.isFinite(holdDownSec) || holdDownSec < 0) {
    throw pairInvalidThreshold('the hold-down must be 0 s or more', details);
  }
}

function sameConfig(a: PairConfig, b: PairConfig): boolean {
  return (Object.keys(a) as (keyof PairConfig)[]).every((key) =>
    key === 'notificationTargets' ? JSON.stringify(a[key]) === JSON.stringify(b[key]) : a[key] === b[key],
  );
}

function setAutoFailover(command: SetAutoFailover, state: ConfiguredPair): PairEvent[] {
  const { pairId, enabled, by } = command.data;
  if (state.config.autoFailover === enabled) return [];
  return [{ type: 'AutoFailoverSet', data: { pairId, enabled, by } }];
}

function recordKeepAlive(command: RecordKeepAlive, state: ConfiguredPair): PairEvent[] {
  const { pairId, serverId, report, now } = command.data;
  const role = ROLES.find((r) => state.members[r].serverId === serverId);
  if (role === undefined) throw pairNotAMember(pairId, serverId);
  const clockSkewMs = time('report.sentAt', report.sentAt) - time('now', now);
  const member = state.members[role];
  const events: PairEvent[] = [];
  if (!member.available) events.push({ type: 'KeepAliveRestored', data: { pairId, serverId, role, at: now } });
  const changed =
    member.reportedAt === null ||
    member.claimsControl !== report.inControl ||
    REDUNDANCY_SERVICES.some((s) => member[s] !== report[s]) ||
    member.replicationStatus !== report.replicationStatus ||
    member.peerReachable !== report.peerReachable ||
    isClockSkewExcessive(member.clockSkewMs) !== isClockSkewExcessive(clockSkewMs);
  if (changed) {
    events.push({
      type: 'MemberStateReported',
      data: {
        pairId,
        serverId,
        role,
        claimsControl: report.inControl,
        switchingService: report.switchingService,
        ipPhoneService: report.ipPhoneService,
        keepAliveService: report.keepAliveService,
        replicationStatus: report.replicationStatus,
        peerReachable: report.peerReachable,
        clockSkewMs,
        at: now,
      },
    });
  }
  return events;
}

/** Applies each event as it is decided, so later rules see the earlier ones. */
class Emitter {
  readonly events: PairEvent[] = [];
  constructor(public state: ConfiguredPair) {}
  emit(event: PairEvent): void {
    this.events.push(event);
    this.state = evolvePair(this.state, event) as ConfiguredPair;
  }
}

function evaluate(command: Evaluate, state: ConfiguredPair): PairEvent[] {
  const { pairId, now, lastKeepAliveAt } = command.data;
  const nowMs = time('now', now);
  const thresholdMs = state.config.failoverThresholdSec * 1000;
  const out = new Emitter(state);
  for (const role of ROLES) {
    const last = lastKeepAliveAt[role];
    const available = last !== null && nowMs - time(`lastKeepAliveAt.${role}`, last) < thresholdMs;
    const member = out.state.members[role];
    // Only a keep-alive (RecordKeepAlive) restores a member: a fallback time passed after a
    // restart of the service is no evidence that the member is back.
    if (member.available && !available) {
      out.emit({
        type: 'KeepAliveLost',
        data: { pairId, serverId: member.serverId, role, lastKeepAliveAt: last, at: now },
      });
    }
  }
  failOverIfNeeded(out, command, nowMs);
  checkSecondaryIsolation(out, now, nowMs);
  return out.events;
}

function failOverIfNeeded(out: Emitter, command: Evaluate, nowMs: number): void {
  const { pairId, now, switchId } = command.data;
  const state = out.state;
  const active = state.activeRole;
  if (state.members[active].available) return;
  const blocked = failoverBlockReason(state, nowMs);
  if (blocked !== null) {
    if (blocked !== state.blockedReason)
      out.emit({ type: 'FailoverBlocked', data: { pairId, reason: blocked, at: now } });
    return;
  }
  const last = command.data.lastKeepAliveAt[active];
  const reason =
    last === null
      ? `no keep-alive of the ${active} received`
      : `keep-alive of the ${active} missed for ${Math.floor((nowMs - Date.parse(last)) / 1000)} s`;
  out.emit({
    type: 'ControlSwitched',
    data: {
      pairId,
      switchId,
      kind: 'failover',
      from: active,
      to: otherRole(active),
      reason,
      by: SYSTEM_ACTOR,
      at: now,
    },
  });
}

/** Why the standby may not take over automatically now; null when it may. Stable per outage. */
function failoverBlockReason(state: ConfiguredPair, nowMs: number): string | null {
  const standby = otherRole(state.activeRole);
  const member = state.members[standby];
  if (!state.config.autoFailover) return 'automatic failover is off';
  if (!member.available) return `standby ${standby} is unavailable`;
  const down = servicesDown(member);
  if (down.length === 1) return `${down[0]} service of the standby ${standby} is down`;
  if (down.length > 1) return `${down.join(', ')} services of the standby ${standby} are down`;
  const last = state.lastSwitch;
  if (last !== null && nowMs - Date.parse(last.at) < state.config.holdDownSec * 1000) {
    return `hold-down of ${state.config.holdDownSec} s after the ${last.kind} at ${last.at}`;
  }
  return null;
}

function checkSecondaryIsolation(out: Emitter, now: string, nowMs: number): void {
  const since = out.state.unreachableSince;
  if (since === null) return;
  const { pairId } = out.state;
  const days = (nowMs - time('unreachableSince', since)) / DAY_MS;
  for (const daysLeft of SECONDARY_ISOLATION_WARNING_DAYS) {
    if (SECONDARY_ISOLATION_LIMIT_DAYS - days <= daysLeft && !out.state.warnedDaysLeft.includes(daysLeft)) {
      out.emit({ type: 'SecondaryIsolationWarning', data: { pairId, daysLeft, unreachableSince: since, at: now } });
    }
  }
  if (days >= SECONDARY_ISOLATION_LIMIT_DAYS && !out.state.functionLost) {
    out.emit({ type: 'SecondaryFunctionLost', data: { pairId, unreachableSince: since, at: now } });
  }
}

function manualSwitchover(command: ManualSwitchover, state: ConfiguredPair): PairEvent[] {
  const { pairId, now, by, reason, switchId } = command.data;
  if (state.lastSwitch?.switchId === switchId) return [];
  time('now', now);
  const check = isSwitchoverPossible(state);
  if (!check.ok) throw pairSwitchoverRefused(pairId, check.reason);
  const from = state.activeRole;
  return [
    {
      type: 'ControlSwitched',
      data: { pairId, switchId, kind: 'switchover', from, to: otherRole(from), reason, by, at: now },
    },
  ];
}

function recordNotification(command: RecordNotification): PairEvent[] {
  const { pairId, switchId, target, attempt, delivered, error, now } = command.data;
  return [{ type: 'SwitchoverNotified', data: { pairId, switchId, target, attempt, delivered, error, at: now } }];
}

export function evolvePair(state: PairState, event: PairEvent): PairState {
  switch (event.type) {
    case 'PairConfigured': {
      const { pairId, ...config } = event.data;
      const members = state.members ?? {
        primary: initialMemberState(config.primaryServerId, 'primary'),
        secondary: initialMemberState(config.secondaryServerId, 'secondary'),
      };
      return { ...state, exists: true, pairId, config, members };
    }
    case 'AutoFailoverSet':
      return state.config === null
        ? state
        : { ...state, config: { ...state.config, autoFailover: event.data.enabled } };
    case 'MemberStateReported': {
      const { pairId: _pairId, serverId: _serverId, role, at, ...reported } = event.data;
      const next = withMember(state, role, (m) => ({ ...m, ...reported, reportedAt: at }));
      if (role !== 'secondary') return next;
      if (reported.peerReachable) return { ...next, unreachableSince: null, warnedDaysLeft: [], functionLost: false };
      return next.unreachableSince === null ? { ...next, unreachableSince: at } : next;
    }
    case 'KeepAliveLost':
      return withMember(state, event.data.role, (m) => ({ ...m, available: false }));
    case 'KeepAliveRestored': {
      const next = withMember(state, event.data.role, (m) => ({ ...m, available: true }));
      return event.data.role === state.activeRole ? { ...next, blockedReason: null } : next;
    }
    case 'ControlSwitched': {
      const { switchId, kind, from, to, reason, at } = event.data;
      return { ...state, activeRole: to, lastSwitch: { switchId, kind, from, to, reason, at }, blockedReason: null };
    }
    case 'FailoverBlocked':
      return { ...state, blockedReason: event.data.reason };
    case 'SecondaryIsolationWarning':
      return { ...state, warnedDaysLeft: [...state.warnedDaysLeft, event.data.daysLeft] };
    case 'SecondaryFunctionLost':
      return { ...state, functionLost: true };
    case 'SwitchoverNotified': {
      const { pairId: _pairId, ...attempt } = event.data;
      return { ...state, notifications: [...state.notifications, attempt].slice(-MAX_NOTIFICATIONS) };
    }
    default:
      return assertNever(event, 'pair event');
  }
}

function withMember(state: PairState, role: MemberRole, change: (member: MemberState) => MemberState): PairState {
  if (state.members === null) return state;
  return { ...state, members: { ...state.members, [role]: change(state.members[role]) } };
}

function time(field: string, value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw pairInvalidTime(field, value);
  return ms;
}

const unique = (values: readonly string[]): string[] => [...new Set(values)];

/**
 * One redundancy pair (`pair-<pairId>`): configuration, members' keep-alives, automatic
 * failover, manual switchover, the secondary's 30-day isolation limit, switch notifications.
 * Only `ControlSwitched` changes which member is in control; members' claims never do.
 */
export const pairDecider: Decider<PairCommand, PairEvent, PairState> = {
  decide: decidePair,
  evolve: evolvePair,
  initialState: initialPairState,
};
