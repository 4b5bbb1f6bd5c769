import type { RolloutEventContract } from '@fleetwarden/execution-contracts';
import {
  updateTaskDecider,
  type UpdateTaskCommand,
  type UpdateTaskEvent,
  type UpdateTaskState,
} from '@fleetwarden/scheduling-domain';
import { assertNever, type Decider } from '@fleetwarden/shared-domain';

/** What the execution context reported about a task's rollout. */
export type RolloutReport = Extract<RolloutEventContract, { type: 'RolloutHalted' | 'RolloutFinished' }>;

/**
 * The task's commands for one rollout report, given the task as it stands:
 *
 * - `RolloutHalted` -> `HaltTask`.
 * - `RolloutFinished` -> `FinishTask` (completed and failed servers; the others did not start),
 *   preceded by `HaltTask` when the failure threshold was reached but the halt is not recorded
 *   yet (the two reports are handled concurrently and the finish came first), so the task never
 *   misses its halt.
 * - A rollout that ended because it was cancelled (outcome `cancelled`, or servers cancelled) ->
 *   `CancelTask` keeping the servers that ran, when the task is still processing: the cancel that
 *   stopped the rollout was not recorded (or not yet). On a task already cancelled it is a
 *   `FinishTask` the domain refuses with `TASK.NOT_PROCESSING`, like every report on a task that
 *   is no longer processing.
 */
export function commandsFor(report: RolloutReport, state: UpdateTaskState): UpdateTaskCommand[] {
  const { taskId } = report.data;
  switch (report.type) {
    case 'RolloutHalted': {
      const { failedServerIds, startedServerIds } = report.data;
      return [{ type: 'HaltTask', data: { taskId, failedServerIds, startedServerIds } }];
    }
    case 'RolloutFinished': {
      const { completedServerIds, failedServerIds, outcome, cancelled } = report.data;
      const startedServerIds = [...completedServerIds, ...failedServerIds];
      if ((outcome === 'cancelled' || cancelled > 0) && state.status === 'processing') {
        return [{ type: 'CancelTask', data: { taskId, startedServerIds } }];
      }
      const finish: UpdateTaskCommand = {
        type: 'FinishTask',
        data: {
          taskId,
          results: [
            ...completedServerIds.map((serverId) => ({ serverId, outcome: 'completed' as const })),
            ...failedServerIds.map((serverId) => ({ serverId, outcome: 'failed' as const })),
          ],
        },
      };
      const threshold = state.failureThreshold;
      const haltMissed =
        state.status === 'processing' &&
        !state.halted &&
        threshold !== null &&
        new Set(failedServerIds).size >= threshold;
      if (!haltMissed) return [finish];
      return [{ type: 'HaltTask', data: { taskId, failedServerIds, startedServerIds } }, finish];
    }
    default:
      return assertNever(report, 'rollout report');
  }
}

/** The update task's decider, deciding a rollout report as the commands of {@link commandsFor}, in one append. */
export const rolloutReactionDecider: Decider<RolloutReport, UpdateTaskEvent, UpdateTaskState> = {
  initialState: updateTaskDecider.initialState,
  evolve: updateTaskDecider.evolve,
  decide: (report, state) => {
    const events: UpdateTaskEvent[] = [];
    let current = state;
    for (const command of commandsFor(report, state)) {
      const decided = updateTaskDecider.decide(command, current);
      current = decided.reduce(updateTaskDecider.evolve, current);
      events.push(...decided);
    }
    return events;
  },
};
