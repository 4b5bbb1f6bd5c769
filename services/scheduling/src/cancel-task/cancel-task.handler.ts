import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, type Caller, CommandExecutor, type ExecutionResult } from '@fleetwarden/platform';
import { CancelTask, taskStreamId } from '@fleetwarden/scheduling-contracts';
import {
  updateTaskDecider,
  type UpdateTaskCommand,
  type UpdateTaskEvent,
  type UpdateTaskState,
} from '@fleetwarden/scheduling-domain';
import { executeGuarded } from '../common/guarded-execution';
import { taskGuard } from '../common/task-guard';
import { ExecutionCommands } from './execution-commands';

/** The task is processing: its rollout must be cancelled first, to learn which servers have started. */
class RolloutInProgress extends Error {
  override name = 'RolloutInProgress';
}

/**
 * `CancelTask`: a pending task is cancelled at once. For a processing one the execution service
 * first stops its rollout (`CancelRollout`) and replies which servers have started: those run on,
 * the others are cancelled. When the execution service does not answer, the cancel is refused
 * (`TASK.EXECUTION_UNAVAILABLE`) and nothing is recorded. Whether to ask is decided on the very
 * state the decider sees, so a task started meanwhile is never cancelled without asking.
 */
@Controller()
export class CancelTaskHandler {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly execution: ExecutionCommands,
  ) {}

  @MessagePattern(CancelTask.name)
  async handle(
    @Payload() payload: unknown,
    @Ctx() ctx: JetStreamCommandContext,
  ): Promise<{ taskId: string; cancelledServerIds: string[] }> {
    const data = parseOrThrow(CancelTask.request, payload, `${CancelTask.name} request`);
    const caller = authorize(ctx.getMeta(), CancelTask.name);
    let result: ExecutionResult<UpdateTaskEvent, UpdateTaskState>;
    try {
      result = await this.cancel(caller, data.taskId, null);
    } catch (err) {
      if (!(err instanceof RolloutInProgress)) throw err;
      const { startedServerIds } = await this.execution.cancelRollout(data.taskId, caller.meta);
      result = await this.cancel(caller, data.taskId, startedServerIds);
    }
    const cancelledServerIds = result.state.servers.filter((s) => s.status === 'cancelled').map((s) => s.serverId);
    return { taskId: data.taskId, cancelledServerIds };
  }

  /** `startedServerIds` null: the execution service was not asked (yet). */
  private cancel(
    caller: Caller,
    taskId: string,
    startedServerIds: string[] | null,
  ): Promise<ExecutionResult<UpdateTaskEvent, UpdateTaskState>> {
    const command: UpdateTaskCommand = {
      type: 'CancelTask',
      data: { taskId, startedServerIds: startedServerIds ?? [] },
    };
    return executeGuarded(
      this.executor,
      {
        streamId: taskStreamId(taskId),
        decider: {
          ...updateTaskDecider,
          decide: (cmd, state) => {
            if (state.status === 'processing' && startedServerIds === null) throw new RolloutInProgress();
            // Cancelled while the execution service answered: from the rollout's end (see rollout-reactions).
            if (state.status === 'cancelled' && startedServerIds !== null) return [];
            return updateTaskDecider.decide(cmd, state);
          },
        },
        command,
        meta: caller.meta,
        context: 'scheduling',
        resellerOf: (s) => s.tenant,
      },
      taskGuard(caller, taskId),
    );
  }
}
