import type { PatchBatchState } from './patch-batch.decider';
import type { UrgentUpdateState } from '../urgent/urgent-update.decider';

/** Patches approved for customer servers: patch id -> when it was approved (ISO instant). */
export type PatchApprovals = ReadonlyMap<string, string>;

/**
 * True when `patch` had been approved for customer servers by `at` (an ISO instant). Only
 * approved patches may be installed on customer servers.
 */
export function isApproved(patch: string, approvals: PatchApprovals, at: string): boolean {
  const approvedAt = approvals.get(patch);
  return approvedAt !== undefined && Date.parse(approvedAt) <= Date.parse(at);
}

/**
 * The approvals of `batches` (the patches of each approved batch, from its approval) and of
 * `urgentUpdates` (declaring an urgent update approves its patches, from the declaration). A
 * patch approved more than once counts from the earliest.
 */
export function approvalsOf(
  batches: Iterable<PatchBatchState>,
  urgentUpdates: Iterable<UrgentUpdateState> = [],
): PatchApprovals {
  const approvals = new Map<string, string>();
  const add = (patches: readonly string[], at: string): void => {
    for (const patch of patches) {
      const known = approvals.get(patch);
      if (known === undefined || Date.parse(at) < Date.parse(known)) approvals.set(patch, at);
    }
  };
  for (const batch of batches)
    if (batch.status === 'approved' && batch.approvedAt !== null) add(batch.patches, batch.approvedAt);
  for (const update of urgentUpdates)
    if (update.exists && update.declaredAt !== null) add(update.patches, update.declaredAt);
  return approvals;
}
