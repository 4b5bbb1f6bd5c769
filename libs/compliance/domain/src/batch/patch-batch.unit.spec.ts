import { evolveAll } from '@fleetwarden/shared-domain';
import { DeciderSpecification } from '@fleetwarden/testing';
import { ComplianceErrorCode } from '../compliance.errors';
import { urgentUpdateDecider } from '../urgent/urgent-update.decider';
import { approvalsOf, isApproved } from './patch-approval';
import type { PatchBatchCommand } from './patch-batch.commands';
import { patchBatchDecider } from './patch-batch.decider';
import type { PatchBatchEvent } from './patch-batch.events';

const spec = DeciderSpecification.for(patchBatchDecider);
const T0 = '2026-03-02T08:00:00.000Z';
const DAY = 86_400_000;
const at = (days: number, extraMs = 0): string => new Date(Date.parse(T0) + days * DAY + extraMs).toISOString();

const download = (patches = ['kb-1', 'kb-2'], batchId = 'b-1'): PatchBatchCommand => ({
  type: 'RecordPatchBatchDownload',
  data: { batchId, patches, by: 'operator:olga', now: at(0) },
});
const pilot = (internalServerIds = ['int-1', 'int-2']): PatchBatchCommand => ({
  type: 'RecordPatchBatchPilot',
  data: { batchId: 'b-1', internalServerIds, by: 'operator:olga', now: at(1) },
});
const approve = (now: string, batchId = 'b-1'): PatchBatchCommand => ({
  type: 'ApprovePatchBatch',
  data: { batchId, by: 'operator:olga', now },
});

const downloaded: PatchBatchEvent = {
  type: 'PatchBatchDownloaded',
  data: { batchId: 'b-1', patches: ['kb-1', 'kb-2'], by: 'operator:olga', at: at(0) },
};
const piloted: PatchBatchEvent = {
  type: 'PatchBatchPiloted',
  data: { batchId: 'b-1', internalServerIds: ['int-1', 'int-2'], watchEndsAt: at(15), by: 'operator:olga', at: at(1) },
};
const approved: PatchBatchEvent = {
  type: 'PatchBatchApproved',
  data: {
    batchId: 'b-1',
    patches: ['kb-1', 'kb-2'],
    pilotedAt: at(1),
    watchEndsAt: at(15),
    by: 'operator:olga',
    at: at(15),
  },
};

