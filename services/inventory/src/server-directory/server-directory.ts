import type { LoggerService } from '@nestjs/common';
import type { EventStore, LogPosition, RecordedEvent, Subscription } from '@fleetwarden/eventstore';
import { START } from '@fleetwarden/eventstore';
import type { ServerState } from '@fleetwarden/inventory-domain';

/** What every inventory instance keeps in memory about one server. */
export interface DirectoryEntry {
  serverId: string;
  reseller: string;
  decommissioned: boolean;
  connected: boolean;
  heartbeatIntervalSec: number | null;
  /** Clock time (ms) of the last `ServerConnected`; null when never connected. */
  lastConnectedAt: number | null;
  /** Stream version this entry reflects. */
  version: number;
}

/** Called with an entry after it changed. */
export type DirectoryListener = (entry: Readonly<DirectoryEntry>) => void;

export interface ServerDirectoryOptions {
  logger?: Pick<LoggerService, 'warn' | 'error'>;
  /** Events read per query while catching up (default 5000). */
  batchSize?: number;
  /** How often to look for events appended by other processes, in ms (default 100). */
  pollIntervalMs?: number;
  /** Wait before retrying after a database error, in ms (default 1000). */
  retryMs?: number;
}

const DIRECTORY_EVENT_TYPES = ['ServerRegistered', 'ServerConnected', 'ServerDisconnected', 'ServerDecommissioned'];

/**
 * The servers of the inventory, their tenant and connection state, kept in memory from the
 * event store (catch-up, then live). It answers tenancy and existence checks without a query
 * per server and feeds the presence tracker. Entries may trail the store by a poll interval;
 * callers that need certainty for an unknown id load its stream.
 */
export class ServerDirectory {
  private readonly entries = new Map<string, DirectoryEntry>();
  private readonly listeners = new Set<DirectoryListener>();
  private subscription: Subscription | null = null;
  private catchingUp: Promise<void> | null = null;
  private stopped = false;
  private markReady: () => void = () => undefined;
  private readonly readyPromise = new Promise<void>((resolve) => (this.markReady = resolve));

  constructor(
    private readonly store: EventStore,
    private readonly options: ServerDirectoryOptions = {},
  ) {}

  /** Starts catching up (idempotent); `ready()` resolves once the history has been read. */
  start(): void {
    this.catchingUp ??= this.catchUpThenFollow();
  }

  /** Resolves when the history up to the start has been read and live updates are flowing. */
  ready(): Promise<void> {
    this.start();
    return this.readyPromise;
  }

  get size(): number {
    return this.entries.size;
  }

  get(serverId: string): Readonly<DirectoryEntry> | undefined {
    return this.entries.get(serverId);
  }

  all(): IterableIterator<Readonly<DirectoryEntry>> {
    return this.entries.values();
  }

  /** Registers a listener for changed entries; returns the unsubscribe function. */
  onChange(listener: DirectoryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records a server's state this process just loaded or wrote, ahead of the event feed. */
  note(state: ServerState, version: number): void {
    if (!state.registered || !state.serverId || !state.reseller) return;
    const current = this.entries.get(state.serverId);
    if (current && current.version >= version) return;
    this.put({
      serverId: state.serverId,
      reseller: state.reseller.id,
      decommissioned: state.decommissioned,
      connected: state.connected,
      heartbeatIntervalSec: state.heartbeatIntervalSec,
      lastConnectedAt: state.lastConnectedAt ? Date.parse(state.lastConnectedAt) : null,
      version,
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.stop();
    this.subscription = null;
  }

  private async catchUpThenFollow(): Promise<void> {
    const batch = this.options.batchSize ?? 5000;
    let position: LogPosition = START;
    for (;;) {
      if (this.stopped) return;
      try {
        const { events, nextPosition } = await this.store.readAll({
          fromPosition: position,
          category: 'server',
          types: DIRECTORY_EVENT_TYPES,
          limit: batch,
        });
        for (const e of events) this.apply(e);
        position = nextPosition;
        if (events.length < batch) break;
      } catch (err) {
        this.options.logger?.error(`server directory: reading the history failed, retrying: ${String(err)}`);
        await new Promise((resolve) => setTimeout(resolve, this.options.retryMs ?? 1000));
      }
    }
    if (this.stopped) return;
    this.subscription = this.store.subscribe(async (e) => this.apply(e), {
      fromPosition: position,
      category: 'server',
      types: DIRECTORY_EVENT_TYPES,
      pollIntervalMs: this.options.pollIntervalMs ?? 100,
    });
    this.markReady();
  }

  private apply(event: RecordedEvent): void {
    const data = event.data as { serverId: string } & Record<string, unknown>;
    const current = this.entries.get(data.serverId);
    if (current && current.version >= event.streamVersion) return;
    if (event.type === 'ServerRegistered') {
      const reseller = (data.reseller as { id: string }).id;
      this.put({
        serverId: data.serverId,
        reseller,
        decommissioned: false,
        connected: false,
        heartbeatIntervalSec: null,
        lastConnectedAt: null,
        version: event.streamVersion,
      });
      return;
    }
    if (!current) return;
    const next = { ...current, version: event.streamVersion };
    switch (event.type) {
      case 'ServerConnected':
        next.connected = true;
        next.heartbeatIntervalSec = data.heartbeatIntervalSec as number;
        next.lastConnectedAt = Date.parse(data.at as string);
        break;
      case 'ServerDisconnected':
        next.connected = false;
        break;
      case 'ServerDecommissioned':
        next.decommissioned = true;
        next.connected = false;
        break;
      default:
        return;
    }
    this.put(next);
  }

  private put(entry: DirectoryEntry): void {
    this.entries.set(entry.serverId, entry);
    for (const listener of this.listeners) {
      try {
        listener(entry);
      } catch (err) {
        this.options.logger?.error(`server directory listener failed: ${String(err)}`);
      }
    }
  }
}
