import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, CommandExecutor } from '@fleetwarden/platform';
import { RetryFailedServers, taskStreamId } from '@fleetwarden/scheduling-contracts';
import { retryFailedServers, updateTaskDecider } from '@fleetwarden/scheduling-domain';
import { taskGuard } from '../common/task-guard';
import { TaskScheduler, type ScheduledTask } from '../schedule-update-task/task-scheduler';

/** `RetryFailedServers`: a new task, linked by `retryOf`, over the failed servers of a finished one. */
@Controller()
export class RetryFailedServersHandler {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly scheduler: TaskScheduler,
  ) {}

  @MessagePattern(RetryFailedServers.name)
  async handle(@Payload() payload: unknown, @Ctx() ctx: JetStreamCommandContext): Promise<ScheduledTask> {
    const data = parseOrThrow(RetryFailedServers.request, payload, `${RetryFailedServers.name} request`);
    const caller = authorize(ctx.getMeta(), RetryFailedServers.name);
    const { state } = await this.executor.load(taskStreamId(data.taskId), updateTaskDecider);
    taskGuard(caller, data.taskId)(state);
    const request = retryFailedServers(state, { newTaskId: data.newTaskId, startAt: data.startAt });
    return this.scheduler.schedule(caller, request);
  }
}
