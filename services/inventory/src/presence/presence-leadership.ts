import type { LoggerService } from '@nestjs/common';
import type { EventStore } from '@fleetwarden/eventstore';
import { PRESENCE_LOCK } from '../inventory-service.constants';
import type { PresenceTracker } from './presence-tracker';

export interface PresenceLeadershipOptions {
  store: EventStore;
  /** Builds a fresh tracker each time this instance becomes the leader. */
  createTracker: () => PresenceTracker;
  logger: LoggerService;
  /** How often a follower tries to take the lock, in ms (default 3000). */
  retryMs?: number;
}

/**
 * Runs the presence tracker on exactly one inventory instance: the one holding the
 * `inventory-presence` lock (a PostgreSQL advisory lock on its own connection). The others try
 * again every few seconds and take over when the holder stops or its connection dies.
 */
export class PresenceLeadership {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;
  private current: PresenceTracker | null = null;

  constructor(private readonly options: PresenceLeadershipOptions) {}

  get isLeader(): boolean {
    return this.current !== null;
  }

  /** The running tracker, while this instance leads. */
  get tracker(): PresenceTracker | null {
    return this.current;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { store, logger } = this.options;
    const retryMs = this.options.retryMs ?? 3000;
    while (!this.stopping.signal.aborted) {
      try {
        const { acquired } = await store.tryWithLock(PRESENCE_LOCK, (lost) => this.lead(lost));
        if (!acquired) await sleep(retryMs, this.stopping.signal);
      } catch (err) {
        if (this.stopping.signal.aborted) break;
        logger.error(`presence tracking failed, retrying in ${retryMs} ms: ${String(err)}`);
        await sleep(retryMs, this.stopping.signal);
      }
    }
  }

  private async lead(lost: AbortSignal): Promise<void> {
    if (this.stopping.signal.aborted) return;
    const tracker = this.options.createTracker();
    this.current = tracker;
    try {
      await tracker.start();
      this.options.logger.log(`tracking presence of ${tracker.stats.servers} servers (leader)`);
      await Promise.race([aborted(this.stopping.signal), aborted(lost)]);
      if (lost.aborted && !this.stopping.signal.aborted) {
        this.options.logger.warn('presence lock lost; following again');
      }
    } finally {
      this.current = null;
      await tracker.stop();
    }
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
