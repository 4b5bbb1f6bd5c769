import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { EventStore, Subscription } from '@fleetwarden/eventstore';
import {
  CLOCK,
  CommandExecutor,
  EVENT_STORE,
  HealthRegistry,
  PLATFORM_CONFIG,
  type FleetwardenConfig,
} from '@fleetwarden/platform';
import type { Clock } from '@fleetwarden/shared-domain';
import { runFleetViewProjection } from './fleet-view/fleet-view.projection';
import { ensureFleetViewTables } from './fleet-view/fleet-view.tables';
import { TaskTimers } from './timers/task-timers';

/** Injection token of {@link SchedulingServiceOptions} (optional; tests shorten the timings). */
export const SCHEDULING_SERVICE_OPTIONS = Symbol.for('fleetwarden.scheduling.options');

/** Tuning of the scheduling service's background work; the defaults suit production. */
export interface SchedulingServiceOptions {
  /** How often the fleet view looks for events of other processes, in ms (default 100). */
  projectionPollMs?: number;
  /** Longest real wait between two looks at the timers, in ms (default 250). */
  timersPollMs?: number;
  /** How often a follower tries to take over the timers, in ms (default 2000). */
  timersRetryMs?: number;
  /**
   * How long a cancel waits for the execution service's `CancelRollout` reply, in ms (default
   * 2000: well within the gateway's 5 s command timeout).
   */
  executionTimeoutMs?: number;
}

/**
 * The scheduling service's background parts: its tables, the fleet view and timer projection, and
 * the lock-elected timer loop.
 */
@Injectable()
export class SchedulingRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  readonly timers: TaskTimers;
  private projection: Subscription | null = null;

  constructor(
    executor: CommandExecutor,
    health: HealthRegistry,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) clock: Clock,
    @Inject(PLATFORM_CONFIG) private readonly config: FleetwardenConfig,
    @Optional() @Inject(SCHEDULING_SERVICE_OPTIONS) private readonly options: SchedulingServiceOptions | null,
  ) {
    this.timers = new TaskTimers({
      store,
      schema: config.dbSchema,
      executor,
      clock,
      clockSpeed: config.clockSpeed,
      logger: new Logger('SchedulingTimers'),
      pollMs: options?.timersPollMs,
      retryMs: options?.timersRetryMs,
    });
    health.register('schedulingTimers', async () => ({ role: this.timers.isLeader ? 'leader' : 'follower' }));
  }

  async onApplicationBootstrap(): Promise<void> {
    await ensureFleetViewTables(this.store, this.config.dbSchema);
    this.projection = runFleetViewProjection(this.store, this.config.dbSchema, {
      pollIntervalMs: this.options?.projectionPollMs,
    });
    this.timers.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.timers.stop();
    await this.projection?.stop();
  }
}
