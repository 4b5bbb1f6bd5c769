import { Inject, Injectable } from '@nestjs/common';
import type { EventStore } from '@fleetwarden/eventstore';
import {
  type Caller,
  canSee,
  CLOCK,
  CommandExecutor,
  EVENT_STORE,
  type FleetwardenConfig,
  PLATFORM_CONFIG,
} from '@fleetwarden/platform';
import { catalogStreamId, taskStreamId } from '@fleetwarden/scheduling-contracts';
import {
  catalogDecider,
  catalogEntries,
  taskAlreadyExists,
  updateTaskDecider,
  type CatalogEntry,
  type Component,
  type ScheduleUpdateTaskRequest,
} from '@fleetwarden/scheduling-domain';
import type { Clock } from '@fleetwarden/shared-domain';
import { executeGuarded } from '../common/guarded-execution';
import { resolveTargets } from '../fleet-view/target-resolver';

/** What a scheduled task's reply says. */
export interface ScheduledTask {
  taskId: string;
  serverCount: number;
  startAt: string;
}

/**
 * Resolves a task request (clock, caller, catalog of the requested components, targets from the
 * fleet view) and runs `ScheduleUpdateTask` on the task's stream.
 */
@Injectable()
export class TaskScheduler {
  constructor(
    private readonly executor: CommandExecutor,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PLATFORM_CONFIG) private readonly config: FleetwardenConfig,
  ) {}

  async schedule(caller: Caller, request: ScheduleUpdateTaskRequest): Promise<ScheduledTask> {
    const [catalog, targets] = await Promise.all([
      this.catalog(request.versions.map((v) => v.component)),
      resolveTargets(this.store, this.config.dbSchema, caller, request.targets),
    ]);
    const result = await executeGuarded(
      this.executor,
      {
        streamId: taskStreamId(request.taskId),
        decider: updateTaskDecider,
        command: {
          type: 'ScheduleUpdateTask',
          data: request,
          resolved: {
            now: this.clock.now().toISOString(),
            postedBy: caller.meta.actor ?? caller.role,
            tenant: caller.reseller,
            catalog,
            ...targets,
          },
        },
        meta: caller.meta,
        context: 'scheduling',
        resellerOf: (s) => s.tenant,
      },
      () => undefined,
      (state) => {
        if (!canSee(caller, state.tenant)) throw taskAlreadyExists(request.taskId);
      },
    );
    const { state } = result;
    return { taskId: request.taskId, serverCount: state.servers.length, startAt: state.startAt ?? '' };
  }

  private async catalog(components: Component[]): Promise<CatalogEntry[]> {
    const loaded = await Promise.all(
      [...new Set(components)].map((c) => this.executor.load(catalogStreamId(c), catalogDecider)),
    );
    return loaded.flatMap(({ state }) => catalogEntries(state));
  }
}
