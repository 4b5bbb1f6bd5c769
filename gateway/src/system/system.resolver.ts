import { Query, Resolver } from '@nestjs/graphql';
import { HealthRegistry, fleetwardenVersion } from '@fleetwarden/platform';
import { Health, HealthStatus, PartStatus } from './system.model';

/** Queries about the installation itself. */
@Resolver()
export class SystemResolver {
  constructor(private readonly health: HealthRegistry) {}

  @Query(() => String, { description: 'Version of Fleetwarden serving this API.' })
  version(): string {
    return fleetwardenVersion();
  }

  @Query(() => Health, { name: 'health', description: 'State of every dependency and service.' })
  async healthReport(): Promise<Health> {
    const report = await this.health.check();
    return {
      status: report.status === 'ok' ? HealthStatus.OK : HealthStatus.DOWN,
      parts: Object.entries(report.parts).map(([name, part]) => ({
        name,
        status: part.status === 'up' ? PartStatus.UP : PartStatus.DOWN,
        error: part.error ?? null,
      })),
    };
  }
}
