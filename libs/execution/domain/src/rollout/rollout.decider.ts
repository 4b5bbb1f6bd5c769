import { assertNever, type Decider } from '@fleetwarden/shared-domain';
import {
  rolloutAlreadyStarted,
  rolloutInvalidOptions,
  rolloutNotStarted,
  serverNotInRollout,
} from '../execution.errors';
import { isInWindow, lastWindowEnd, validateWindow } from './maintenance-window';
import type { RecordProgress, RecordTimeout, RolloutCommand, StartRollout, Tick } from './rollout.commands';
import type { RolloutEvent } from './rollout.events';
import {
  FINAL_STATUSES,
  IN_FLIGHT_STATUSES,
  type Component,
  type JobPhase,
  type PhaseTimeouts,
  type RolloutPair,
  type RolloutPairInput,
  type RolloutServer,
  type RolloutState,
  type ServerJobStatus,
} from './rollout.types';

/** Stream of one task's execution. */
export const rolloutStreamName = (taskId: string): string => `rollout-${taskId}`;

/** Deterministic job id: one dispatch per server and attempt. */
export const rolloutJobId = (taskId: string, serverId: string, attempt: number): string =>
  `${taskId}:${serverId}:${attempt}`;

const PHASE_RANK: Record<JobPhase | 'dispatched', number> = {
  dispatched: 0,
  downloading: 1,
  installing: 2,
  restarting: 3,
  validating: 4,
};

/** Clock seconds each component may take per status; a job's limit is the largest of its components. */
export const COMPONENT_TIMEOUTS: Record<Component, PhaseTimeouts> = {
  'server-image': { dispatched: 600, downloading: 3600, installing: 3600, restarting: 1200, validating: 900 },
  'web-apps': { dispatched: 600, downloading: 1200, installing: 1800, restarting: 600, validating: 600 },
  'client-apps': { dispatched: 600, downloading: 1200, installing: 1200, restarting: 300, validating: 300 },
};

/** The per-status limits of a job installing `components`: the largest limit of any of them. */
export function phaseTimeoutsFor(components: readonly Component[]): PhaseTimeouts {
  const keys = Object.keys(COMPONENT_TIMEOUTS['server-image']) as (keyof PhaseTimeouts)[];
  const result = {} as PhaseTimeouts;
  for (const key of keys) result[key] = Math.max(...components.map((c) => COMPONENT_TIMEOUTS[c][key]));
  return result;
}

export const isFinal = (status: ServerJobStatus): boolean => FINAL_STATUSES.includes(status);
export const isInFlight = (status: ServerJobStatus): boolean => IN_FLIGHT_STATUSES.includes(status);

export function initialRolloutState(): RolloutState {
  return {
    status: 'initial',
    taskId: '',
    startedAt: null,
    targetVersions: [],
    servers: [],
    staggerSeconds: 0,
    maxConcurrency: null,
    window: null,
    failureThreshold: null,
    timeouts: phaseTimeoutsFor(['server-image']),
    attempt: 1,
    pairs: [],
    halted: false,
  };
}

/** Decides, applying each event as it goes so later rules see the earlier ones. */
class Emitter {
  readonly events: RolloutEvent[] = [];
  private readonly draft: RolloutDraft;
  constructor(state: RolloutState) {
    this.draft = new RolloutDraft(state);
  }
  get state(): RolloutState {
    return this.draft.state;
  }
  emit(event: RolloutEvent): void {
    this.events.push(event);
    this.draft.apply(event);
  }
}

