import { UseGuards } from '@nestjs/common';
import { Args, Context, ID, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { AuthGuard, CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/jwt-tokens';
import { BatchLoader } from '../graphql/batch-loader';
import { perRequest, type GatewayContext } from '../graphql/gateway-context';
import { badUserInput } from '../graphql/graphql-errors';
import { Server } from '../inventory/models/server.model';
import { Component, TaskStatusFilter } from './models/scheduling.enums';
import { Task, TaskConnection, TaskServer } from './models/task.model';
import { Version } from './models/version.model';
import { SchedulingReadModel, taskScopeOf } from './scheduling.read-model';
import { decodeTaskCursor, encodeTaskCursor } from './task-cursor';

/** Default and largest page size of the task list. */
export const DEFAULT_TASK_PAGE_SIZE = 50;
export const MAX_TASK_PAGE_SIZE = 500;

/** The catalog, the task list and the Task page. */
@Resolver(() => Task)
@UseGuards(AuthGuard)
export class TasksResolver {
  constructor(private readonly readModel: SchedulingReadModel) {}

  @Query(() => [Version], { description: 'Published versions of a component, highest first (withdrawn ones flagged).' })
  versions(@Args('component', { type: () => Component }) component: Component): Promise<Version[]> {
    return this.readModel.versions(component);
  }

  @Query(() => TaskConnection, {
    description:
      'Update tasks the caller can see (a reseller: its own), newest first, deleted ones hidden; ' +
      'keyset-paginated: pass `pageInfo.endCursor` as `after`.',
  })
  async tasks(
    @CurrentPrincipal() principal: Principal,
    @Args('status', { type: () => TaskStatusFilter, nullable: true, defaultValue: TaskStatusFilter.ALL })
    status?: TaskStatusFilter | null,
    @Args('first', { type: () => Int, nullable: true, defaultValue: DEFAULT_TASK_PAGE_SIZE, description: '1 to 500.' })
    first?: number | null,
    @Args('after', { type: () => String, nullable: true }) after?: string | null,
  ): Promise<TaskConnection> {
    const size = first ?? DEFAULT_TASK_PAGE_SIZE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_TASK_PAGE_SIZE) {
      throw badUserInput('first', `must be between 1 and ${MAX_TASK_PAGE_SIZE}, got ${size}`);
    }
    const key = after === null || after === undefined ? null : decodeTaskCursor(after);
    const page = await this.readModel.listTasks(taskScopeOf(principal), {
      status: status ?? TaskStatusFilter.ALL,
      first: size,
      after: key,
    });
    const edges = page.tasks.map((node) => ({
      cursor: encodeTaskCursor([node.postedAt.toISOString(), node.id]),
      node,
    }));
    return {
      edges,
      pageInfo: {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: key !== null,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
    };
  }

  @Query(() => Task, {
    nullable: true,
    description: 'One task (deleted ones too); null when it does not exist or belongs to another tenant.',
  })
  task(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string): Promise<Task | null> {
    return this.readModel.getTask(taskScopeOf(principal), id);
  }

  @ResolveField(() => [TaskServer], { description: 'The frozen server list, in start order.' })
  servers(@Parent() task: Task, @Context() ctx: GatewayContext): Promise<TaskServer[]> | TaskServer[] {
    if (task.servers) return task.servers;
    const loader = perRequest(
      ctx,
      'task.servers',
      () => new BatchLoader((ids: string[]) => this.readModel.serversOfTasks(ids), noServers),
    );
    return loader.load(task.id);
  }
}

/** `TaskServer.server`: the inventory's server, batched per request. */
@Resolver(() => TaskServer)
export class TaskServerResolver {
  constructor(private readonly readModel: SchedulingReadModel) {}

  @ResolveField(() => Server, { nullable: true })
  server(
    @Parent() row: TaskServer,
    @Context() ctx: GatewayContext,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Server | null> {
    const loader = perRequest(
      ctx,
      'taskServer.server',
      () =>
        new BatchLoader<string, Server | null>(
          (ids: string[]) => this.readModel.serversById(taskScopeOf(principal), ids),
          () => null,
        ),
    );
    return loader.load(row.serverId);
  }
}

/** `Server.schedule`: the tasks touching a server. */
@Resolver(() => Server)
export class ServerScheduleResolver {
  constructor(private readonly readModel: SchedulingReadModel) {}

  @ResolveField(() => [Task], {
    description: 'Update tasks touching this server that the caller can see, newest first (deleted ones hidden).',
  })
  schedule(
    @Parent() server: Server,
    @Context() ctx: GatewayContext,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Task[]> {
    const loader = perRequest(
      ctx,
      'server.schedule',
      () => new BatchLoader((ids: string[]) => this.readModel.tasksOfServers(taskScopeOf(principal), ids), noTasks),
    );
    return loader.load(server.id);
  }
}

const noServers = (): TaskServer[] => [];
const noTasks = (): Task[] => [];
