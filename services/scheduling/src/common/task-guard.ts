import { taskNotFound, type UpdateTaskState } from '@fleetwarden/scheduling-domain';
import { canSee, type Caller } from '@fleetwarden/platform';

/** Another tenant's task (or an operator's, for a reseller) is "not found", like a task that does not exist. */
export function taskGuard(caller: Caller, taskId: string): (state: UpdateTaskState) => void {
  return (state) => {
    if (!state.exists || !canSee(caller, state.tenant)) throw taskNotFound(taskId);
  };
}
