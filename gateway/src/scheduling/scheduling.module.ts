import { Module, type DynamicModule } from '@nestjs/common';
import { AuthGuard } from '../auth/auth.guard';
import { DEFAULT_GATEWAY_OPTIONS, GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { ProjectionBarrier } from '../read-model/projection-barrier';
import { ReadModelDb } from '../read-model/read-model-db';
import { SchedulingCommands } from './scheduling-commands';
import { SchedulingMutationsResolver } from './scheduling-mutations.resolver';
import { SchedulingProjections } from './scheduling.projection';
import { SchedulingReadModel } from './scheduling.read-model';
import { TaskProgressFeed } from './task-progress.feed';
import { TaskProgressResolver } from './task-progress.resolver';
import { ServerScheduleResolver, TaskServerResolver, TasksResolver } from './tasks.resolver';

const PROVIDERS = [
  ReadModelDb,
  ProjectionBarrier,
  SchedulingProjections,
  SchedulingReadModel,
  SchedulingCommands,
  AuthGuard,
  TasksResolver,
  TaskServerResolver,
  ServerScheduleResolver,
  SchedulingMutationsResolver,
  TaskProgressFeed,
  TaskProgressResolver,
];

/** Scheduling in the gateway: catalog and task projections, read models, queries, mutations and the progress subscription. */
@Module({})
export class SchedulingModule {
  static forRoot(options: GatewayOptions = {}): DynamicModule {
    return {
      module: SchedulingModule,
      providers: [{ provide: GATEWAY_OPTIONS, useValue: { ...DEFAULT_GATEWAY_OPTIONS, ...options } }, ...PROVIDERS],
    };
  }
}
