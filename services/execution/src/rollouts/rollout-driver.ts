import type { LoggerService } from '@nestjs/common';
import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Subjects } from '@fleetwarden/contracts';
import type { EventStore } from '@fleetwarden/eventstore';
import { AgentProgress, type AgentProgressMessage } from '@fleetwarden/execution-contracts';
import {
  isFinal,
  serverOf,
  type PhaseTimeouts,
  type RecordProgress,
  type RolloutEvent,
  type RolloutState,
} from '@fleetwarden/execution-domain';
import { DurableEventConsumer, type EventConsumerSettings } from '@fleetwarden/messaging';
import type { Clock } from '@fleetwarden/shared-domain';
import { AgentDispatcher, updateCommandOf } from './agent-dispatcher';
import { executionTables, setTaskStatus, sql } from './execution-tables';
import { isRefusal, RolloutBook } from './rollout-book';
import { SwitchoverRequests } from './switchover-requests';

/** Name of the lock held by the one instance that drives the rollouts. */
export const ROLLOUTS_LOCK = 'execution-rollouts';

export interface RolloutDriverOptions {
  store: EventStore;
  schema: string;
  nc: NatsConnection;
  subjects: Subjects;
  clock: Clock;
  /** `FLEETWARDEN_CLOCK_SPEED`: clock ms per real ms. */
  clockSpeed: number;
  logger: Pick<LoggerService, 'log' | 'warn' | 'error' | 'debug'>;
  /** Longest real wait between two passes over the running rollouts, in ms (default 200). */
  pollMs?: number;
  /** How often a follower tries to take the lock, in real ms (default 2000). */
  retryMs?: number;
  /** Real ms before a command the agent has not accepted is sent again (default 1000). */
  resendMs?: number;
  /** Real ms to wait for an agent's reply to a command (default 2000). */
  requestTimeoutMs?: number;
  /** Commands in flight to agents at once (default 256). */
  dispatchConcurrency?: number;
  /** Tuning of the agent-progress consumer (concurrency default 64). */
  progress?: EventConsumerSettings;
  /** First delay between two switchover requests of a pair, in real ms (default 1000). */
  switchoverRetryMs?: number;
}

/** Driver counters, for health and benchmarks. */
export interface RolloutDriverStats {
  leader: boolean;
  rollouts: number;
  dispatched: number;
  accepted: number;
  progress: number;
}

/** `<taskId>:<serverId>:<attempt>` → taskId; null when the id has another shape. */
export function taskIdOfJob(jobId: string): string | null {
  const parts = jobId.split(':');
  if (parts.length < 3 || !/^\d+$/.test(parts[parts.length - 1])) return null;
  return parts.slice(0, -2).join(':');
}

/** The domain command for one progress message of an agent. */
export function progressCommand(message: AgentProgressMessage, now: string): RecordProgress | null {
  const base = { serverId: message.serverId, jobId: message.jobId, log: message.log, now };
  switch (message.phase) {
    case 'accepted':
      return null;
    case 'completed':
      return {
        type: 'RecordProgress',
        data: { ...base, phase: 'done', versions: message.versions, validation: message.validation },
      };
    case 'failed':
      return { type: 'RecordProgress', data: { ...base, phase: 'failed', error: message.error } };
    default:
      return { type: 'RecordProgress', data: { ...base, phase: message.phase } };
  }
}

/**
 * Drives every running rollout from one instance, elected by an advisory lock: ticks each rollout
 * (staggered starts, concurrency, window, timeouts), sends the `update` command of each server it
 * dispatches (again, until the agent accepts it), and records the agents' progress, which it
 * consumes from the durable `<NS>_AGENT_PROGRESS` stream, so that nothing an agent reports while
 * no instance leads is lost. Another instance takes over within `retryMs` when the leader dies.
 */
