import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Subjects } from '@fleetwarden/contracts';
import type { EventStore, Subscription } from '@fleetwarden/eventstore';
import {
  CLOCK,
  EVENT_STORE,
  HealthRegistry,
  NATS_CONNECTION,
  PLATFORM_CONFIG,
  SUBJECTS,
  type FleetwardenConfig,
} from '@fleetwarden/platform';
import { sleep } from '@fleetwarden/messaging';
import { AutoFailoverSet, ControlSwitched, PairConfigured } from '@fleetwarden/redundancy-contracts';
import type { Clock } from '@fleetwarden/shared-domain';
import { KeepAliveMonitor } from './pairs/keepalive-monitor';
import { SwitchEffects } from './pairs/switch-effects';
import { ensureRedundancyTables, runRedundancyView } from './view/redundancy-view';

/** Name of the lock held by the one instance that monitors the pairs. */
export const MONITOR_LOCK = 'redundancy-monitor';

/** Injection token of {@link RedundancyServiceOptions} (optional; tests shorten the timings). */
export const REDUNDANCY_SERVICE_OPTIONS = Symbol.for('fleetwarden.redundancy.options');

export interface RedundancyServiceOptions {
  /** Real ms between two evaluations of every pair (default 250). */
  evaluateMs?: number;
  /** How often a follower tries to take over the monitoring, in ms (default 2000). */
  retryMs?: number;
  /** How often the view looks for new events, in ms (default 100). */
  pollMs?: number;
  /** Notification retries: first delay in ms (default 500). */
  notifyRetryMs?: number;
}

/**
 * The redundancy service's background parts: its view (servers, pair membership), and — on the one
 * instance that holds the monitor lock — the keep-alive monitor and the effects of each switch.
 */
@Injectable()
export class RedundancyRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  readonly monitor: KeepAliveMonitor;
  readonly effects: SwitchEffects;
  readonly schema: string;
  private view: Subscription | null = null;
  private invalidations: Subscription | null = null;
  private readonly stopper = new AbortController();
  private contending: Promise<void> | null = null;
  private leading = false;

  constructor(
    health: HealthRegistry,
    @Inject(EVENT_STORE) readonly store: EventStore,
    @Inject(NATS_CONNECTION) nc: NatsConnection,
    @Inject(SUBJECTS) subjects: Subjects,
    @Inject(CLOCK) readonly clock: Clock,
    @Inject(PLATFORM_CONFIG) config: FleetwardenConfig,
    @Optional() @Inject(REDUNDANCY_SERVICE_OPTIONS) private readonly options: RedundancyServiceOptions | null,
  ) {
    this.schema = config.dbSchema;
    const logger = new Logger('RedundancyMonitor');
    this.monitor = new KeepAliveMonitor({
      store,
      schema: config.dbSchema,
      nc,
      subjects,
      clock,
      logger,
      evaluateMs: options?.evaluateMs,
    });
    this.effects = new SwitchEffects({
      store,
      nc,
      subjects,
      clock,
      book: this.monitor.book,
      logger,
      retryMs: options?.notifyRetryMs,
      pollIntervalMs: options?.pollMs,
    });
    health.register('redundancyMonitor', async () => ({
      role: this.leading ? 'leader' : 'follower',
      ...(this.leading ? this.monitor.stats : {}),
    }));
  }

  get isLeader(): boolean {
    return this.leading;
  }

  async onApplicationBootstrap(): Promise<void> {
    await ensureRedundancyTables(this.store, this.schema);
    this.view = runRedundancyView(this.store, this.schema, {
      pollIntervalMs: this.options?.pollMs,
      onPairConfigured: (pair) => this.monitor.watch(pair),
    });
    this.contending = this.contend();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopper.abort();
    await this.contending;
    await this.view?.stop();
  }

  private async contend(): Promise<void> {
    const signal = this.stopper.signal;
    const retryMs = this.options?.retryMs ?? 2000;
    while (!signal.aborted) {
      try {
        const { acquired } = await this.store.tryWithLock(MONITOR_LOCK, (lost) => this.lead(lost));
        if (!acquired) await sleep(retryMs, signal);
      } catch (err) {
        if (signal.aborted) return;
        new Logger('RedundancyMonitor').error(`monitor failed, retrying: ${String(err)}`);
        await sleep(retryMs, signal);
      }
    }
  }

  private async lead(lost: AbortSignal): Promise<void> {
    this.leading = true;
    try {
      await this.monitor.start();
      await this.effects.start();
      // Commands handled by other instances write pair streams too: drop what they outdate.
      this.invalidations = this.store.subscribe(
        async (event) =>
          this.monitor.book.invalidate(String((event.data as { pairId?: string }).pairId), event.streamVersion),
        {
          types: [PairConfigured.type, AutoFailoverSet.type, ControlSwitched.type],
          pollIntervalMs: this.options?.pollMs,
        },
      );
      await new Promise<void>((resolve) => {
        if (lost.aborted || this.stopper.signal.aborted) return resolve();
        lost.addEventListener('abort', () => resolve(), { once: true });
        this.stopper.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      await this.invalidations?.stop();
      this.invalidations = null;
      await this.effects.stop();
      await this.monitor.stop();
      this.leading = false;
    }
  }
}
