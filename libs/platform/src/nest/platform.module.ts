import {
  Global,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type LoggerService,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import type { FleetwardenConfig } from '../config/config';
import { HealthRegistry } from '../health/health-registry';
import { openPlatformResources, type PlatformResources } from '../runtime/resources';
import { CommandExecutor } from '../es/command-executor';
import { createClock } from '../runtime/clock';
import {
  CLOCK,
  EVENT_STORE,
  JETSTREAM_MANAGER,
  NATS_CONNECTION,
  PLATFORM_CONFIG,
  PROCESS_INFO,
  SUBJECTS,
} from '../tokens';

/** Injection token of the {@link PlatformResources} bundle. */
export const PLATFORM_RESOURCES = Symbol.for('fleetwarden.platform.resources');
const OWNS_RESOURCES = Symbol.for('fleetwarden.platform.owns-resources');

/** Options of {@link PlatformModule.forRoot}. */
export interface PlatformModuleOptions {
  /** Connection name shown by the NATS server; default `fleetwarden`. */
  name?: string;
  /**
   * Resources already opened (and later closed) by the caller, e.g. shared by the apps of one
   * process; when omitted the module opens them at start and closes them at shutdown.
   */
  resources?: PlatformResources;
  logger?: LoggerService;
}

/**
 * Closes the platform's connections, when the module opened them, after every other part has
 * shut down (global modules stop last).
 */
@Injectable()
export class PlatformLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(PLATFORM_RESOURCES) private readonly resources: PlatformResources,
    @Inject(OWNS_RESOURCES) private readonly owned: boolean,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.owned) await this.resources.close();
  }
}

/** Registers the health checks of the platform's own dependencies. */
@Injectable()
export class PlatformHealthChecks {
  constructor(health: HealthRegistry, @Inject(PLATFORM_RESOURCES) resources: PlatformResources) {
    const { store, nats, jsm, subjects } = resources;
    health.register('database', async () => {
      await store.transaction((tx) => tx.query('SELECT 1'));
      return { backend: store.backend };
    });
    health.register('nats', async () => {
      if (nats.isClosed()) throw new Error('connection closed');
      const start = Date.now();
      await nats.flush();
      return { server: nats.getServer(), latencyMs: Date.now() - start };
    });
    health.register('eventsStream', async () => {
      const info = await jsm.streams.info(subjects.eventsStream);
      return { name: subjects.eventsStream, messages: info.state.messages };
    });
  }
}

/**
 * The platform of a Fleetwarden process, global: the validated config, the NATS connection, the
 * JetStream manager (events stream ensured), the migrated event store, the process identity, the
 * clock and the {@link HealthRegistry}. The connections are opened at start (start-up fails with one
 * {@link DependencyError} line when one cannot be) and closed last at shutdown.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: FleetwardenConfig, options: PlatformModuleOptions = {}): DynamicModule {
    const resourcesProvider: Provider = options.resources
      ? { provide: PLATFORM_RESOURCES, useValue: options.resources }
      : {
          provide: PLATFORM_RESOURCES,
          useFactory: () =>
            openPlatformResources(config, { name: options.name ?? 'fleetwarden', logger: options.logger }),
        };
    const fromResources = (token: symbol, pick: (r: PlatformResources) => unknown): Provider => ({
      provide: token,
      useFactory: pick,
      inject: [PLATFORM_RESOURCES],
    });
    const providers: Provider[] = [
      { provide: PLATFORM_CONFIG, useValue: config },
      { provide: OWNS_RESOURCES, useValue: !options.resources },
      { provide: CLOCK, useValue: createClock(config.clockSpeed, config.clockOrigin) },
      CommandExecutor,
      resourcesProvider,
      fromResources(SUBJECTS, (r) => r.subjects),
      fromResources(PROCESS_INFO, (r) => r.process),
      fromResources(NATS_CONNECTION, (r) => r.nats),
      fromResources(JETSTREAM_MANAGER, (r) => r.jsm),
      fromResources(EVENT_STORE, (r) => r.store),
      HealthRegistry,
      PlatformHealthChecks,
      PlatformLifecycle,
    ];
    return {
      module: PlatformModule,
      global: true,
      providers,
      exports: [
        PLATFORM_CONFIG,
        CLOCK,
        PLATFORM_RESOURCES,
        SUBJECTS,
        PROCESS_INFO,
        NATS_CONNECTION,
        JETSTREAM_MANAGER,
        EVENT_STORE,
        HealthRegistry,
        CommandExecutor,
      ],
    };
  }
}