export function decideRollout(command: RolloutCommand, state: RolloutState): RolloutEvent[] {
  if (command.type === 'StartRollout') return start(command, state);
  if (command.type === 'CancelRollout' && state.status === 'initial') return cancelledBeforeStart(command);
  if (state.status === 'initial') throw rolloutNotStarted(command.type);
  if (state.status === 'finished') return [];
  const out = new Emitter(state);
  switch (command.type) {
    case 'Tick':
      tick(command, out);
      break;
    case 'RecordProgress':
      progress(command, out);
      break;
    case 'RecordTimeout':
      timeout(command, out);
      break;
    case 'RecordSwitchover': {
      const pair = out.state.pairs.find((p) => p.pairId === command.data.pairId);
      if (!pair || pair.activeServerId === command.data.activeServerId) break;
      if (![pair.primaryServerId, pair.secondaryServerId].includes(command.data.activeServerId)) break;
      out.emit({
        type: 'RolloutPairSwitched',
        data: {
          taskId: out.state.taskId,
          pairId: pair.pairId,
          activeServerId: command.data.activeServerId,
          at: command.data.now,
        },
      });
      break;
    }
    case 'RecordSwitchoverRefused': {
      const pair = out.state.pairs.find((p) => p.pairId === command.data.pairId);
      const active = pair ? serverOf(out.state, pair.activeServerId) : undefined;
      if (!pair || !pair.switchRequested || active?.status !== 'queued') break;
      out.emit({
        type: 'ServerUpdateNotStarted',
        data: {
          taskId: out.state.taskId,
          serverId: active.serverId,
          reason: 'switchover-refused',
          detail: command.data.reason,
        },
      });
      finishIfDone(out, command.data.now);
      break;
    }
    case 'CancelRollout':
      for (const server of out.state.servers.filter((s) => s.status === 'queued')) {
        out.emit({ type: 'ServerUpdateCancelled', data: { taskId: state.taskId, serverId: server.serverId } });
      }
      finishIfDone(out, command.data.now);
      break;
    default:
      return assertNever(command, 'command');
  }
  return out.events;
}

function start(command: StartRollout, state: RolloutState): RolloutEvent[] {
  const d = command.data;
  if (state.status !== 'initial') {
    // A redelivered start, or the start of a task cancelled before it began.
    if (state.taskId === d.taskId && (state.startedAt === d.startedAt || state.startedAt === null)) return [];
    throw rolloutAlreadyStarted(state.taskId);
  }
  if (d.serverIds.length === 0) throw rolloutInvalidOptions('no target servers');
  if (new Set(d.serverIds).size !== d.serverIds.length) throw rolloutInvalidOptions('duplicate target servers');
  if (!Number.isFinite(d.staggerSeconds) || d.staggerSeconds < 0) throw rolloutInvalidOptions('negative stagger');
  if (d.maxConcurrency !== null && (!Number.isInteger(d.maxConcurrency) || d.maxConcurrency < 1)) {
    throw rolloutInvalidOptions('maxConcurrency must be a whole number >= 1');
  }
  if (d.failureThreshold !== null && (!Number.isInteger(d.failureThreshold) || d.failureThreshold < 1)) {
    throw rolloutInvalidOptions('failureThreshold must be a whole number >= 1');
  }
  if (!Number.isInteger(d.attempt) || d.attempt < 1) throw rolloutInvalidOptions('attempt must be a whole number >= 1');
  for (const [status, seconds] of Object.entries(d.timeouts)) {
    if (!Number.isFinite(seconds) || seconds <= 0) throw rolloutInvalidOptions(`timeout of ${status} must be > 0`);
  }
  if (Number.isNaN(Date.parse(d.startedAt))) throw rolloutInvalidOptions(`startedAt is not a date: ${d.startedAt}`);
  if (d.window !== null) validateWindow(d.window);
  const pairs = (d.pairs ?? []).filter(
    (p) => d.serverIds.includes(p.primaryServerId) || d.serverIds.includes(p.secondaryServerId),
  );
  return [{ type: 'RolloutStarted', data: { ...d, serverIds: standbysFirst(d.serverIds, pairs), pairs } }];
}

/**
 * The start order with, for each pair whose two members are both targets, the standby in the
 * earlier of their two places: the standby is updated first, the active member after a switchover.
 */
export function standbysFirst(serverIds: readonly string[], pairs: readonly RolloutPairInput[]): string[] {
  const order = [...serverIds];
  for (const pair of pairs) {
    const active = pair.activeServerId;
    const standby = active === pair.primaryServerId ? pair.secondaryServerId : pair.primaryServerId;
    const a = order.indexOf(active);
    const b = order.indexOf(standby);
    if (a >= 0 && b >= 0 && a < b) [order[a], order[b]] = [order[b], order[a]];
  }
  return order;
}

function pairOf(state: RolloutState, serverId: string): RolloutPair | undefined {
  return state.pairs.find((p) => p.primaryServerId === serverId || p.secondaryServerId === serverId);
}

/**
 * Whether a queued, due server of a pair may start now: never while its peer is updating; the
 * active member only after control passed to its updated standby (asked for here once).
 */
