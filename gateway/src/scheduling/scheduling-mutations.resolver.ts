import { createHash, randomUUID } from 'node:crypto';
import { UseGuards } from '@nestjs/common';
import { Args, Context, ID, Mutation, Resolver } from '@nestjs/graphql';
import {
  CancelTask,
  DeleteTask,
  PublishVersion,
  RetryFailedServers,
  ScheduleUpdateTask,
  WithdrawVersion,
  catalogStreamId,
  taskStreamId,
} from '@fleetwarden/scheduling-contracts';
import { AuthGuard, CurrentPrincipal, Roles } from '../auth/auth.guard';
import type { Principal } from '../auth/jwt-tokens';
import type { GatewayContext } from '../graphql/gateway-context';
import { GqlErrorCode, gqlError } from '../graphql/graphql-errors';
import { commandCall, type CommandCall } from '../inventory/inventory-commands';
import { ProjectionBarrier } from '../read-model/projection-barrier';
import { Component } from './models/scheduling.enums';
import { PublishVersionInput, ScheduleUpdateInput } from './models/scheduling.inputs';
import { Task } from './models/task.model';
import { Version } from './models/version.model';
import { SchedulingCommands } from './scheduling-commands';
import { CATALOG_PROJECTION, TASK_PROJECTION } from './scheduling.projection';
import { SchedulingReadModel, taskScopeOf } from './scheduling.read-model';

const IDEMPOTENCY_KEY_DOC =
  'Repeating a mutation with the same key applies it once and returns the first outcome. Default: a new key.';
const idempotencyKeyArg = () =>
  Args('idempotencyKey', { type: () => String, nullable: true, description: IDEMPOTENCY_KEY_DOC });

/** `taskId` -> `id`, every other command field as is. */
const taskArgument = (f: string): string => (f === 'taskId' ? 'id' : f);

/**
 * Catalog and task mutations: each sends one command to the scheduling service, then waits until
 * the read model shows the outcome and returns it. Auditors may call none; publishing and
 * withdrawing versions is for operators; a reseller acts only on its own tasks (others are
 * NOT_FOUND).
 */
@Resolver()
@UseGuards(AuthGuard)
@Roles('operator', 'reseller')
export class SchedulingMutationsResolver {
  constructor(
    private readonly commands: SchedulingCommands,
    private readonly readModel: SchedulingReadModel,
    private readonly barrier: ProjectionBarrier,
  ) {}

