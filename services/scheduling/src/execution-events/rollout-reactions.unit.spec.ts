import type { UpdateTaskEvent } from '@fleetwarden/scheduling-domain';
import { DeciderSpecification } from '@fleetwarden/testing';
import { rolloutReactionDecider, type RolloutReport } from './rollout-reactions';

const spec = DeciderSpecification.for(rolloutReactionDecider);
const taskId = 't-1';
const at = '2026-11-28T22:30:00.000Z';

const scheduled = (failureThreshold: number | null): UpdateTaskEvent => ({
  type: 'UpdateTaskScheduled',
  data: {
    taskId,
    name: 'Night upgrade',
    type: 'upgrade-image',
    versions: [{ component: 'server-image', version: '6.10.150' }],
    includeClientApps: false,
    targets: { serverIds: ['s1', 's2', 's3', 's4'], groupIds: [] },
    servers: ['s1', 's2', 's3', 's4'].map((serverId) => ({ serverId, reseller: 'res-1' })),
    startAt: '2026-11-28T22:00:00.000Z',
    staggerSeconds: 180,
    window: null,
    maxConcurrency: null,
    failureThreshold,
    tenant: 'res-1',
    postedBy: 'reseller:alice',
    postedAt: '2026-11-28T10:00:00.000Z',
    retryOf: null,
  },
});
const started: UpdateTaskEvent = { type: 'UpdateTaskStarted', data: { taskId, startedAt: '2026-11-28T22:00:00.000Z' } };
const processing = (failureThreshold: number | null = 2) => [scheduled(failureThreshold), started];

const halted = (failedServerIds: string[], startedServerIds: string[]): RolloutReport => ({
  type: 'RolloutHalted',
  data: { taskId, failed: failedServerIds.length, failedServerIds, startedServerIds, at },
});

const finished = (
  outcome: 'completed' | 'failed' | 'cancelled',
  completedServerIds: string[],
  failedServerIds: string[],
  counts: { notStarted?: number; cancelled?: number } = {},
): RolloutReport => ({
  type: 'RolloutFinished',
  data: {
    taskId,
    outcome,
    completed: completedServerIds.length,
    failed: failedServerIds.length,
    notStarted: counts.notStarted ?? 0,
    cancelled: counts.cancelled ?? 0,
    completedServerIds,
    failedServerIds,
    finishedAt: at,
  },
});

const taskHalted: UpdateTaskEvent = {
  type: 'UpdateTaskHalted',
  data: { taskId, failedServerIds: ['s1', 's2'], haltedServerIds: ['s4'] },
};

describe('rollout reactions of an update task', () => {
  describe('when processing', () => {
    it('halts the servers not started when the rollout halts', () => {
      spec
        .given(processing())
        .when(halted(['s1', 's2'], ['s1', 's2', 's3']))
        .then([taskHalted]);
    });

    it('completes when every server completed', () => {
      spec
        .given(processing())
        .when(finished('completed', ['s1', 's2', 's3', 's4'], []))
        .then([{ type: 'UpdateTaskCompleted', data: { taskId, completedServerIds: ['s1', 's2', 's3', 's4'] } }]);
    });

    it('fails with the servers in neither list as not started', () => {
      spec
        .given(processing(null))
        .when(finished('failed', ['s1', 's3'], ['s2'], { notStarted: 1 }))
        .then([
          {
            type: 'UpdateTaskFailed',
            data: { taskId, completedServerIds: ['s1', 's3'], failedServerIds: ['s2'], notStartedServerIds: ['s4'] },
          },
        ]);
    });

    it('records the halt first when the rollout finished past the threshold before its halt was recorded', () => {
      spec
        .given(processing())
        .when(finished('failed', ['s3'], ['s1', 's2'], { notStarted: 1 }))
        .then([
          taskHalted,
          {
            type: 'UpdateTaskFailed',
            data: { taskId, completedServerIds: ['s3'], failedServerIds: ['s1', 's2'], notStartedServerIds: ['s4'] },
          },
        ]);
    });

    it('cancels the servers that did not run when the rollout ended cancelled before the cancel was recorded', () => {
      spec
        .given(processing())
        .when(finished('cancelled', ['s1'], [], { cancelled: 3 }))
        .then([{ type: 'UpdateTaskCancelled', data: { taskId, cancelledServerIds: ['s2', 's3', 's4'] } }]);
      spec
        .given(processing())
        .when(finished('failed', [], ['s1'], { cancelled: 3 }))
        .then([{ type: 'UpdateTaskCancelled', data: { taskId, cancelledServerIds: ['s2', 's3', 's4'] } }]);
    });

    it('refuses a halt below the failure threshold', () => {
      spec
        .given(processing())
        .when(halted(['s1'], ['s1']))
        .thenThrows('TASK.THRESHOLD_NOT_REACHED');
    });
  });

  describe('when halted', () => {
    it('ignores the halt reported again', () => {
      spec
        .given([...processing(), taskHalted])
        .when(halted(['s1', 's2'], ['s1', 's2', 's3']))
        .thenNothingHappens();
    });

    it('fails without halting again, the halted servers staying halted', () => {
      spec
        .given([...processing(), taskHalted])
        .when(finished('failed', ['s3'], ['s1', 's2'], { notStarted: 1 }))
        .then([
          {
            type: 'UpdateTaskFailed',
            data: { taskId, completedServerIds: ['s3'], failedServerIds: ['s1', 's2'], notStartedServerIds: ['s4'] },
          },
        ]);
    });
  });

  describe('when no longer processing', () => {
    const cancelled: UpdateTaskEvent = {
      type: 'UpdateTaskCancelled',
      data: { taskId, cancelledServerIds: ['s2', 's3', 's4'] },
    };

    it('refuses every report on a cancelled task as not processing', () => {
      const given = spec.given([...processing(), cancelled]);
      given.when(finished('cancelled', ['s1'], [], { cancelled: 3 })).thenThrows('TASK.NOT_PROCESSING');
      given.when(finished('completed', ['s1'], [])).thenThrows('TASK.NOT_PROCESSING');
      given.when(halted(['s1', 's2'], ['s1', 's2'])).thenThrows('TASK.NOT_PROCESSING');
    });

    it('refuses a second finish as not processing', () => {
      spec
        .given([
          ...processing(),
          { type: 'UpdateTaskCompleted', data: { taskId, completedServerIds: ['s1', 's2', 's3', 's4'] } },
        ])
        .when(finished('completed', ['s1', 's2', 's3', 's4'], []))
        .thenThrows('TASK.NOT_PROCESSING');
    });
  });
});