function pairAllows(out: Emitter, server: RolloutServer, now: string): boolean {
  const pair = pairOf(out.state, server.serverId);
  if (!pair) return true;
  const peerId = pair.primaryServerId === server.serverId ? pair.secondaryServerId : pair.primaryServerId;
  const peer = serverOf(out.state, peerId);
  if (peer && isInFlight(peer.status)) return false;
  if (pair.activeServerId !== server.serverId) return true;
  const { taskId } = out.state;
  const notStarted = (detail: string): false => {
    out.emit({
      type: 'ServerUpdateNotStarted',
      data: { taskId, serverId: server.serverId, reason: 'switchover-refused', detail },
    });
    return false;
  };
  if (!peer) return notStarted(`its standby ${peerId} (pair ${pair.pairId}) is not a target of the task`);
  if (peer.status === 'completed') {
    if (!pair.switchRequested) {
      out.emit({
        type: 'SwitchoverRequested',
        data: { taskId, pairId: pair.pairId, fromServerId: server.serverId, toServerId: peerId, at: now },
      });
    }
    return false;
  }
  if (isFinal(peer.status)) return notStarted(`its standby ${peerId} was not updated (${peer.status})`);
  return false;
}

function cancelledBeforeStart(command: Extract<RolloutCommand, { type: 'CancelRollout' }>): RolloutEvent[] {
  const { taskId, now } = command.data;
  return [
    {
      type: 'RolloutFinished',
      data: {
        taskId,
        outcome: 'cancelled',
        completed: 0,
        failed: 0,
        notStarted: 0,
        cancelled: 0,
        completedServerIds: [],
        failedServerIds: [],
        finishedAt: now,
      },
    },
  ];
}

/** Fails every in-flight job that stayed in its status longer than its limit. */
function timeOutJobs(out: Emitter, now: number, nowIso: string, watchingSince: number): void {
  for (const server of out.state.servers) {
    if (out.state.status === 'finished') return;
    if (!isInFlight(server.status) || server.jobId === null || server.phaseSince === null) continue;
    const status = server.status as keyof PhaseTimeouts;
    const limitMs = out.state.timeouts[status] * 1000;
    if (now - Math.max(Date.parse(server.phaseSince), watchingSince) >= limitMs) {
      fail(out, server, server.jobId, `timed out while ${status}`, [], nowIso);
    }
  }
}

function eligibleAt(state: RolloutState, server: RolloutServer): number {
  return Date.parse(state.startedAt ?? '') + server.index * state.staggerSeconds * 1000;
}

function tick(command: Tick, out: Emitter): void {
  const now = Date.parse(command.data.now);
  if (Number.isNaN(now)) throw rolloutInvalidOptions(`now is not a date: ${command.data.now}`);
  const watchingSince = command.data.watchingSince ? Date.parse(command.data.watchingSince) : Number.NEGATIVE_INFINITY;
  timeOutJobs(out, now, command.data.now, watchingSince);
  if (out.state.status === 'finished') return;
  const connected = new Set(command.data.connectedServerIds);
  const { taskId, window } = out.state;
  const eligible = out.state.servers.filter((s) => s.status === 'queued' && eligibleAt(out.state, s) <= now);

  if (window !== null && !isInWindow(window, now)) {
    const endedAt = lastWindowEnd(window, now);
    for (const server of eligible) {
      if (!connected.has(server.serverId) && eligibleAt(out.state, server) < endedAt) {
        out.emit({
          type: 'ServerUpdateNotStarted',
          data: { taskId, serverId: server.serverId, reason: 'window-ended' },
        });
      }
    }
    finishIfDone(out, command.data.now);
    return;
  }

  let inFlight = out.state.servers.filter((s) => isInFlight(s.status)).length;
  const limit = out.state.maxConcurrency ?? Number.POSITIVE_INFINITY;
  for (const server of eligible) {
    if (inFlight >= limit) break;
    if (!pairAllows(out, server, command.data.now)) continue;
    if (!connected.has(server.serverId)) continue;
    const attempt = out.state.attempt;
    out.emit({
      type: 'ServerUpdateDispatched',
      data: {
        taskId,
        serverId: server.serverId,
        jobId: rolloutJobId(taskId, server.serverId, attempt),
        attempt,
        dispatchedAt: command.data.now,
      },
    });
    inFlight += 1;
  }
  finishIfDone(out, command.data.now);
}

function inFlightServer(out: Emitter, serverId: string, jobId: string): RolloutServer | null {
  const server = serverOf(out.state, serverId);
  if (!server) throw serverNotInRollout(out.state.taskId, serverId);
  if (!isInFlight(server.status) || server.jobId !== jobId) return null;
  return server;
}

