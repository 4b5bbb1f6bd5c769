import { assertNever, type Decider } from '@fleetwarden/shared-domain';
import {
  batchConflict,
  batchNotPiloted,
  idMismatch,
  noPatches,
  noPilotServers,
  unknownBatch,
  watchNotOver,
} from '../compliance.errors';
import { DAY_MS, PATCH_WATCH_DAYS } from '../compliance.types';
import { parseInstant } from '../counter/compliance-counter';
import type {
  ApprovePatchBatch,
  PatchBatchCommand,
  RecordPatchBatchDownload,
  RecordPatchBatchPilot,
} from './patch-batch.commands';
import type { PatchBatchEvent } from './patch-batch.events';

/** downloaded -> piloted (installed on internal servers, watched {@link PATCH_WATCH_DAYS} days) -> approved. */
export type PatchBatchStatus = 'none' | 'downloaded' | 'piloted' | 'approved';

export interface PatchBatchState {
  status: PatchBatchStatus;
  batchId: string;
  patches: string[];
  downloadedAt: string | null;
  internalServerIds: string[];
  pilotedAt: string | null;
  /** Approval is possible from this instant: {@link PATCH_WATCH_DAYS} days after the pilot. */
  watchEndsAt: string | null;
  approvedAt: string | null;
  approvedBy: string | null;
}

export function initialPatchBatchState(): PatchBatchState {
  return {
    status: 'none',
    batchId: '',
    patches: [],
    downloadedAt: null,
    internalServerIds: [],
    pilotedAt: null,
    watchEndsAt: null,
    approvedAt: null,
    approvedBy: null,
  };
}

export function decidePatchBatch(command: PatchBatchCommand, state: PatchBatchState): PatchBatchEvent[] {
  const { batchId, now } = command.data;
  if (state.status !== 'none' && state.batchId !== batchId) throw idMismatch('patch batch', state.batchId, batchId);
  parseInstant('now', now);
  switch (command.type) {
    case 'RecordPatchBatchDownload':
      return download(command, state);
    case 'RecordPatchBatchPilot':
      return pilot(command, state);
    case 'ApprovePatchBatch':
      return approve(command, state);
    default:
      return assertNever(command, 'patch batch command');
  }
}

function download(command: RecordPatchBatchDownload, state: PatchBatchState): PatchBatchEvent[] {
  const { batchId, by, now } = command.data;
  const patches = unique(command.data.patches);
  if (patches.length === 0) throw noPatches(`Patch batch ${batchId}`);
  if (state.status === 'none') return [{ type: 'PatchBatchDownloaded', data: { batchId, patches, by, at: now } }];
  if (sameSet(patches, state.patches)) return [];
  throw batchConflict(batchId, 'it was downloaded with other patches');
}

function pilot(command: RecordPatchBatchPilot, state: PatchBatchState): PatchBatchEvent[] {
  const { batchId, by, now } = command.data;
  if (state.status === 'none') throw unknownBatch(batchId);
  const internalServerIds = unique(command.data.internalServerIds);
  if (internalServerIds.length === 0) throw noPilotServers(batchId);
  if (state.status !== 'downloaded') return [];
  const watchEndsAt = new Date(parseInstant('now', now) + PATCH_WATCH_DAYS * DAY_MS).toISOString();
  return [{ type: 'PatchBatchPiloted', data: { batchId, internalServerIds, watchEndsAt, by, at: now } }];
}

function approve(command: ApprovePatchBatch, state: PatchBatchState): PatchBatchEvent[] {
  const { batchId, by, now } = command.data;
  switch (state.status) {
    case 'none':
      throw unknownBatch(batchId);
    case 'downloaded':
      throw batchNotPiloted(batchId);
    case 'approved':
      return [];
    case 'piloted': {
      const { pilotedAt, watchEndsAt } = state;
      if (pilotedAt === null || watchEndsAt === null) throw batchNotPiloted(batchId);
      if (parseInstant('now', now) < Date.parse(watchEndsAt)) throw watchNotOver(batchId, watchEndsAt);
      return [
        {
          type: 'PatchBatchApproved',
          data: { batchId, patches: [...state.patches], pilotedAt, watchEndsAt, by, at: now },
        },
      ];
    }
    default:
      return assertNever(state.status, 'patch batch status');
  }
}

export function evolvePatchBatch(state: PatchBatchState, event: PatchBatchEvent): PatchBatchState {
  switch (event.type) {
    case 'PatchBatchDownloaded':
      return {
        ...state,
        status: 'downloaded',
        batchId: event.data.batchId,
        patches: [...event.data.patches],
        downloadedAt: event.data.at,
      };
    case 'PatchBatchPiloted':
      return {
        ...state,
        status: 'piloted',
        internalServerIds: [...event.data.internalServerIds],
        pilotedAt: event.data.at,
        watchEndsAt: event.data.watchEndsAt,
      };
    case 'PatchBatchApproved':
      return { ...state, status: 'approved', approvedAt: event.data.at, approvedBy: event.data.by };
    default:
      return assertNever(event, 'patch batch event');
  }
}

const unique = (values: readonly string[]): string[] => [...new Set(values)];
const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((value) => b.includes(value));

/**
 * One patch batch of the approval cycle (`patch-batch-<batchId>`): downloaded, installed on
 * internal servers, watched {@link PATCH_WATCH_DAYS} days, approved for customer servers. Only
 * approved patches may be installed on customer servers ({@link isApproved}).
 */
export const patchBatchDecider: Decider<PatchBatchCommand, PatchBatchEvent, PatchBatchState> = {
  decide: decidePatchBatch,
  evolve: evolvePatchBatch,
  initialState: initialPatchBatchState,
};