export class RolloutDriver {
  readonly book: RolloutBook;
  private readonly dispatcher: AgentDispatcher;
  private readonly stopper = new AbortController();
  private running: Promise<void> | null = null;
  private leading = false;
  private wakeUp: (() => void) | null = null;
  private consumer: DurableEventConsumer<AgentProgressMessage> | null = null;
  private readonly tenants = new Map<string, string | null>();
  /** Jobs whose agent accepted the command, and real times of the last send of the others. */
  private readonly accepted = new Set<string>();
  private readonly lastSent = new Map<string, number>();
  private readonly sending = new Set<string>();
  private readonly waiting: Array<() => void> = [];
  private inFlightSends = 0;
  /** Clock time this instance began to lead: no job times out for the time nobody watched. */
  private leadSince = '';
  /** Real time of the last look at the running tasks; -inf forces a look. */
  private refreshedAt = Number.NEGATIVE_INFINITY;
  private runningIds: string[] = [];
  private readonly counters = { dispatched: 0, progress: 0 };

  constructor(private readonly options: RolloutDriverOptions) {
    this.book = new RolloutBook(options.store, options.clock, (taskId, events, state) =>
      this.afterAppend(taskId, events, state),
    );
    this.dispatcher = new AgentDispatcher(options.nc, options.subjects, options.requestTimeoutMs ?? 2000);
    this.switchovers = new SwitchoverRequests({
      nc: options.nc,
      subjects: options.subjects,
      logger: options.logger,
      retryMs: options.switchoverRetryMs,
    });
  }

  private readonly switchovers: SwitchoverRequests;
  /** `<taskId>:<pairId>` of the switchover requests in flight from this instance. */
  private readonly requesting = new Set<string>();

  get isLeader(): boolean {
    return this.leading;
  }

  get stats(): RolloutDriverStats {
    return {
      leader: this.leading,
      rollouts: this.book.size,
      dispatched: this.counters.dispatched,
      accepted: this.accepted.size,
      progress: this.counters.progress,
    };
  }

  start(): void {
    this.running ??= this.contend();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    this.wake();
    await this.running;
  }

  /** Looks at the rollouts now; `refresh`: also at the list of running tasks (one was started). */
  wake(refresh = false): void {
    if (refresh) this.refreshedAt = Number.NEGATIVE_INFINITY;
    const wake = this.wakeUp;
    this.wakeUp = null;
    wake?.();
  }

  private async contend(): Promise<void> {
    const { store, logger } = this.options;
    while (!this.stopper.signal.aborted) {
      try {
        const { acquired } = await store.tryWithLock(ROLLOUTS_LOCK, (lost) => this.lead(lost));
        if (!acquired) await this.sleep(this.options.retryMs ?? 2000);
      } catch (err) {
        if (this.stopper.signal.aborted) return;
        logger.error(`rollout driver failed, retrying: ${String(err)}`);
        await this.sleep(this.options.retryMs ?? 2000);
      }
    }
  }

  private async lead(lost: AbortSignal): Promise<void> {
    this.leading = true;
    this.leadSince = this.options.clock.now().toISOString();
    const onLost = () => this.wake();
    lost.addEventListener('abort', onLost, { once: true });
    try {
      this.consumer = this.progressConsumer();
      await this.consumer.start();
      this.options.logger.log('leading the rollouts');
      while (!this.stopper.signal.aborted && !lost.aborted) {
        const waitMs = await this.pass();
        const asleep = performance.now();
        await this.sleep(waitMs);
        const overslept = performance.now() - asleep - waitMs;
        if (overslept > 50) this.options.logger.warn(`rollout driver woke ${Math.round(overslept)} ms late`);
      }
    } finally {
      lost.removeEventListener('abort', onLost);
      await this.consumer?.stop();
      this.consumer = null;
      this.leading = false;
      this.book.clear();
      this.accepted.clear();
      this.lastSent.clear();
    }
  }