function progress(command: RecordProgress, out: Emitter): void {
  const { serverId, jobId, phase, now } = command.data;
  const log = command.data.log ?? [];
  const server = inFlightServer(out, serverId, jobId);
  if (!server) return;
  const { taskId } = out.state;
  if (phase === 'failed') {
    fail(
      out,
      server,
      jobId,
      command.data.error ? `agent: ${command.data.error}` : 'agent reported a failure',
      log,
      now,
    );
    return;
  }
  if (phase === 'done') {
    const reason = validationFailure(out.state, command);
    if (reason === null) {
      out.emit({
        type: 'ServerUpdateCompleted',
        data: { taskId, serverId, jobId, versions: command.data.versions ?? [], finishedAt: now },
      });
      finishIfDone(out, now);
    } else {
      fail(out, server, jobId, reason, log, now);
    }
    return;
  }
  if (PHASE_RANK[phase] <= PHASE_RANK[server.status as JobPhase | 'dispatched']) return;
  out.emit({ type: 'ServerUpdateProgressed', data: { taskId, serverId, jobId, phase, log, at: now } });
}

function validationFailure(state: RolloutState, command: RecordProgress): string | null {
  const { validation, versions = [] } = command.data;
  if (!validation?.passed) {
    return `validation failed${validation?.detail ? `: ${validation.detail}` : ''}`;
  }
  for (const target of state.targetVersions) {
    const reported = versions.find((v) => v.component === target.component)?.version;
    if (reported !== target.version) {
      return `version mismatch on ${target.component}: expected ${target.version}, reported ${reported ?? 'none'}`;
    }
  }
  return null;
}

function timeout(command: RecordTimeout, out: Emitter): void {
  const { serverId, jobId, phase, now } = command.data;
  const server = inFlightServer(out, serverId, jobId);
  if (!server || server.status !== phase) return;
  fail(out, server, jobId, `timed out while ${phase}`, [], now);
}

function fail(out: Emitter, server: RolloutServer, jobId: string, reason: string, log: string[], now: string): void {
  const { taskId } = out.state;
  out.emit({
    type: 'ServerUpdateFailed',
    data: { taskId, serverId: server.serverId, jobId, reason, log, finishedAt: now },
  });
  const failed = out.state.servers.filter((s) => s.status === 'failed').length;
  const threshold = out.state.failureThreshold;
  if (!out.state.halted && threshold !== null && failed >= threshold) {
    for (const queued of out.state.servers.filter((s) => s.status === 'queued')) {
      out.emit({ type: 'ServerUpdateNotStarted', data: { taskId, serverId: queued.serverId, reason: 'halted' } });
    }
    const servers = out.state.servers;
    out.emit({
      type: 'RolloutHalted',
      data: {
        taskId,
        failed,
        failedServerIds: servers.filter((s) => s.status === 'failed').map((s) => s.serverId),
        startedServerIds: servers.filter((s) => s.startedAt !== null).map((s) => s.serverId),
        at: now,
      },
    });
  }
  finishIfDone(out, now);
}

function finishIfDone(out: Emitter, now: string): void {
  const { servers, taskId } = out.state;
  if (!servers.every((s) => isFinal(s.status))) return;
  const count = (status: ServerJobStatus): number => servers.filter((s) => s.status === status).length;
  const completed = count('completed');
  const failed = count('failed');
  const notStarted = count('not-started');
  const cancelled = count('cancelled');
  const outcome = failed > 0 || notStarted > 0 ? 'failed' : cancelled > 0 ? 'cancelled' : 'completed';
  out.emit({
    type: 'RolloutFinished',
    data: {
      taskId,
      outcome,
      completed,
      failed,
      notStarted,
      cancelled,
      completedServerIds: servers.filter((s) => s.status === 'completed').map((s) => s.serverId),
      failedServerIds: servers.filter((s) => s.status === 'failed').map((s) => s.serverId),
      finishedAt: now,
    },
  });
}

/** Position of each server id in a `servers` array (same order in every copy of it). */
const positions = new WeakMap<readonly RolloutServer[], Map<string, number>>();

function positionsOf(servers: readonly RolloutServer[]): Map<string, number> {
  let map = positions.get(servers);
  if (!map) {
    map = new Map(servers.map((s, i) => [s.serverId, i]));
    positions.set(servers, map);
  }
  return map;
}

