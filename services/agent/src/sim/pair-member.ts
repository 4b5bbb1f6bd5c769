import { z } from 'zod';
import { formatPath } from '@fleetwarden/contracts';
import {
  agentPairControlSchema,
  type AgentControlMessage,
  type AgentKeepAliveMessage,
  type MemberRole,
  type ReplicationState,
  type ServiceState,
} from '@fleetwarden/redundancy-contracts';

/** The redundancy services a member reports, as control actions name them. */
export const SIM_REDUNDANCY_SERVICES = ['switching', 'ip-phone', 'keep-alive'] as const;
export type SimRedundancyService = (typeof SIM_REDUNDANCY_SERVICES)[number];

const SERVICE_FIELD = {
  switching: 'switchingService',
  'ip-phone': 'ipPhoneService',
  'keep-alive': 'keepAliveService',
} as const satisfies Record<SimRedundancyService, keyof PairMemberState>;

/** What one pair member's keep-alive service knows and reports. */
export interface PairMemberState {
  readonly serverId: string;
  readonly pairId: string;
  readonly role: MemberRole;
  inControl: boolean;
  /** Where replication is by itself: the source `monitoring`, a destination `synchronizing`, then `updated`. */
  replication: ReplicationState;
  /** Set by the `replication` action: reported instead of `replication` until the next control request. */
  forcedReplication: ReplicationState | undefined;
  switchingService: ServiceState;
  ipPhoneService: ServiceState;
  keepAliveService: ServiceState;
  /** `keepalive-stop`: the keep-alive service sends nothing until `keepalive-start`. */
  keepAliveStopped: boolean;
  /** Bumped whenever replication starts over, so that a pending `updated` of an earlier round is dropped. */
  syncRound: number;
}

/** The primary starts in control and replicates to the secondary, which is synchronizing. */
export function initialMemberState(pairId: string, serverId: string, role: MemberRole): PairMemberState {
  const primary = role === 'primary';
  return {
    serverId,
    pairId,
    role,
    inControl: primary,
    replication: primary ? 'monitoring' : 'synchronizing',
    forcedReplication: undefined,
    switchingService: 'up',
    ipPhoneService: 'up',
    keepAliveService: 'up',
    keepAliveStopped: false,
    syncRound: 0,
  };
}

/** Whether the member's keep-alive service sends (neither stopped nor down). */
export function sendsKeepAlives(state: PairMemberState): boolean {
  return !state.keepAliveStopped && state.keepAliveService === 'up';
}

export function reportedReplication(state: PairMemberState): ReplicationState {
  return state.forcedReplication ?? state.replication;
}

/** The keep-alive the member sends now. */
export function keepAliveOf(state: PairMemberState, sentAt: Date, peerReachable: boolean): AgentKeepAliveMessage {
  return {
    serverId: state.serverId,
    sentAt: sentAt.toISOString(),
    inControl: state.inControl,
    switchingService: state.switchingService,
    ipPhoneService: state.ipPhoneService,
    keepAliveService: state.keepAliveService,
    replicationStatus: reportedReplication(state),
    peerReachable,
  };
}

/** Sets a reported service state; true when it changed. */
export function setService(state: PairMemberState, service: SimRedundancyService, value: ServiceState): boolean {
  const field = SERVICE_FIELD[service];
  if (state[field] === value) return false;
  state[field] = value;
  return true;
}

/** Forces the reported replication state; true when the reported state or the forcing changed. */
export function forceReplication(state: PairMemberState, value: ReplicationState): boolean {
  if (state.forcedReplication === value) return false;
  state.forcedReplication = value;
  return true;
}

/** Replication of round `round` caught up: `synchronizing` becomes `updated`; false when it no longer applies. */
export function finishSync(state: PairMemberState, round: number): boolean {
  if (state.syncRound !== round || state.replication !== 'synchronizing') return false;
  state.replication = 'updated';
  return true;
}

function becomeSource(state: PairMemberState): void {
  state.inControl = true;
  state.forcedReplication = undefined;
  if (state.replication !== 'monitoring') {
    state.replication = 'monitoring';
    state.syncRound++;
  }
}

function becomeDestination(state: PairMemberState): void {
  state.inControl = false;
  state.forcedReplication = undefined;
  state.replication = 'synchronizing';
  state.syncRound++;
}

/**
 * Applies a control request to `member` (and its peer, when alive). `assume-control`: the member
 * leads and is the replication source (`monitoring`); a live peer that led or was the source
 * becomes the destination (`synchronizing`). `release-control`: the member stands by; when it was
 * the source it becomes a destination. Any request ends the member's forced replication state.
 * Returns the members that started synchronizing (each finishes with {@link finishSync} later).
 */
export function applyControl(
  message: AgentControlMessage,
  member: PairMemberState,
  peer: PairMemberState | undefined,
): PairMemberState[] {
  const syncing: PairMemberState[] = [];
  member.forcedReplication = undefined;
  if (message.type === 'assume-control') {
    becomeSource(member);
    if (peer && (peer.inControl || peer.replication === 'monitoring')) {
      becomeDestination(peer);
      syncing.push(peer);
    }
  } else {
    member.inControl = false;
    if (member.replication === 'monitoring') {
      becomeDestination(member);
      syncing.push(member);
    }
  }
  return syncing;
}

/** Reply of a member to a control request. */
export type AgentControlReply = { ok: true } | { ok: false; error: string };

/**
 * Parses a control request for a member of `pairId`: `{ ok: false, error }` names the field at fault
 * (not JSON, a bad shape, another pair's id).
 */
export function parseAgentControl(
  text: string,
  pairId: string,
): { ok: true; message: AgentControlMessage } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `control request is not JSON: ${(err as Error).message}` };
  }
  const parsed = agentPairControlSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: `invalid control request: ${describe(parsed.error)}` };
  if (parsed.data.pairId !== pairId) {
    return { ok: false, error: `pairId: "${parsed.data.pairId}" is not this member's pair (${pairId})` };
  }
  return { ok: true, message: parsed.data };
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${formatPath(i.path)}: ${i.message}`)
    .join('; ');
}
