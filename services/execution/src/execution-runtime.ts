import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Subjects } from '@fleetwarden/contracts';
import type { EventStore } from '@fleetwarden/eventstore';
import { DurableEventConsumer, ensureAgentProgressStream, type EventConsumerSettings } from '@fleetwarden/messaging';
import {
  CLOCK,
  EVENT_STORE,
  HealthRegistry,
  NATS_CONNECTION,
  PLATFORM_CONFIG,
  SUBJECTS,
  type FleetwardenConfig,
} from '@fleetwarden/platform';
import type { Clock } from '@fleetwarden/shared-domain';
import { EXECUTION_SERVICE_NAME } from './execution-service.constants';
import { PairIntake } from './intake/pair-intake';
import { PresenceIntake } from './intake/presence-intake';
import { TaskIntake } from './intake/task-intake';
import { ensureExecutionTables } from './rollouts/execution-tables';
import { RolloutDriver } from './rollouts/rollout-driver';

/** Injection token of {@link ExecutionServiceOptions} (optional; tests shorten the timings). */
export const EXECUTION_SERVICE_OPTIONS = Symbol.for('fleetwarden.execution.options');

/** Tuning of the execution service's background work; the defaults suit production. */
export interface ExecutionServiceOptions {
  /** Longest real wait between two passes over the running rollouts, in ms (default 200). */
  pollMs?: number;
  /** How often a follower tries to take over the rollouts, in ms (default 2000). */
  retryMs?: number;
  /** Real ms before an unaccepted command is sent again (default 1000). */
  resendMs?: number;
  /** Real ms to wait for an agent's reply (default 2000). */
  requestTimeoutMs?: number;
  /** First delay between two switchover requests of a pair, in real ms (default 1000). */
  switchoverRetryMs?: number;
  /** Tuning of the consumers of scheduling and inventory events. */
  events?: EventConsumerSettings;
}

/**
 * The execution service's background parts: its tables, the consumers of the scheduling events
 * (tasks and their starts) and inventory events (which agents are connected), and the rollout
 * driver that one instance runs at a time.
 */
@Injectable()
export class ExecutionRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  readonly driver: RolloutDriver;
  readonly schema: string;
  private readonly consumers: DurableEventConsumer[] = [];

  constructor(
    health: HealthRegistry,
    @Inject(EVENT_STORE) readonly store: EventStore,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(SUBJECTS) private readonly subjects: Subjects,
    @Inject(CLOCK) readonly clock: Clock,
    @Inject(PLATFORM_CONFIG) config: FleetwardenConfig,
    @Optional() @Inject(EXECUTION_SERVICE_OPTIONS) private readonly options: ExecutionServiceOptions | null,
  ) {
    this.schema = config.dbSchema;
    this.driver = new RolloutDriver({
      store,
      schema: config.dbSchema,
      nc,
      subjects,
      clock,
      clockSpeed: config.clockSpeed,
      logger: new Logger('ExecutionRollouts'),
      pollMs: options?.pollMs,
      retryMs: options?.retryMs,
      resendMs: options?.resendMs,
      requestTimeoutMs: options?.requestTimeoutMs,
      switchoverRetryMs: options?.switchoverRetryMs,
    });
    health.register('executionRollouts', async () => {
      const { leader, rollouts, dispatched, progress } = this.driver.stats;
      return { role: leader ? 'leader' : 'follower', rollouts, dispatched, progress };
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await ensureExecutionTables(this.store, this.schema);
    await ensureAgentProgressStream(await jetstreamManager(this.nc), this.subjects);
    const tasks = new TaskIntake(this.store, this.schema, this.driver, this.clock, new Logger('ExecutionTasks'));
    const presence = new PresenceIntake(this.store, this.schema);
    const pairs = new PairIntake(this.store, this.schema, this.driver, new Logger('ExecutionPairs'));
    const subjects = this.subjects;
    const consumer = (handler: string, context: 'scheduling' | 'inventory' | 'redundancy', concurrency: number) => {
      const name = subjects.consumerName(EXECUTION_SERVICE_NAME, handler);
      return {
        retryInitialMs: 100,
        retryMaxMs: 5000,
        ...this.options?.events,
        concurrency,
        stream: subjects.eventsStream,
        name,
        filterSubject: subjects.contextEvents(context),
        deadLetterSubject: subjects.deadLetter(name),
      };
    };
    this.consumers.push(
      new DurableEventConsumer(this.nc, {
        ...consumer('scheduling-events', 'scheduling', 1),
        handle: (e) => tasks.handle(e),
      }),
      new DurableEventConsumer(this.nc, {
        ...consumer('inventory-events', 'inventory', 8),
        handle: (e) => presence.handle(e),
      }),
      new DurableEventConsumer(this.nc, {
        ...consumer('redundancy-events', 'redundancy', 1),
        handle: (e) => pairs.handle(e),
      }),
    );
    for (const c of this.consumers) await c.start();
    this.driver.start();
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
    await this.driver.stop();
  }
}