describe('patch batch', () => {
  describe('when unknown', () => {
    it('records the download of the latest patches', () => {
      spec
        .given([])
        .when(download(['kb-1', 'kb-2', 'kb-1']))
        .then([downloaded]);
    });

    it('refuses to approve it, or to record its pilot', () => {
      spec
        .given([])
        .when(approve(at(30)))
        .thenThrows(ComplianceErrorCode.UnknownBatch);
      spec.given([]).when(pilot()).thenThrows(ComplianceErrorCode.UnknownBatch);
    });

    it('refuses a batch without patches', () => {
      spec.given([]).when(download([])).thenThrows(ComplianceErrorCode.NoPatches);
    });
  });

  describe('when downloaded', () => {
    it('ignores the same download again and refuses other patches under its id', () => {
      spec
        .given([downloaded])
        .when(download(['kb-2', 'kb-1']))
        .thenNothingHappens();
      spec
        .given([downloaded])
        .when(download(['kb-3']))
        .thenThrows(ComplianceErrorCode.BatchConflict);
    });

    it('starts the 14-day watch when installed on internal servers', () => {
      spec.given([downloaded]).when(pilot()).then([piloted]);
    });

    it('refuses a pilot on no internal server', () => {
      spec.given([downloaded]).when(pilot([])).thenThrows(ComplianceErrorCode.NoPilotServers);
    });

    it('refuses the approval before the pilot', () => {
      spec
        .given([downloaded])
        .when(approve(at(30)))
        .thenThrows(ComplianceErrorCode.BatchNotPiloted);
    });
  });

  describe('when piloted', () => {
    it('refuses the approval until the 14 days are over', () => {
      spec
        .given([downloaded, piloted])
        .when(approve(at(15, -1)))
        .thenThrows(ComplianceErrorCode.WatchNotOver);
      spec
        .given([downloaded, piloted])
        .when(approve(at(8)))
        .thenThrows(ComplianceErrorCode.WatchNotOver);
    });

    it('approves it for customer servers after 14 days of watch', () => {
      spec
        .given([downloaded, piloted])
        .when(approve(at(15)))
        .then([approved]);
    });

    it('ignores a second pilot', () => {
      spec
        .given([downloaded, piloted])
        .when(pilot(['int-9']))
        .thenNothingHappens();
    });
  });

  describe('when approved', () => {
    it('ignores a repeated approval', () => {
      spec
        .given([downloaded, piloted, approved])
        .when(approve(at(20)))
        .thenNothingHappens();
    });

    it('folds into an approved batch', () => {
      expect(evolveAll(patchBatchDecider, [downloaded, piloted, approved])).toEqual({
        status: 'approved',
        batchId: 'b-1',
        patches: ['kb-1', 'kb-2'],
        downloadedAt: at(0),
        internalServerIds: ['int-1', 'int-2'],
        pilotedAt: at(1),
        watchEndsAt: at(15),
        approvedAt: at(15),
        approvedBy: 'operator:olga',
      });
    });
  });

  it('refuses a command for another batch', () => {
    spec
      .given([downloaded])
      .when(approve(at(30), 'b-2'))
      .thenThrows(ComplianceErrorCode.IdMismatch);
  });

  it('refuses a time that is not a date-time', () => {
    spec.given([downloaded, piloted]).when(approve('soon')).thenThrows(ComplianceErrorCode.InvalidTime);
  });
});

describe('isApproved', () => {
  const approvedBatch = evolveAll(patchBatchDecider, [downloaded, piloted, approved]);
  const pilotedBatch = evolveAll(patchBatchDecider, [
    { ...downloaded, data: { ...downloaded.data, batchId: 'b-2', patches: ['kb-3'] } },
    { ...piloted, data: { ...piloted.data, batchId: 'b-2' } },
  ]);
  const urgent = evolveAll(urgentUpdateDecider, [
    {
      type: 'UrgentUpdateDeclared',
      data: {
        urgentUpdateId: 'u-1',
        patches: ['kb-zero-day'],
        reason: 'exploited',
        resellers: [],
        by: 'op',
        at: at(3),
      },
    },
  ]);
  const approvals = approvalsOf([approvedBatch, pilotedBatch], [urgent]);

  it('approves the patches of approved batches from their approval', () => {
    expect(isApproved('kb-1', approvals, at(15))).toBe(true);
    expect(isApproved('kb-2', approvals, at(40))).toBe(true);
    expect(isApproved('kb-1', approvals, at(15, -1))).toBe(false);
  });

  it('does not approve patches of batches still watched, nor unknown patches', () => {
    expect(isApproved('kb-3', approvals, at(40))).toBe(false);
    expect(isApproved('kb-unknown', approvals, at(40))).toBe(false);
  });

  it('approves the patches of an urgent update from its declaration', () => {
    expect(isApproved('kb-zero-day', approvals, at(3))).toBe(true);
    expect(isApproved('kb-zero-day', approvals, at(2))).toBe(false);
  });

  it('counts a patch approved twice from the earliest approval', () => {
    const again = evolveAll(patchBatchDecider, [
      { ...downloaded, data: { ...downloaded.data, batchId: 'b-0' } },
      { ...piloted, data: { ...piloted.data, batchId: 'b-0', at: at(-20), watchEndsAt: at(-6) } },
      { ...approved, data: { ...approved.data, batchId: 'b-0', at: at(-5) } },
    ]);
    expect(approvalsOf([approvedBatch, again]).get('kb-1')).toBe(at(-5));
  });
});