/** The server with that id, found by position (no scan). */
export function serverOf(state: RolloutState, serverId: string): RolloutServer | undefined {
  const i = positionsOf(state.servers).get(serverId);
  return i === undefined ? undefined : state.servers[i];
}

/**
 * Applies events to a state without copying the server list per event: the list is copied once,
 * on the first server change, and changed in place afterwards (the state handed in is never
 * changed). Keeps evolving a 10,000-server rollout linear in the number of events.
 */
class RolloutDraft {
  private owned: RolloutServer[] | null = null;
  constructor(public state: RolloutState) {}

  apply(event: RolloutEvent): void {
    switch (event.type) {
      case 'RolloutStarted': {
        const { serverIds, ...options } = event.data;
        this.owned = serverIds.map((serverId, index) => ({
          serverId,
          index,
          status: 'queued',
          attempt: options.attempt,
          jobId: null,
          startedAt: null,
          phaseSince: null,
          finishedAt: null,
          errorLog: [],
        }));
        this.state = {
          ...this.state,
          ...options,
          pairs: (options.pairs ?? []).map((p) => ({ ...p, switchRequested: false })),
          status: 'running',
          servers: this.owned,
        };
        return;
      }
      case 'ServerUpdateDispatched':
        return this.change(event.data.serverId, () => ({
          status: 'dispatched',
          jobId: event.data.jobId,
          attempt: event.data.attempt,
          startedAt: event.data.dispatchedAt,
          phaseSince: event.data.dispatchedAt,
        }));
      case 'ServerUpdateProgressed':
        return this.change(event.data.serverId, (s) => ({
          status: event.data.phase,
          phaseSince: event.data.at,
          errorLog: [...s.errorLog, ...event.data.log],
        }));
      case 'ServerUpdateCompleted':
        return this.change(event.data.serverId, () => ({
          status: 'completed',
          phaseSince: null,
          finishedAt: event.data.finishedAt,
        }));
      case 'ServerUpdateFailed':
        return this.change(event.data.serverId, (s) => ({
          status: 'failed',
          phaseSince: null,
          finishedAt: event.data.finishedAt,
          errorLog: [...s.errorLog, ...event.data.log, event.data.reason],
        }));
      case 'ServerUpdateCancelled':
        return this.change(event.data.serverId, () => ({ status: 'cancelled' }));
      case 'ServerUpdateNotStarted':
        return this.change(event.data.serverId, () => ({ status: 'not-started' }));
      case 'RolloutHalted':
        this.state = { ...this.state, halted: true };
        return;
      case 'SwitchoverRequested':
        this.state = {
          ...this.state,
          pairs: this.state.pairs.map((p) => (p.pairId === event.data.pairId ? { ...p, switchRequested: true } : p)),
        };
        return;
      case 'RolloutPairSwitched':
        this.state = {
          ...this.state,
          pairs: this.state.pairs.map((p) =>
            p.pairId === event.data.pairId
              ? { ...p, activeServerId: event.data.activeServerId, switchRequested: false }
              : p,
          ),
        };
        return;
      case 'RolloutFinished':
        this.state = { ...this.state, taskId: event.data.taskId, status: 'finished' };
        return;
      default:
        return assertNever(event, 'event');
    }
  }

  private change(serverId: string, change: (server: RolloutServer) => Partial<RolloutServer>): void {
    const i = positionsOf(this.state.servers).get(serverId);
    if (i === undefined) return;
    if (this.owned !== this.state.servers) {
      const copy = [...this.state.servers];
      positions.set(copy, positionsOf(this.state.servers));
      this.owned = copy;
      this.state = { ...this.state, servers: copy };
    }
    const owned = this.owned as RolloutServer[];
    owned[i] = { ...owned[i], ...change(owned[i]) };
  }
}

/** Applies `events` in order. */
export function evolveRolloutAll(state: RolloutState, events: readonly RolloutEvent[]): RolloutState {
  const draft = new RolloutDraft(state);
  for (const event of events) draft.apply(event);
  return draft.state;
}

export function evolveRollout(state: RolloutState, event: RolloutEvent): RolloutState {
  return evolveRolloutAll(state, [event]);
}

/** One task execution (`rollout-<taskId>`): staggered dispatch, progress, validation, halt, finish. */
export const rolloutDecider: Decider<RolloutCommand, RolloutEvent, RolloutState> = {
  decide: decideRollout,
  evolve: evolveRollout,
  initialState: initialRolloutState,
};
