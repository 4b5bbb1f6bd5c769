import { evolveAll } from '@fleetwarden/shared-domain';
import { DeciderSpecification } from '@fleetwarden/testing';
import { ComplianceErrorCode } from '../compliance.errors';
import type { AffectedServers, UrgentUpdateCommand } from './urgent-update.commands';
import { urgentUpdateDecider } from './urgent-update.decider';
import type { UrgentUpdateEvent } from './urgent-update.events';

const spec = DeciderSpecification.for(urgentUpdateDecider);
const T0 = '2026-05-04T08:00:00.000Z';
const at = (hours: number): string => new Date(Date.parse(T0) + hours * 3_600_000).toISOString();
const ID = 'urgent-1';

const declare = (affected: AffectedServers[], patches = ['kb-zero-day']): UrgentUpdateCommand => ({
  type: 'DeclareUrgentUpdate',
  data: { urgentUpdateId: ID, patches, reason: 'actively exploited', by: 'operator:olga', now: T0 },
  resolved: { affected },
});
const installedOn = (serverId: string, hours: number): UrgentUpdateCommand => ({
  type: 'RecordUrgentUpdateInstall',
  data: { urgentUpdateId: ID, serverId, installedAt: at(hours), now: at(hours) },
});

const resellers: AffectedServers[] = [
  { reseller: 'r-1', serverIds: ['s-1', 's-2'] },
  { reseller: 'r-2', serverIds: ['s-3'] },
];
const declared: UrgentUpdateEvent = {
  type: 'UrgentUpdateDeclared',
  data: {
    urgentUpdateId: ID,
    patches: ['kb-zero-day'],
    reason: 'actively exploited',
    resellers,
    by: 'operator:olga',
    at: T0,
  },
};
const patched = (reseller: string, serverId: string, hours: number): UrgentUpdateEvent => ({
  type: 'UrgentUpdateServerPatched',
  data: { urgentUpdateId: ID, reseller, serverId, installedAt: at(hours), at: at(hours) },
});
const resellerDone = (reseller: string, hours: number): UrgentUpdateEvent => ({
  type: 'UrgentUpdateResellerCompleted',
  data: { urgentUpdateId: ID, reseller, at: at(hours) },
});

describe('urgent update', () => {
  describe('when declared', () => {
    it('names every reseller with affected servers, each server once, so that they are notified', () => {
      spec
        .given([])
        .when(
          declare([
            { reseller: 'r-1', serverIds: ['s-1'] },
            { reseller: 'r-2', serverIds: ['s-3', 's-1'] },
            { reseller: 'r-1', serverIds: ['s-2'] },
            { reseller: 'r-3', serverIds: [] },
          ]),
        )
        .then([declared]);
    });

    it('completes at once when no server is affected', () => {
      spec
        .given([])
        .when(declare([]))
        .then([
          { ...declared, data: { ...declared.data, resellers: [] } },
          { type: 'UrgentUpdateCompleted', data: { urgentUpdateId: ID, at: T0 } },
        ]);
    });

    it('ignores the same declaration again and refuses other patches under its id', () => {
      spec.given([declared]).when(declare(resellers)).thenNothingHappens();
      spec
        .given([declared])
        .when(declare(resellers, ['kb-other']))
        .thenThrows(ComplianceErrorCode.UrgentUpdateConflict);
    });

    it('refuses an urgent update without patches', () => {
      spec.given([]).when(declare(resellers, [])).thenThrows(ComplianceErrorCode.NoPatches);
    });
  });

  describe('progress', () => {
    it('tracks each reseller until all its servers are patched, then the whole update', () => {
      spec
        .given([declared])
        .when(installedOn('s-1', 1))
        .then([patched('r-1', 's-1', 1)]);
      spec
        .given([declared, patched('r-1', 's-1', 1)])
        .when(installedOn('s-2', 2))
        .then([patched('r-1', 's-2', 2), resellerDone('r-1', 2)]);
      spec
        .given([declared, patched('r-1', 's-1', 1), patched('r-1', 's-2', 2), resellerDone('r-1', 2)])
        .when(installedOn('s-3', 5))
        .then([
          patched('r-2', 's-3', 5),
          resellerDone('r-2', 5),
          { type: 'UrgentUpdateCompleted', data: { urgentUpdateId: ID, at: at(5) } },
        ]);
    });

    it('folds the progress per reseller', () => {
      const state = evolveAll(urgentUpdateDecider, [
        declared,
        patched('r-1', 's-1', 1),
        patched('r-2', 's-3', 2),
        resellerDone('r-2', 2),
      ]);
      expect(state.resellers).toEqual([
        { reseller: 'r-1', serverIds: ['s-1', 's-2'], patchedServerIds: ['s-1'], completedAt: null },
        { reseller: 'r-2', serverIds: ['s-3'], patchedServerIds: ['s-3'], completedAt: at(2) },
      ]);
      expect(state.completedAt).toBeNull();
    });

    it('ignores servers not affected and servers already counted', () => {
      spec.given([declared]).when(installedOn('s-9', 1)).thenNothingHappens();
      spec
        .given([declared, patched('r-1', 's-1', 1)])
        .when(installedOn('s-1', 3))
        .thenNothingHappens();
    });

    it('refuses progress of an unknown urgent update', () => {
      spec.given([]).when(installedOn('s-1', 1)).thenThrows(ComplianceErrorCode.UnknownUrgentUpdate);
    });
  });
});
