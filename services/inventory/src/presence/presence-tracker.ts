import type { LoggerService } from '@nestjs/common';
import type { Msg, NatsConnection, Status, Subscription } from '@nats-io/nats-core';
import type { Subjects } from '@fleetwarden/contracts';
import type { EventStore } from '@fleetwarden/eventstore';
import { AgentHello, serverStreamId } from '@fleetwarden/inventory-contracts';
import {
  DEFAULT_HEARTBEAT_INTERVAL_SEC,
  InventoryErrorCode,
  MISSED_HEARTBEATS_BEFORE_DISCONNECT,
  serverDecider,
  type ServerCommand,
} from '@fleetwarden/inventory-domain';
import type { CommandExecutor } from '@fleetwarden/platform';
import { isDomainError, type Clock } from '@fleetwarden/shared-domain';
import { RateLimitedLog } from '../common/rate-limited-log';
import { PRESENCE_ACTOR } from '../inventory-service.constants';
import type { DirectoryEntry, ServerDirectory } from '../server-directory/server-directory';
import { checkHeartbeat } from './heartbeat';
import { LagHistogram } from './lag-histogram';
import { PresenceTable, type PresenceRow } from './presence-table';

export interface PresenceTrackerOptions {
  nc: NatsConnection;
  subjects: Subjects;
  store: EventStore;
  /** Schema of the event store; holds `inventory_presence`. */
  schema: string;
  executor: CommandExecutor;
  clock: Clock;
  /** How many times faster than real time the clock runs (scales the sweep period). */
  clockSpeed: number;
  directory: ServerDirectory;
  logger: LoggerService;
  /** How often last-seen times are written to `inventory_presence`, in real ms (default 500). */
  flushIntervalMs?: number;
  /** Longest real time between two sweeps, in ms (default 1000). */
  maxSweepPeriodMs?: number;
  /** Shortest real time between two sweeps, in ms (default 10). */
  minSweepPeriodMs?: number;
  /** Connection changes appended at once (default 8). */
  appendConcurrency?: number;
}

/** Counters of a presence tracker since it started (lag since the last `resetLag`). */
export interface PresenceStats {
  servers: number;
  connected: number;
  heartbeats: number;
  dropped: { unknown: number; decommissioned: number; invalid: number };
  hellos: number;
  connects: number;
  disconnects: number;
  appendFailures: number;
  lagP99Ms: number;
  lagMaxMs: number;
  flushedRows: number;
}

interface TrackedServer {
  readonly serverId: string;
  decommissioned: boolean;
  /** Connection state of the stream, at `version`. */
  connected: boolean;
  version: number;
  intervalSec: number;
  /** Clock ms of the last heartbeat or hello; 0 when none was seen. */
  seenAt: number;
  /** Clock ms from which a connected server counts as seen (takeover, NATS reconnect); 0 when none. */
  graceFrom: number;
  dirty: boolean;
  /** Queued for, or running, an append. */
  busy: boolean;
  /** Clock ms before which no append is retried after a failure. */
  retryAt: number;
}

const HEARTBEAT_SUFFIX = '.heartbeat';

/**
 * Connection state from heartbeats, on the one inventory instance that holds the presence lock.
 *
 * Heartbeats (`<ns>.agent.*.heartbeat`, no queue group) and hellos only update an in-memory
 * last-seen time: O(1) per message, no database write. A sweep (every
 * `min(1 s, shortest interval / 4)` of real time) appends `ServerDisconnected` for a connected
 * server not seen for 3 of its announced intervals; a heartbeat from a disconnected server
 * appends `ServerConnected` — each through the server decider, so a change is recorded once.
 * Last-seen times go to `inventory_presence` in batches. On start (a takeover), servers the
 * history says are connected count as seen at that moment, so a failover disconnects nobody.
 */