  /** One look at every running rollout; returns the real ms until the next thing is due. */
  private async pass(): Promise<number> {
    const { store, schema, clock, clockSpeed } = this.options;
    const pollMs = this.options.pollMs ?? 200;
    if (performance.now() - this.refreshedAt >= pollMs) {
      this.refreshedAt = performance.now();
      const t = executionTables(schema);
      const running = await sql<{ task_id: string; tenant: string | null }>(
        store,
        `SELECT task_id, tenant FROM ${t.tasks} WHERE status = 'running'`,
      );
      for (const row of running.rows) this.tenants.set(row.task_id, row.tenant);
      this.runningIds = running.rows.map((r) => r.task_id);
      const ids = new Set(this.runningIds);
      for (const taskId of this.book.taskIds()) if (!ids.has(taskId)) this.book.forget(taskId);
    }
    const ids = this.runningIds;
    let nextDue = Number.POSITIVE_INFINITY;
    for (const taskId of ids) {
      if (this.stopper.signal.aborted) break;
      try {
        nextDue = Math.min(nextDue, await this.tick(taskId));
      } catch (err) {
        this.options.logger.error(`rollout of task ${taskId}: tick failed: ${String(err)}`);
      }
    }
    const untilDue = (nextDue - clock.now().getTime()) / clockSpeed;
    const untilRefresh = this.refreshedAt + pollMs - performance.now();
    return Math.max(1, Math.min(untilRefresh, untilDue));
  }

  /** Ticks one rollout and re-sends unaccepted commands; returns the clock ms of its next due time. */
  private async tick(taskId: string): Promise<number> {
    const { store, schema, clock } = this.options;
    const tenant = this.tenants.get(taskId) ?? null;
    if (!this.book.peek(taskId)) await this.book.run(taskId, tenant, () => null);
    const before = this.book.peek(taskId);
    if (!before || before.status === 'finished' || before.status === 'initial') {
      if (before?.status === 'finished') await setTaskStatus(store, schema, taskId, 'finished');
      this.book.forget(taskId);
      return Number.POSITIVE_INFINITY;
    }
    const t0 = performance.now();
    const nowMs = clock.now().getTime();
    const candidates = before.servers
      .filter((s) => s.status === 'queued' && eligibleAt(before, s.index) <= nowMs)
      .map((s) => s.serverId);
    const connected = candidates.length > 0 ? await this.connectedOf(candidates) : [];
    const t1 = performance.now();
    const now = clock.now().toISOString();
    await this.book.run(taskId, tenant, () => ({
      type: 'Tick',
      data: { now, connectedServerIds: connected, watchingSince: this.leadSince || undefined },
    }));
    const t2 = performance.now();
    if (t2 - t0 > 50) {
      this.options.logger.warn(
        `rollout of task ${taskId}: tick took ${Math.round(t2 - t0)} ms (presence ${Math.round(t1 - t0)} ms, decide and append ${Math.round(t2 - t1)} ms)`,
      );
    }
    const state = this.book.peek(taskId);
    if (!state || state.status === 'finished') return Number.POSITIVE_INFINITY;
    this.resend(taskId, state);
    return nextDueOf(state, Date.parse(now));
  }

  private async connectedOf(serverIds: string[]): Promise<string[]> {
    const t = executionTables(this.options.schema);
    const res = await sql<{ server_id: string }>(
      this.options.store,
      `SELECT server_id FROM ${t.presence} WHERE connected AND server_id = ANY($1::text[])`,
      [serverIds],
    );
    return res.rows.map((r) => r.server_id);
  }

