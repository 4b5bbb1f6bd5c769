export type PatchBatchDownloaded = {
  type: 'PatchBatchDownloaded';
  data: { batchId: string; patches: string[]; by: string; at: string };
};

export type PatchBatchPiloted = {
  type: 'PatchBatchPiloted';
  data: { batchId: string; internalServerIds: string[]; watchEndsAt: string; by: string; at: string };
};

export type PatchBatchApproved = {
  type: 'PatchBatchApproved';
  data: { batchId: string; patches: string[]; pilotedAt: string; watchEndsAt: string; by: string; at: string };
};

/** Every event of a patch batch stream (`patch-batch-<batchId>`). */
export type PatchBatchEvent = PatchBatchDownloaded | PatchBatchPiloted | PatchBatchApproved;