export class PresenceTracker {
  private readonly servers = new Map<string, TrackedServer>();
  private readonly table: PresenceTable;
  private readonly lag = new LagHistogram();
  private readonly log: RateLimitedLog;
  private readonly agentPrefix: string;
  private readonly queue: TrackedServer[] = [];
  private queueHead = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private dirty: TrackedServer[] = [];
  private subscriptions: Subscription[] = [];
  private stopDirectory: (() => void) | null = null;
  private statusIterator: (AsyncIterable<Status> & { stop?: () => void }) | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private running = false;
  private paused = false;
  private started = 0;
  private readonly counters = {
    heartbeats: 0,
    unknown: 0,
    decommissioned: 0,
    invalid: 0,
    hellos: 0,
    connects: 0,
    disconnects: 0,
    appendFailures: 0,
    flushedRows: 0,
  };

  constructor(private readonly options: PresenceTrackerOptions) {
    this.table = new PresenceTable(options.store, options.schema);
    this.log = new RateLimitedLog(options.logger);
    this.agentPrefix = `${options.subjects.namespace}.agent.`;
  }

  get stats(): PresenceStats {
    let connected = 0;
    for (const s of this.servers.values()) if (s.connected && !s.decommissioned) connected++;
    const c = this.counters;
    return {
      servers: this.servers.size,
      connected,
      heartbeats: c.heartbeats,
      dropped: { unknown: c.unknown, decommissioned: c.decommissioned, invalid: c.invalid },
      hellos: c.hellos,
      connects: c.connects,
      disconnects: c.disconnects,
      appendFailures: c.appendFailures,
      lagP99Ms: this.lag.percentile(0.99),
      lagMaxMs: Math.round(this.lag.max),
      flushedRows: c.flushedRows,
    };
  }

  /** Heartbeats received so far (cheap, unlike `stats`). */
  get heartbeatsReceived(): number {
    return this.counters.heartbeats;
  }

  /** Clock time (ms) at which this tracker took over; 0 before `start()`. */
  get startedAt(): number {
    return this.started;
  }

  /** Lag (processing time - `sentAt`, real ms) below which a fraction `q` of the heartbeats lie. */
  lagPercentile(q: number): number {
    return this.lag.percentile(q);
  }

  resetLag(): void {
    this.lag.reset();
  }

  /** Creates the table, reads the history (via the directory) and starts tracking. */
  async start(): Promise<void> {
    const { nc, directory } = this.options;
    await this.table.ensure();
    await directory.ready();
    const stored = await this.table.load();
    const takeover = this.now();
    this.started = takeover;
    for (const entry of directory.all()) this.track(entry, stored.get(entry.serverId) ?? 0, takeover);
    this.stopDirectory = directory.onChange((entry) => this.sync(entry));
    this.running = true;
    const ns = this.options.subjects.namespace;
    this.subscriptions = [
      nc.subscribe(`${ns}.agent.*.heartbeat`, { callback: (err, msg) => void (err || this.onHeartbeat(msg)) }),
      nc.subscribe(`${ns}.agent.*.hello`, { callback: (err, msg) => void (err || this.onHello(msg)) }),
    ];
    this.flushTimer = setInterval(() => void this.flush(), this.options.flushIntervalMs ?? 500);
    this.scheduleSweep(0);
    void this.watchConnection();
  }

  /** Stops tracking, waits for appends in flight and writes the last-seen times one last time. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const sub of this.subscriptions) if (!sub.isClosed()) sub.unsubscribe();
    this.subscriptions = [];
    this.stopDirectory?.();
    this.statusIterator?.stop?.();
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.flushing;
    await this.flush();
  }

  private now(): number {
    return this.options.clock.now().getTime();
  }

  private track(entry: Readonly<DirectoryEntry>, storedSeenAt: number, takeover: number): TrackedServer {
    const server: TrackedServer = {
      serverId: entry.serverId,
      decommissioned: entry.decommissioned,
      connected: entry.connected,
      version: entry.version,
      intervalSec: entry.heartbeatIntervalSec ?? DEFAULT_HEARTBEAT_INTERVAL_SEC,
      seenAt: Math.max(storedSeenAt, entry.lastConnectedAt ?? 0),
      graceFrom: entry.connected ? takeover : 0,
      dirty: false,
      busy: false,
      retryAt: 0,
    };
    this.servers.set(entry.serverId, server);
    return server;
  }

  /** A change recorded in the event store (by any instance) reaches the tracker. */
  private sync(entry: Readonly<DirectoryEntry>): void {
    const server = this.servers.get(entry.serverId);
    if (!server) {
      const added = this.track(entry, 0, 0);
      if (added.seenAt > 0) this.markDirty(added);
      return;
    }
    if (entry.version <= server.version) return;
    server.version = entry.version;
    server.decommissioned = entry.decommissioned;
    server.connected = entry.connected;
    if (entry.heartbeatIntervalSec !== null) server.intervalSec = entry.heartbeatIntervalSec;
    if (entry.connected && entry.lastConnectedAt !== null && entry.lastConnectedAt > server.seenAt) {
      server.seenAt = entry.lastConnectedAt;
      this.markDirty(server);
    }
  }