  @Mutation(() => Version, { description: 'Publishes a released version in the catalog. Operators only.' })
  @Roles('operator')
  async publishVersion(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('input', { type: () => PublishVersionInput }) input: PublishVersionInput,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<Version> {
    const call = commandCall(ctx, idempotencyKey, (f) => `input.${f}`);
    await this.commands.send(
      PublishVersion,
      {
        component: input.component,
        version: input.version,
        stage: input.stage,
        schemaVersion: input.schemaVersion,
        notes: input.notes ?? '',
      },
      principal,
      call,
    );
    return this.versionAfter(input.component, input.version, call);
  }

  @Mutation(() => Version, {
    description:
      'Withdraws a version: new tasks may no longer target it; scheduled ones are untouched. Operators only.',
  })
  @Roles('operator')
  async withdrawVersion(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('component', { type: () => Component }) component: Component,
    @Args('version') version: string,
    @Args('reason', { type: () => String, nullable: true }) reason?: string | null,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<Version> {
    const call = commandCall(ctx, idempotencyKey, (f) => f);
    await this.commands.send(WithdrawVersion, { component, version, reason: reason ?? null }, principal, call);
    return this.versionAfter(component, version, call);
  }

  @Mutation(() => Task, {
    description:
      "Schedules an update task over servers and groups (resolved into a frozen list). A reseller's targets must be its own.",
  })
  async scheduleUpdate(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('input', { type: () => ScheduleUpdateInput }) input: ScheduleUpdateInput,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<Task> {
    const call = commandCall(ctx, idempotencyKey, (f) => `input.${f}`);
    const taskId = newTaskId(principal, idempotencyKey);
    await this.commands.send(
      ScheduleUpdateTask,
      {
        taskId,
        name: input.name,
        type: input.type,
        versions: input.versions.map((v) => ({ component: v.component, version: v.version })),
        includeClientApps: input.includeClientApps ?? false,
        targets: { serverIds: input.targets.serverIds ?? [], groupIds: input.targets.groupIds ?? [] },
        startAt: input.startAt ? input.startAt.toISOString() : null,
        staggerSeconds: input.staggerSeconds ?? 180,
        window: input.window ?? null,
        maxConcurrency: input.maxConcurrency ?? null,
        failureThreshold: input.failureThreshold ?? null,
      },
      principal,
      call,
    );
    return this.taskAfter(principal, taskId, call);
  }

  @Mutation(() => Task, {
    description: 'Cancels a pending task, or the not-yet-started servers of a processing one.',
  })
  async cancelTask(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('id', { type: () => ID }) id: string,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<Task> {
    const call = commandCall(ctx, idempotencyKey, taskArgument);
    await this.requireTask(principal, id);
    await this.commands.send(CancelTask, { taskId: id }, principal, call);
    return this.taskAfter(principal, id, call);
  }

  @Mutation(() => ID, { description: 'Hides a finished task from the task list (history is kept); returns its id.' })
  async deleteTask(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('id', { type: () => ID }) id: string,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<string> {
    const call = commandCall(ctx, idempotencyKey, taskArgument);
    await this.requireTask(principal, id);
    await this.commands.send(DeleteTask, { taskId: id }, principal, call);
    await this.barrier.caughtUp(TASK_PROJECTION, taskStreamId(id), call.correlationId);
    return id;
  }

  @Mutation(() => Task, {
    description:
      'Schedules a new task, starting now, over the failed servers of a finished task; returns the new task.',
  })
  async retryFailedServers(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('id', { type: () => ID }) id: string,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<Task> {
    const call = commandCall(ctx, idempotencyKey, taskArgument);
    await this.requireTask(principal, id);
    const newTaskId_ = newTaskId(principal, idempotencyKey);
    await this.commands.send(RetryFailedServers, { taskId: id, newTaskId: newTaskId_, startAt: null }, principal, call);
    return this.taskAfter(principal, newTaskId_, call);
  }

  /** A reseller may act only on its own tasks: any other id is NOT_FOUND. */
  private async requireTask(principal: Principal, id: string): Promise<void> {
    if (principal.role !== 'reseller') return;
    if (!(await this.readModel.getTask(taskScopeOf(principal), id))) {
      throw gqlError(GqlErrorCode.NOT_FOUND, `Task not found: ${id}`, { argument: 'id' });
    }
  }

  private async versionAfter(component: Component, version: string, call: CommandCall): Promise<Version> {
    await this.barrier.caughtUp(CATALOG_PROJECTION, catalogStreamId(component), call.correlationId);
    const found = await this.readModel.version(component, version);
    if (!found) throw gqlError(GqlErrorCode.NOT_FOUND, `Version not found: ${version}`, { argument: 'version' });
    return found;
  }

  private async taskAfter(principal: Principal, id: string, call: CommandCall): Promise<Task> {
    await this.barrier.caughtUp(TASK_PROJECTION, taskStreamId(id), call.correlationId);
    const task = await this.readModel.getTask(taskScopeOf(principal), id);
    if (!task) throw gqlError(GqlErrorCode.NOT_FOUND, `Task not found: ${id}`, { argument: 'id' });
    return task;
  }
}

/** A new task id; derived from the idempotency key when there is one, so that a retry names the same task. */
export function newTaskId(principal: Principal, idempotencyKey: string | null | undefined): string {
  if (!idempotencyKey) return `task-${randomUUID()}`;
  const digest = createHash('sha256').update(`${principal.actor}\u0000task\u0000${idempotencyKey}`).digest('hex');
  return `task-${digest.slice(0, 32)}`;
}
