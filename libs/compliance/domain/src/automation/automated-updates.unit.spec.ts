import { DeciderSpecification } from '@fleetwarden/testing';
import { ComplianceErrorCode } from '../compliance.errors';
import {
  automatedUpdatesDecider,
  type AutomatedUpdatesEvent,
  type AutomationSchedule,
  type SetAutomatedUpdates,
} from './automated-updates';

const spec = DeciderSpecification.for(automatedUpdatesDecider);
const NOW = '2026-05-04T08:00:00.000Z';
const weekly: AutomationSchedule = {
  intervalDays: 7,
  window: { start: '22:00', end: '04:00', timeZone: 'Europe/Vienna' },
};

const set = (enabled: boolean, schedule: AutomationSchedule | null = weekly): SetAutomatedUpdates => ({
  type: 'SetAutomatedUpdates',
  data: { reseller: 'r-1', enabled, schedule, by: 'reseller:rita', now: NOW },
});
const wasSet = (enabled: boolean, schedule: AutomationSchedule | null = weekly): AutomatedUpdatesEvent => ({
  type: 'AutomatedUpdatesSet',
  data: { reseller: 'r-1', enabled, schedule, by: 'reseller:rita', at: NOW },
});

describe('automated updates of a reseller', () => {
  it('turns automation on with a schedule, and off again', () => {
    spec
      .given([])
      .when(set(true))
      .then([wasSet(true)]);
    spec
      .given([wasSet(true)])
      .when(set(false))
      .then([wasSet(false)]);
    spec
      .given([wasSet(true)])
      .when(set(false, null))
      .then([wasSet(false, null)]);
  });

  it('changes the schedule', () => {
    const daily = { ...weekly, intervalDays: 1 };
    spec
      .given([wasSet(true)])
      .when(set(true, daily))
      .then([wasSet(true, daily)]);
  });

  it('ignores a repeated setting', () => {
    spec
      .given([wasSet(true)])
      .when(set(true))
      .thenNothingHappens();
  });

  it('refuses automation without a schedule or with a bad one', () => {
    spec.given([]).when(set(true, null)).thenThrows(ComplianceErrorCode.InvalidSchedule);
    for (const schedule of [
      { ...weekly, intervalDays: 0 },
      { ...weekly, intervalDays: 60 },
      { ...weekly, intervalDays: 1.5 },
      { ...weekly, window: { ...weekly.window, start: '25:00' } },
      { ...weekly, window: { ...weekly.window, end: '22:00' } },
      { ...weekly, window: { ...weekly.window, timeZone: 'Europe/Nowhere' } },
    ]) {
      spec.given([]).when(set(true, schedule)).thenThrows(ComplianceErrorCode.InvalidSchedule);
    }
  });

  it('refuses a command for another reseller', () => {
    spec
      .given([wasSet(true)])
      .when({ ...set(false), data: { ...set(false).data, reseller: 'r-2' } })
      .thenThrows(ComplianceErrorCode.IdMismatch);
  });
});
