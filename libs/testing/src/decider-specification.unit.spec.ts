import { AssertionError } from 'node:assert';
import { InvariantViolationError, assertNever, type Decider } from '@fleetwarden/shared-domain';
import { DeciderSpecification } from './decider-specification';

type TaskEvent =
  | { type: 'TaskScheduled'; data: { taskId: string; at: string } }
  | { type: 'TaskCancelled'; data: { taskId: string; reason?: string } };
type TaskCommand = { type: 'CancelTask'; data: { taskId: string; reason?: string } };
type TaskState = { status: 'none' } | { status: 'scheduled' | 'cancelled'; taskId: string };

const task: Decider<TaskCommand, TaskEvent, TaskState> = {
  initialState: () => ({ status: 'none' }),
  decide: (command, state) => {
    if (state.status === 'none') throw new InvariantViolationError('TASK.NOT_FOUND', 'no such task');
    if (state.status === 'cancelled') return [];
    return [{ type: 'TaskCancelled', data: { taskId: command.data.taskId, reason: command.data.reason } }];
  },
  evolve: (_state, event) => {
    switch (event.type) {
      case 'TaskScheduled':
        return { status: 'scheduled', taskId: event.data.taskId };
      case 'TaskCancelled':
        return { status: 'cancelled', taskId: event.data.taskId };
      default:
        return assertNever(event);
    }
  },
};

const spec = DeciderSpecification.for(task);
const scheduled: TaskEvent = { type: 'TaskScheduled', data: { taskId: 't-1', at: '2025-01-01T00:00:00.000Z' } };
const cancel: TaskCommand = { type: 'CancelTask', data: { taskId: 't-1' } };

describe('DeciderSpecification', () => {
  describe('when the expectation holds', () => {
    it('passes on the expected events, ignoring properties set to undefined', () => {
      spec
        .given([scheduled])
        .when(cancel)
        .then([{ type: 'TaskCancelled', data: { taskId: 't-1' } }]);
    });

    it('passes when nothing happens', () => {
      spec
        .given([scheduled, { type: 'TaskCancelled', data: { taskId: 't-1' } }])
        .when(cancel)
        .thenNothingHappens();
    });

    it('passes on the expected error code or predicate', () => {
      spec.given([]).when(cancel).thenThrows('TASK.NOT_FOUND');
      spec
        .given()
        .when(cancel)
        .thenThrows((e) => e instanceof InvariantViolationError);
    });
  });

  describe('when the expectation does not hold', () => {
    it('fails on other events, naming both lists', () => {
      const run = () =>
        spec
          .given([scheduled])
          .when(cancel)
          .then([{ type: 'TaskCancelled', data: { taskId: 't-2' } }]);
      expect(run).toThrow(AssertionError);
      expect(run).toThrow(/decide returned \[TaskCancelled\], expected \[TaskCancelled\]/);
    });

    it('fails when events happen although none were expected', () => {
      expect(() => spec.given([scheduled]).when(cancel).thenNothingHappens()).toThrow(AssertionError);
    });

    it('fails when decide throws another code', () => {
      expect(() => spec.given([]).when(cancel).thenThrows('TASK.NOT_CANCELLABLE')).toThrow(
        'Expected decide to throw an error with code "TASK.NOT_CANCELLABLE", but it threw InvariantViolationError with code "TASK.NOT_FOUND": no such task',
      );
    });

    it('fails when decide returns events instead of throwing', () => {
      expect(() =>
        spec
          .given([scheduled])
          .when(cancel)
          .thenThrows(() => true),
      ).toThrow('but it returned 1 event(s): [TaskCancelled]');
    });

    it('lets an unexpected error of decide through on then', () => {
      expect(() => spec.given([]).when(cancel).then([])).toThrow(InvariantViolationError);
    });
  });
});