  private onHeartbeat(msg: Msg): void {
    this.counters.heartbeats++;
    const subject = msg.subject;
    const serverId = subject.slice(this.agentPrefix.length, subject.length - HEARTBEAT_SUFFIX.length);
    const server = this.servers.get(serverId);
    if (server === undefined) {
      this.counters.unknown++;
      this.log.warn('unknown', `heartbeat from unknown server "${serverId}" dropped`);
      return;
    }
    if (server.decommissioned) {
      this.counters.decommissioned++;
      this.log.warn('decommissioned', `heartbeat from decommissioned server ${serverId} dropped`);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(msg.string());
    } catch {
      body = undefined;
    }
    const sentAt = checkHeartbeat(body, serverId);
    if (typeof sentAt === 'string') {
      this.counters.invalid++;
      this.log.warn('invalid', `invalid heartbeat on ${subject} dropped: ${sentAt}`);
      return;
    }
    const now = this.now();
    this.lag.record((now - sentAt) / this.options.clockSpeed);
    this.seen(server, now);
  }

  private onHello(msg: Msg): void {
    const subject = msg.subject;
    const serverId = subject.slice(this.agentPrefix.length, subject.length - '.hello'.length);
    const server = this.servers.get(serverId);
    // Unknown or refused servers are the intake's business (it registers or rejects them).
    if (server === undefined || server.decommissioned) return;
    let hello;
    try {
      hello = AgentHello.schema.safeParse(JSON.parse(msg.string()));
    } catch {
      return;
    }
    if (!hello.success || hello.data.serverId !== serverId) return;
    this.counters.hellos++;
    server.intervalSec = hello.data.heartbeatIntervalSec;
    this.seen(server, this.now());
  }

  private seen(server: TrackedServer, now: number): void {
    if (now > server.seenAt) server.seenAt = now;
    this.markDirty(server);
    if (!server.connected && !server.busy && this.running) this.enqueue(server);
  }

  private markDirty(server: TrackedServer): void {
    if (server.dirty) return;
    server.dirty = true;
    this.dirty.push(server);
  }

  private isAlive(server: TrackedServer, now: number): boolean {
    const since = Math.max(server.seenAt, server.graceFrom);
    return since > 0 && now - since <= MISSED_HEARTBEATS_BEFORE_DISCONNECT * server.intervalSec * 1000;
  }

  private sweepPeriod(shortestIntervalSec: number): number {
    const max = this.options.maxSweepPeriodMs ?? 1000;
    const min = this.options.minSweepPeriodMs ?? 10;
    const quarter = (shortestIntervalSec * 1000) / 4 / this.options.clockSpeed;
    return Math.max(min, Math.min(max, quarter));
  }

  private scheduleSweep(ms: number): void {
    this.sweepTimer = setTimeout(() => this.sweep(), ms);
  }

  private sweep(): void {
    if (!this.running) return;
    const now = this.now();
    let shortest = Infinity;
    if (!this.paused) {
      for (const server of this.servers.values()) {
        if (server.decommissioned) continue;
        if (server.connected && server.intervalSec < shortest) shortest = server.intervalSec;
        if (server.busy || now < server.retryAt) continue;
        if (this.isAlive(server, now) !== server.connected) this.enqueue(server);
      }
    }
    this.scheduleSweep(this.sweepPeriod(shortest));
  }

