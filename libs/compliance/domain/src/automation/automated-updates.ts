import { assertNever, type Decider } from '@fleetwarden/shared-domain';
import { idMismatch, invalidSchedule } from '../compliance.errors';
import { MAX_AUTOMATION_INTERVAL_DAYS } from '../compliance.types';
import { assertTimeZone, parseInstant } from '../counter/compliance-counter';

/** When automated OS updates run: every `intervalDays` days, inside a daily local window. */
export interface AutomationSchedule {
  /** 1 to {@link MAX_AUTOMATION_INTERVAL_DAYS}: automation must keep servers from being alerted. */
  intervalDays: number;
  /** Daily maintenance window, `HH:MM` local to `timeZone`; `end` before `start` crosses midnight. */
  window: { start: string; end: string; timeZone: string };
}

/** A reseller turns automated OS updates of its servers on or off. */
export type SetAutomatedUpdates = {
  type: 'SetAutomatedUpdates';
  data: { reseller: string; enabled: boolean; schedule: AutomationSchedule | null; by: string; now: string };
};

export type AutomatedUpdatesSet = {
  type: 'AutomatedUpdatesSet';
  data: { reseller: string; enabled: boolean; schedule: AutomationSchedule | null; by: string; at: string };
};

export type AutomatedUpdatesCommand = SetAutomatedUpdates;
/** Every event of a reseller's automation stream (`patch-automation-<reseller>`). */
export type AutomatedUpdatesEvent = AutomatedUpdatesSet;

export interface AutomatedUpdatesState {
  exists: boolean;
  reseller: string;
  enabled: boolean;
  schedule: AutomationSchedule | null;
  setAt: string | null;
  setBy: string | null;
}

export function initialAutomatedUpdatesState(): AutomatedUpdatesState {
  return { exists: false, reseller: '', enabled: false, schedule: null, setAt: null, setBy: null };
}

/** Refuses (`COMPLIANCE.INVALID_SCHEDULE`) enabling without a schedule and a bad schedule; a repeat changes nothing. */
export function decideAutomatedUpdates(
  command: AutomatedUpdatesCommand,
  state: AutomatedUpdatesState,
): AutomatedUpdatesEvent[] {
  switch (command.type) {
    case 'SetAutomatedUpdates': {
      const { reseller, enabled, schedule, by, now } = command.data;
      if (state.exists && state.reseller !== reseller) throw idMismatch('reseller', state.reseller, reseller);
      parseInstant('now', now);
      if (enabled && schedule === null) throw invalidSchedule('automated updates need a schedule', { reseller });
      if (schedule !== null) validateSchedule(schedule);
      if (state.exists && state.enabled === enabled && sameSchedule(state.schedule, schedule)) return [];
      const copy = schedule === null ? null : { intervalDays: schedule.intervalDays, window: { ...schedule.window } };
      return [{ type: 'AutomatedUpdatesSet', data: { reseller, enabled, schedule: copy, by, at: now } }];
    }
    default:
      return assertNever(command.type, 'automated updates command');
  }
}

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

function validateSchedule(schedule: AutomationSchedule): void {
  const { intervalDays, window } = schedule;
  if (!Number.isInteger(intervalDays) || intervalDays < 1 || intervalDays > MAX_AUTOMATION_INTERVAL_DAYS) {
    throw invalidSchedule(`the interval must be 1 to ${MAX_AUTOMATION_INTERVAL_DAYS} days`, { intervalDays });
  }
  if (!HH_MM.test(window.start) || !HH_MM.test(window.end) || window.start === window.end) {
    throw invalidSchedule('the window needs a start and a different end, both HH:MM', { ...window });
  }
  try {
    assertTimeZone(window.timeZone);
  } catch {
    throw invalidSchedule(`unknown time zone "${window.timeZone}"`, { timeZone: window.timeZone });
  }
}

function sameSchedule(a: AutomationSchedule | null, b: AutomationSchedule | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.intervalDays === b.intervalDays &&
    a.window.start === b.window.start &&
    a.window.end === b.window.end &&
    a.window.timeZone === b.window.timeZone
  );
}

export function evolveAutomatedUpdates(
  _state: AutomatedUpdatesState,
  event: AutomatedUpdatesEvent,
): AutomatedUpdatesState {
  switch (event.type) {
    case 'AutomatedUpdatesSet': {
      const { reseller, enabled, schedule, by, at } = event.data;
      return { exists: true, reseller, enabled, schedule, setAt: at, setBy: by };
    }
    default:
      return assertNever(event.type, 'automated updates event');
  }
}

/** A reseller's automated OS updates (`patch-automation-<reseller>`); the scheduler creates the tasks. */
export const automatedUpdatesDecider: Decider<AutomatedUpdatesCommand, AutomatedUpdatesEvent, AutomatedUpdatesState> = {
  decide: decideAutomatedUpdates,
  evolve: evolveAutomatedUpdates,
  initialState: initialAutomatedUpdatesState,
};
