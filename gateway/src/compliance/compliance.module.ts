import { Module, type DynamicModule } from '@nestjs/common';
import { AuthGuard } from '../auth/auth.guard';
import { DEFAULT_GATEWAY_OPTIONS, GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { ProjectionBarrier } from '../read-model/projection-barrier';
import { ReadModelDb } from '../read-model/read-model-db';
import { ComplianceChangedResolver } from './compliance-changed.resolver';
import { ComplianceChangesFeed } from './compliance-changes.feed';
import { ComplianceCommands } from './compliance-commands';
import { ComplianceMutationsResolver } from './compliance-mutations.resolver';
import { ComplianceProjection } from './compliance.projection';
import { ComplianceReadModel } from './compliance.read-model';
import { ComplianceResolver, ServerComplianceResolver } from './compliance.resolver';

const PROVIDERS = [
  ReadModelDb,
  ProjectionBarrier,
  ComplianceProjection,
  ComplianceReadModel,
  ComplianceCommands,
  AuthGuard,
  ComplianceResolver,
  ServerComplianceResolver,
  ComplianceMutationsResolver,
  ComplianceChangesFeed,
  ComplianceChangedResolver,
];

/**
 * Patch compliance in the gateway: the projection and read model, the summary, server counters,
 * charges, urgent updates and patch batches, the compliance mutations and `complianceChanged`.
 */
@Module({})
export class ComplianceModule {
  static forRoot(options: GatewayOptions = {}): DynamicModule {
    return {
      module: ComplianceModule,
      providers: [{ provide: GATEWAY_OPTIONS, useValue: { ...DEFAULT_GATEWAY_OPTIONS, ...options } }, ...PROVIDERS],
    };
  }
}