  private afterAppend(taskId: string, events: RolloutEvent[], state: RolloutState): void {
    let ended = false;
    for (const event of events) {
      switch (event.type) {
        case 'ServerUpdateDispatched':
          this.counters.dispatched++;
          void this.dispatch(taskId, event.data.serverId);
          break;
        case 'ServerUpdateCompleted':
        case 'ServerUpdateFailed':
          this.accepted.delete(event.data.jobId);
          this.lastSent.delete(event.data.jobId);
          ended = true;
          break;
        case 'SwitchoverRequested':
          void this.switchover(taskId, event.data.pairId, event.data.toServerId, event.data.fromServerId);
          break;
        case 'RolloutFinished':
          void setTaskStatus(this.options.store, this.options.schema, taskId, 'finished').catch((err) =>
            this.options.logger.error(`task ${taskId}: cannot mark finished: ${String(err)}`),
          );
          ended = true;
          break;
        default:
          break;
      }
    }
    if (ended && state.status !== 'finished') this.wake();
  }

  /** Asks for the switchover a rollout needs, then tells the rollout how it went. */
  private async switchover(taskId: string, pairId: string, toServerId: string, fromServerId: string): Promise<void> {
    const key = `${taskId}:${pairId}`;
    if (this.requesting.has(key)) return;
    this.requesting.add(key);
    try {
      await this.requestSwitchover(taskId, pairId, toServerId, fromServerId);
    } finally {
      this.requesting.delete(key);
    }
  }

  private async requestSwitchover(
    taskId: string,
    pairId: string,
    toServerId: string,
    fromServerId: string,
  ): Promise<void> {
    const outcome = await this.switchovers.request(
      pairId,
      `update task ${taskId}: standby ${toServerId} is updated, ${fromServerId} is next`,
    );
    const now = this.options.clock.now().toISOString();
    try {
      await this.book.run(taskId, this.tenants.get(taskId) ?? null, () =>
        outcome.kind === 'switched'
          ? { type: 'RecordSwitchover', data: { pairId, activeServerId: toServerId, now } }
          : { type: 'RecordSwitchoverRefused', data: { pairId, reason: outcome.reason, now } },
      );
    } catch (err) {
      this.options.logger.error(`task ${taskId}: switchover outcome of pair ${pairId} not recorded: ${String(err)}`);
    }
    this.wake();
  }

  private resend(taskId: string, state: RolloutState): void {
    // A switchover asked for by a leader that died before the answer: ask again.
    for (const pair of state.pairs) {
      if (!pair.switchRequested || this.requesting.has(`${taskId}:${pair.pairId}`)) continue;
      const standby = pair.activeServerId === pair.primaryServerId ? pair.secondaryServerId : pair.primaryServerId;
      void this.switchover(taskId, pair.pairId, standby, pair.activeServerId);
    }
    const resendMs = this.options.resendMs ?? 1000;
    const realNow = performance.now();
    for (const server of state.servers) {
      if (server.status !== 'dispatched' || server.jobId === null) continue;
      if (this.accepted.has(server.jobId) || this.sending.has(server.jobId)) continue;
      const last = this.lastSent.get(server.jobId);
      if (last !== undefined && realNow - last < resendMs) continue;
      void this.dispatch(taskId, server.serverId);
    }
  }

  private async dispatch(taskId: string, serverId: string): Promise<void> {
    const state = this.book.peek(taskId);
    const server = state ? serverOf(state, serverId) : undefined;
    if (!state || !server?.jobId || server.status !== 'dispatched') return;
    const jobId = server.jobId;
    if (this.sending.has(jobId) || this.accepted.has(jobId)) return;
    this.sending.add(jobId);
    this.lastSent.set(jobId, performance.now());
    await this.acquireSend();
    try {
      const outcome = await this.dispatcher.send(serverId, updateCommandOf(state, server));
      if (outcome.kind === 'accepted') this.accepted.add(jobId);
      else if (outcome.kind === 'refused') {
        const now = this.options.clock.now().toISOString();
        await this.book.run(taskId, this.tenants.get(taskId) ?? null, () => ({
          type: 'RecordProgress',
          data: { serverId, jobId, phase: 'failed', error: `refused the job: ${outcome.error}`, log: [], now },
        }));
      } else {
        this.options.logger.debug?.(`job ${jobId}: not accepted yet (${outcome.reason}); will send again`);
      }
    } catch (err) {
      this.options.logger.warn(`job ${jobId}: dispatch failed: ${String(err)}`);
    } finally {
      this.releaseSend();
      this.lastSent.set(jobId, performance.now());
      this.sending.delete(jobId);
    }
  }

