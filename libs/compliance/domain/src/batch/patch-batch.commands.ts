/** Operations took the latest patches (every 14 days by default). */
export type RecordPatchBatchDownload = {
  type: 'RecordPatchBatchDownload';
  data: { batchId: string; patches: string[]; by: string; now: string };
};

/** The batch was installed on internal servers: the 14-day watch starts. */
export type RecordPatchBatchPilot = {
  type: 'RecordPatchBatchPilot';
  data: { batchId: string; internalServerIds: string[]; by: string; now: string };
};

/** Operations approves the batch for customer servers once its watch is over. */
export type ApprovePatchBatch = {
  type: 'ApprovePatchBatch';
  data: { batchId: string; by: string; now: string };
};

export type PatchBatchCommand = RecordPatchBatchDownload | RecordPatchBatchPilot | ApprovePatchBatch;
