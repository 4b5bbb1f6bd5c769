import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, CommandExecutor } from '@fleetwarden/platform';
import { CancelTask, taskStreamId } from '@fleetwarden/scheduling-contracts';
import { updateTaskDecider } from '@fleetwarden/scheduling-domain';
import { executeGuarded } from '../common/guarded-execution';
import { taskGuard } from '../common/task-guard';

/**
 * `CancelTask`: a pending task, or the not-yet-started servers of a processing one. No server job
 * has started yet (the execution service does not exist), so `startedServerIds` is empty: once it
 * exists, the servers it reports started must be passed here.
 */
@Controller()
export class CancelTaskHandler {
  constructor(private readonly executor: CommandExecutor) {}

  @MessagePattern(CancelTask.name)
  async handle(
    @Payload() payload: unknown,
    @Ctx() ctx: JetStreamCommandContext,
  ): Promise<{ taskId: string; cancelledServerIds: string[] }> {
    const data = parseOrThrow(CancelTask.request, payload, `${CancelTask.name} request`);
    const caller = authorize(ctx.getMeta(), CancelTask.name);
    const result = await executeGuarded(
      this.executor,
      {
        streamId: taskStreamId(data.taskId),
        decider: updateTaskDecider,
        command: { type: 'CancelTask', data: { taskId: data.taskId, startedServerIds: [] } },
        meta: caller.meta,
        context: 'scheduling',
        resellerOf: (s) => s.tenant,
      },
      taskGuard(caller, data.taskId),
    );
    const cancelledServerIds = result.state.servers.filter((s) => s.status === 'cancelled').map((s) => s.serverId);
    return { taskId: data.taskId, cancelledServerIds };
  }
}
