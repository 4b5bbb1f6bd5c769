import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { ScheduleUpdateTask } from '@fleetwarden/scheduling-contracts';
import { TaskScheduler, type ScheduledTask } from './task-scheduler';
import { authorize } from '@fleetwarden/platform';

/**
 * `ScheduleUpdateTask`: operators over any servers and groups, a reseller over its own; the
 * targets are frozen into the task's server list when it is accepted.
 */
@Controller()
export class ScheduleUpdateTaskHandler {
  constructor(private readonly scheduler: TaskScheduler) {}

  @MessagePattern(ScheduleUpdateTask.name)
  async handle(@Payload() payload: unknown, @Ctx() ctx: JetStreamCommandContext): Promise<ScheduledTask> {
    const data = parseOrThrow(ScheduleUpdateTask.request, payload, `${ScheduleUpdateTask.name} request`);
    const caller = authorize(ctx.getMeta(), ScheduleUpdateTask.name);
    return this.scheduler.schedule(caller, { ...data, retryOf: null });
  }
}
