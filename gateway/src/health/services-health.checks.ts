import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { CONTEXTS, PING_COMMANDS, pingReplySchema, type PingReply } from '@fleetwarden/contracts';
import { JetStreamClientProxy } from '@fleetwarden/messaging';
import { HealthRegistry, PLATFORM_RESOURCES, type PlatformResources } from '@fleetwarden/platform';

/** Time a service has to answer `Ping` before `/health` reports it down. */
export const SERVICE_PING_TIMEOUT_MS = 1000;

/** Registers one health part per service: up when some instance answers `Ping` over NATS. */
@Injectable()
export class ServicesHealthChecks implements OnApplicationShutdown {
  private readonly client: JetStreamClientProxy;

  constructor(health: HealthRegistry, @Inject(PLATFORM_RESOURCES) resources: PlatformResources) {
    this.client = new JetStreamClientProxy({
      connection: resources.nats,
      subjects: resources.subjects,
      timeoutMs: SERVICE_PING_TIMEOUT_MS,
    });
    for (const context of CONTEXTS) {
      health.register(context, async () => {
        const start = Date.now();
        const raw = await this.client.command<PingReply>({ context, command: PING_COMMANDS[context].name }, {});
        const reply = pingReplySchema.parse(raw);
        return { instanceId: reply.instanceId, uptimeMs: reply.uptimeMs, latencyMs: Date.now() - start };
      });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