  private async acquireSend(): Promise<void> {
    if (this.inFlightSends < (this.options.dispatchConcurrency ?? 256)) {
      this.inFlightSends++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private releaseSend(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlightSends--;
  }

  private progressConsumer(): DurableEventConsumer<AgentProgressMessage> {
    const { nc, subjects } = this.options;
    return new DurableEventConsumer<AgentProgressMessage>(nc, {
      concurrency: 64,
      retryInitialMs: 200,
      retryMaxMs: 5000,
      // Progress handed to a leader that dies before acking it comes back after this: well within a
      // phase's time limit (also at the demo's fast clocks), so the next leader applies it in time.
      ackWaitMs: 5000,
      ...this.options.progress,
      stream: subjects.agentProgressStream,
      name: subjects.consumerName('execution', 'agent-progress'),
      filterSubject: subjects.allAgentProgress,
      deadLetterSubject: subjects.deadLetter(subjects.consumerName('execution', 'agent-progress')),
      parse: (data) => AgentProgress.parse(JSON.parse(new TextDecoder().decode(data))),
      describe: (m) => `progress ${m.phase} of job ${m.jobId}`,
      handle: (message, raw) => this.onProgress(message, raw),
    });
  }

  private async onProgress(message: AgentProgressMessage, raw: JsMsg): Promise<void> {
    const { logger } = this.options;
    const token = raw.subject.split('.')[2];
    if (token !== message.serverId) {
      logger.warn(`progress on ${raw.subject} names server ${message.serverId}: dropped`);
      return;
    }
    const taskId = taskIdOfJob(message.jobId);
    if (taskId === null) {
      logger.warn(`progress of server ${message.serverId}: job id ${message.jobId} is not one of ours: dropped`);
      return;
    }
    if (message.phase === 'accepted') {
      this.accepted.add(message.jobId);
      return;
    }
    if (!this.tenants.has(taskId)) {
      const t = executionTables(this.options.schema);
      const row = await sql<{ tenant: string | null; status: string }>(
        this.options.store,
        `SELECT tenant, status FROM ${t.tasks} WHERE task_id = $1`,
        [taskId],
      );
      if (row.rows[0]?.status !== 'running') {
        logger.debug?.(`progress of job ${message.jobId}: task ${taskId} is not running: dropped`);
        return;
      }
      this.tenants.set(taskId, row.rows[0].tenant);
    }
    const command = progressCommand(message, this.options.clock.now().toISOString());
    try {
      await this.book.run(taskId, this.tenants.get(taskId) ?? null, () => command, null);
      this.counters.progress++;
    } catch (err) {
      if (!isRefusal(err)) throw err;
      logger.warn(`progress of job ${message.jobId} refused: ${err.message}`);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.stopper.signal;
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.wakeUp === done) this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

function eligibleAt(state: RolloutState, index: number): number {
  return Date.parse(state.startedAt ?? '') + index * state.staggerSeconds * 1000;
}

/** Clock ms of the next start or timeout of a rollout after `now` (queued servers already due wait for a wake). */
export function nextDueOf(state: RolloutState, now: number): number {
  let next = Number.POSITIVE_INFINITY;
  for (const server of state.servers) {
    if (server.status === 'queued') {
      const at = eligibleAt(state, server.index);
      if (at > now) next = Math.min(next, at);
    } else if (!isFinal(server.status) && server.phaseSince !== null) {
      const limit = state.timeouts[server.status as keyof PhaseTimeouts];
      if (limit !== undefined) next = Math.min(next, Date.parse(server.phaseSince) + limit * 1000);
    }
  }
  return next;
}
