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
  CommandExecutor,
  EVENT_STORE,
  HealthRegistry,
  NATS_CONNECTION,
  PLATFORM_CONFIG,
  SUBJECTS,
  type FleetwardenConfig,
} from '@fleetwarden/platform';
import type { Clock } from '@fleetwarden/shared-domain';
import { AgentIntake } from './agent-intake/agent-intake';
import { PairRoles } from './pair-roles/pair-roles';
import { PresenceLeadership } from './presence/presence-leadership';
import { PresenceTable } from './presence/presence-table';
import { PresenceTracker } from './presence/presence-tracker';
import { ServerDirectory } from './server-directory/server-directory';

/** Injection token of {@link InventoryServiceOptions} (optional; tests shorten the timings). */
export const INVENTORY_SERVICE_OPTIONS = Symbol.for('fleetwarden.inventory.options');

/** Tuning of the inventory service's background work; the defaults suit production. */
export interface InventoryServiceOptions {
  /** How often a follower tries to take over presence tracking, in ms (default 3000). */
  presenceRetryMs?: number;
  /** How often last-seen times are written, in ms (default 500). */
  presenceFlushIntervalMs?: number;
  /** Agent messages processed at once (default 16). */
  intakeConcurrency?: number;
}

/**
 * The inventory service's background parts, started in order once the app is up and stopped in
 * reverse: the server directory, the agent intake, and the presence tracker contention.
 */
@Injectable()
export class InventoryRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  readonly intake: AgentIntake;
  readonly presence: PresenceLeadership;
  readonly pairRoles: PairRoles;
  private pairRolesProjection: Subscription | null = null;

  constructor(
    readonly directory: ServerDirectory,
    executor: CommandExecutor,
    health: HealthRegistry,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(NATS_CONNECTION) nc: NatsConnection,
    @Inject(SUBJECTS) subjects: Subjects,
    @Inject(CLOCK) clock: Clock,
    @Inject(PLATFORM_CONFIG) private readonly config: FleetwardenConfig,
    @Optional() @Inject(INVENTORY_SERVICE_OPTIONS) options: InventoryServiceOptions | null,
  ) {
    this.pairRoles = new PairRoles(store, config.dbSchema);
    this.intake = new AgentIntake({
      nc,
      subjects,
      executor,
      clock,
      directory,
      logger: new Logger('InventoryAgentIntake'),
      concurrency: options?.intakeConcurrency,
    });
    const logger = new Logger('InventoryPresence');
    this.presence = new PresenceLeadership({
      store,
      logger,
      retryMs: options?.presenceRetryMs,
      createTracker: () =>
        new PresenceTracker({
          nc,
          subjects,
          store,
          schema: config.dbSchema,
          executor,
          clock,
          clockSpeed: config.clockSpeed,
          directory,
          logger,
          flushIntervalMs: options?.presenceFlushIntervalMs,
        }),
    });
    health.register('inventoryPresence', async () => {
      const tracker = this.presence.tracker;
      if (!tracker) return { role: 'follower', servers: directory.size };
      const { servers, connected, heartbeats, lagP99Ms } = tracker.stats;
      return { role: 'leader', servers, connected, heartbeats, lagP99Ms };
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    // Every instance makes sure the table exists, so that readers never find it missing.
    await new PresenceTable(this.store, this.config.dbSchema).ensure();
    await this.pairRoles.ensure();
    this.pairRolesProjection = this.pairRoles.run();
    this.directory.start();
    this.intake.start();
    this.presence.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.pairRolesProjection?.stop();
    await this.intake.stop();
    await this.presence.stop();
    await this.directory.stop();
  }
}
