import { UseGuards } from '@nestjs/common';
import { Args, Context, ID, Resolver, Subscription } from '@nestjs/graphql';
import type { PubSub } from 'mercurius';
import { AuthGuard } from '../auth/auth.guard';
import type { GatewayContext } from '../graphql/gateway-context';
import { Task } from './models/task.model';
import { taskProgressTopic, type TaskProgressMessage } from './task-progress.feed';

/** Whether a subscriber may see a task's change: a reseller only its own tasks. */
export function deliversTaskTo(message: TaskProgressMessage, ctx: Pick<GatewayContext, 'principal'>): boolean {
  const principal = ctx.principal;
  if (!principal) return false;
  return principal.role !== 'reseller' || message.tenant === principal.reseller;
}

@Resolver()
export class TaskProgressResolver {
  @Subscription(() => Task, {
    description:
      "A task's status and progress, pushed after the read model has each change (scheduled, started, halted, " +
      'finished, and every change of one of its servers: dispatched, phase, completed, failed, cancelled, not ' +
      "started). Over WebSocket on /graphql; send { authorization: 'Bearer <token>' } as the connection-init " +
      'payload. A reseller receives its own tasks only.',
    filter: (payload: TaskProgressMessage, _variables: unknown, ctx: GatewayContext) => deliversTaskTo(payload, ctx),
    resolve: (payload: TaskProgressMessage) => payload.taskProgress,
  })
  @UseGuards(AuthGuard)
  taskProgress(@Context('pubsub') pubsub: PubSub, @Args('taskId', { type: () => ID }) taskId: string) {
    return pubsub.subscribe(taskProgressTopic(taskId));
  }
}
