import { taskNotFinished, taskNotFound, taskNothingToRetry } from '../scheduling.errors';
import type { ScheduleUpdateTaskRequest } from './update-task.commands';
import { isFinished, type UpdateTaskState } from './update-task.decider';

/**
 * The request of a new task over the failed servers of a finished task, linked to it by `retryOf`:
 * same name, type, versions and limits, no group targets. The service resolves it like any other
 * `ScheduleUpdateTask` (catalog, tenant, current versions), so a version withdrawn meanwhile is
 * refused. Servers halted or never started are not retried; only failed ones.
 */
export function retryFailedServers(
  state: UpdateTaskState,
  options: { newTaskId: string; startAt: string | null },
): ScheduleUpdateTaskRequest {
  if (!state.exists || state.taskId === null || state.type === null) throw taskNotFound(state.taskId ?? '');
  if (!isFinished(state.status)) throw taskNotFinished(state.taskId, state.status ?? 'unknown');
  const failed = state.servers.filter((s) => s.status === 'failed').map((s) => s.serverId);
  if (failed.length === 0) throw taskNothingToRetry(state.taskId);
  return {
    taskId: options.newTaskId,
    name: state.name,
    type: state.type,
    versions: state.versions.map((v) => ({ ...v })),
    includeClientApps: state.includeClientApps,
    targets: { serverIds: failed, groupIds: [] },
    startAt: options.startAt,
    staggerSeconds: state.staggerSeconds,
    window: state.window === null ? null : { ...state.window },
    maxConcurrency: state.maxConcurrency,
    failureThreshold: state.failureThreshold,
    retryOf: state.taskId,
  };
}
