import {
  Inject,
  Injectable,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { OutboxRelay, type OutboxRelayOptions } from '@fleetwarden/messaging';
import { HealthRegistry } from '../health/health-registry';
import type { PlatformResources } from '../runtime/resources';
import { PLATFORM_RESOURCES } from './platform.module';

const RELAY_OPTIONS = Symbol.for('fleetwarden.platform.relay-options');

/**
 * Checkpoint and lock name of the relay of a namespace: installations that share a database
 * schema but not a namespace each publish every event.
 */
export function relayCheckpointName(namespace: string): string {
  return `outbox-relay:${namespace}`;
}

/**
 * Runs this process's {@link OutboxRelay} contender from bootstrap to shutdown. Of all processes
 * on one event store exactly one relays (the store's lock); the others stand by. Stops (finishing
 * its batch) after the transports have closed and before the platform's connections close.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly relay: OutboxRelay;

  constructor(
    @Inject(PLATFORM_RESOURCES) resources: PlatformResources,
    @Inject(RELAY_OPTIONS) options: OutboxRelayOptions,
    health: HealthRegistry,
  ) {
    const name = relayCheckpointName(resources.subjects.namespace);
    this.relay = new OutboxRelay(resources.store, resources.nats, resources.subjects, {
      logger: new Logger('OutboxRelay'),
      checkpointName: name,
      lockName: name,
      ...options,
    });
    health.register('relay', async () => {
      const stats = this.relay.stats;
      if (!stats.running) throw new Error('not running');
      return {
        role: stats.leader ? 'leader' : 'standby',
        published: stats.published,
        errors: stats.errors,
      };
    });
  }

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}

/** The outbox relay of a process; import it next to `PlatformModule.forRoot`. */
@Module({})
export class OutboxRelayModule {
  static forRoot(options: OutboxRelayOptions = {}): DynamicModule {
    return {
      module: OutboxRelayModule,
      providers: [{ provide: RELAY_OPTIONS, useValue: options }, OutboxRelayService],
      exports: [OutboxRelayService],
    };
  }
}