  private enqueue(server: TrackedServer): void {
    server.busy = true;
    this.queue.push(server);
    this.pump();
  }

  private pump(): void {
    const limit = this.options.appendConcurrency ?? 8;
    while (this.inFlight.size < limit && this.queueHead < this.queue.length) {
      const server = this.queue[this.queueHead++];
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      const work: Promise<void> = this.reconcile(server).finally(() => {
        this.inFlight.delete(work);
        server.busy = false;
        const now = this.now();
        if (this.running && !server.decommissioned && now >= server.retryAt) {
          if (this.isAlive(server, now) !== server.connected) this.enqueue(server);
        }
        this.pump();
      });
      this.inFlight.add(work);
    }
  }

  /** Appends the connection change the server is due, if it still is. */
  private async reconcile(server: TrackedServer): Promise<void> {
    if (!this.running || server.decommissioned) return;
    const now = this.now();
    const alive = this.isAlive(server, now);
    if (alive === server.connected) return;
    const { serverId } = server;
    const at = new Date(now).toISOString();
    const command: ServerCommand = alive
      ? { type: 'MarkConnected', data: { serverId, at, heartbeatIntervalSec: server.intervalSec } }
      : {
          type: 'MarkDisconnected',
          data: { serverId, at, lastSeenAt: new Date(server.seenAt || server.graceFrom).toISOString() },
        };
    try {
      const result = await this.options.executor.execute({
        streamId: serverStreamId(serverId),
        decider: serverDecider,
        command,
        meta: { actor: PRESENCE_ACTOR, role: 'system' },
        context: 'inventory',
        resellerOf: (s) => s.reseller?.id ?? null,
      });
      if (result.version >= server.version) {
        server.version = result.version;
        server.connected = result.state.connected;
        server.decommissioned = result.state.decommissioned;
      }
      for (const e of result.events) {
        if (e.type === 'ServerConnected') this.counters.connects++;
        if (e.type === 'ServerDisconnected') this.counters.disconnects++;
      }
      this.options.directory.note(result.state, result.version);
    } catch (err) {
      if (isDomainError(err, InventoryErrorCode.ServerDecommissioned)) {
        server.decommissioned = true;
        return;
      }
      this.counters.appendFailures++;
      server.retryAt = now + 1000 * this.options.clockSpeed;
      this.log.warn('append', `${command.type} for ${serverId} failed, will retry: ${String(err)}`);
    }
  }

  private flush(): Promise<void> {
    if (this.flushing || this.dirty.length === 0) return this.flushing ?? Promise.resolve();
    const batch = this.dirty;
    this.dirty = [];
    const rows: PresenceRow[] = batch.map((s) => {
      s.dirty = false;
      return { serverId: s.serverId, lastSeenAt: s.seenAt, heartbeatIntervalSec: s.intervalSec };
    });
    this.flushing = this.table
      .upsert(rows)
      .then(
        () => {
          this.counters.flushedRows += rows.length;
        },
        (err: unknown) => {
          for (const s of batch) this.markDirty(s);
          this.log.warn('flush', `writing ${rows.length} last-seen times failed, will retry: ${String(err)}`);
        },
      )
      .finally(() => {
        this.flushing = null;
      });
    return this.flushing;
  }

  /**
   * While this process is cut off from NATS no heartbeat can arrive: sweeps pause, and after
   * the reconnect connected servers get a fresh grace period instead of a mass disconnect.
   */
  private async watchConnection(): Promise<void> {
    const iterator = this.options.nc.status() as AsyncIterable<Status> & { stop?: () => void };
    this.statusIterator = iterator;
    try {
      for await (const status of iterator) {
        if (!this.running) break;
        if (status.type === 'disconnect') this.paused = true;
        if (status.type === 'reconnect') {
          const now = this.now();
          for (const server of this.servers.values()) if (server.connected) server.graceFrom = now;
          this.paused = false;
        }
      }
    } catch {
      // The connection closed.
    }
  }
}
