import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, CommandExecutor } from '@fleetwarden/platform';
import { DeleteTask, taskStreamId } from '@fleetwarden/scheduling-contracts';
import { updateTaskDecider } from '@fleetwarden/scheduling-domain';
import { executeGuarded } from '../common/guarded-execution';
import { taskGuard } from '../common/task-guard';

/** `DeleteTask`: hides a finished task from the task list; its history is kept. */
@Controller()
export class DeleteTaskHandler {
  constructor(private readonly executor: CommandExecutor) {}

  @MessagePattern(DeleteTask.name)
  async handle(@Payload() payload: unknown, @Ctx() ctx: JetStreamCommandContext): Promise<{ taskId: string }> {
    const data = parseOrThrow(DeleteTask.request, payload, `${DeleteTask.name} request`);
    const caller = authorize(ctx.getMeta(), DeleteTask.name);
    await executeGuarded(
      this.executor,
      {
        streamId: taskStreamId(data.taskId),
        decider: updateTaskDecider,
        command: { type: 'DeleteTask', data: { taskId: data.taskId } },
        meta: caller.meta,
        context: 'scheduling',
        resellerOf: (s) => s.tenant,
      },
      taskGuard(caller, data.taskId),
    );
    return { taskId: data.taskId };
  }
}
