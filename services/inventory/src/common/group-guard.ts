import { groupNotFound, type GroupState } from '@fleetwarden/inventory-domain';
import { canSee, type Caller } from '@fleetwarden/platform';

/** Another tenant's group (or an operator group, for a reseller) is "not found". */
export function groupGuard(caller: Caller, groupId: string): (state: GroupState) => void {
  return (state) => {
    if (!state.exists || state.removed || !canSee(caller, state.reseller)) throw groupNotFound(groupId);
  };
}
