import { evolveAll } from '@fleetwarden/shared-domain';
import { DeciderSpecification } from '@fleetwarden/testing';
import type { CatalogEntry } from '../scheduling.types';
import { retryFailedServers } from './retry-failed-servers';
import type { ScheduleUpdateTask, ScheduleUpdateTaskRequest, ScheduleUpdateTaskResolved } from './update-task.commands';
import { updateTaskDecider } from './update-task.decider';
import type { UpdateTaskEvent } from './update-task.events';

const spec = DeciderSpecification.for(updateTaskDecider);
const taskId = 't-1';
const now = '2026-11-28T10:00:00.000Z';
const later = '2026-11-28T22:00:00.000Z';

const entry = (version: string, schemaVersion: string, withdrawn = false): CatalogEntry => ({
  component: 'server-image',
  version,
  stage: 'production',
  schemaVersion,
  notes: '',
  withdrawn,
});

const catalog: CatalogEntry[] = [
  entry('6.9.500', '6.09'),
  entry('6.10.120', '6.10'),
  entry('6.10.140', '6.10'),
  entry('6.10.150', '6.10'),
  entry('6.10.160', '6.10', true),
  { ...entry('3.1.0', '6.09'), component: 'web-apps' },
  { ...entry('3.2.1', '6.10'), component: 'web-apps' },
];

const request: ScheduleUpdateTaskRequest = {
  taskId,
  name: 'Night upgrade',
  type: 'upgrade-image',
  versions: [{ component: 'server-image', version: '6.10.150' }],
  includeClientApps: false,
  targets: { serverIds: ['s1'], groupIds: ['g1'] },
  startAt: later,
  staggerSeconds: 180,
  window: { start: '22:00', end: '04:00', timeZone: 'Europe/Vienna' },
  maxConcurrency: 2,
  failureThreshold: 2,
  retryOf: null,
};

const resolved: ScheduleUpdateTaskResolved = {
  now,
  postedBy: 'reseller:alice',
  tenant: 'res-1',
  catalog,
  servers: [
    { serverId: 's1', reseller: 'res-1' },
    { serverId: 's2', reseller: 'res-1' },
    { serverId: 's3', reseller: 'res-1' },
  ],
  unresolvedTargetIds: [],
  currentVersions: {
    s1: { 'server-image': '6.10.140' },
    s2: { 'server-image': '6.10.130' },
    s3: { 'server-image': null },
  },
};

const schedule = (
  data: Partial<ScheduleUpdateTaskRequest> = {},
  resolvedData: Partial<ScheduleUpdateTaskResolved> = {},
): ScheduleUpdateTask => ({
  type: 'ScheduleUpdateTask',
  data: { ...request, ...data },
  resolved: { ...resolved, ...resolvedData },
});

const scheduled: UpdateTaskEvent = {
  type: 'UpdateTaskScheduled',
  data: {
    taskId,
    name: 'Night upgrade',
    type: 'upgrade-image',
    versions: [{ component: 'server-image', version: '6.10.150' }],
    includeClientApps: false,
    targets: { serverIds: ['s1'], groupIds: ['g1'] },
    servers: resolved.servers,
    startAt: later,
    staggerSeconds: 180,
    window: { start: '22:00', end: '04:00', timeZone: 'Europe/Vienna' },
    maxConcurrency: 2,
    failureThreshold: 2,
    tenant: 'res-1',
    postedBy: 'reseller:alice',
    postedAt: now,
    retryOf: null,
  },
};
const started: UpdateTaskEvent = { type: 'UpdateTaskStarted', data: { taskId, startedAt: later } };
const processing = [scheduled, started];
const failed: UpdateTaskEvent = {
  type: 'UpdateTaskFailed',
  data: { taskId, completedServerIds: ['s1', 's3'], failedServerIds: ['s2'], notStartedServerIds: [] },
};
const completed: UpdateTaskEvent = {
  type: 'UpdateTaskCompleted',
  data: { taskId, completedServerIds: ['s1', 's2', 's3'] },
};
const cancelled: UpdateTaskEvent = {
  type: 'UpdateTaskCancelled',
  data: { taskId, cancelledServerIds: ['s1', 's2', 's3'] },
};

describe('update task', () => {
  describe('when scheduled', () => {
    it('is accepted with its frozen server list, posted now', () => {
      spec.given([]).when(schedule()).then([scheduled]);
    });

    it('starts now when no start is given', () => {
      spec
        .given([])
        .when(schedule({ startAt: null }))
        .then([{ ...scheduled, data: { ...scheduled.data, startAt: now } } as UpdateTaskEvent]);
    });

    it('lists each server once, trims the name, and takes no limits or window when none are given', () => {
      spec
        .given([])
        .when(
          schedule(
            { name: '  Night upgrade ', window: null, maxConcurrency: null, failureThreshold: null },
            { servers: [...resolved.servers, { serverId: 's1', reseller: 'res-1' }] },
          ),
        )
        .then([
          {
            ...scheduled,
            data: { ...scheduled.data, window: null, maxConcurrency: null, failureThreshold: null },
          } as UpdateTaskEvent,
        ]);
    });

    it('refuses a missing name', () => {
      spec
        .given([])
        .when(schedule({ name: '   ' }))
        .thenThrows('TASK.NAME_REQUIRED');
    });

    it('refuses an unknown version', () => {
      spec
        .given([])
        .when(schedule({ versions: [{ component: 'server-image', version: '6.10.999' }] }))
        .thenThrows('TASK.VERSION_NOT_AVAILABLE');
    });

    it('refuses a withdrawn version', () => {
      spec
        .given([])
        .when(schedule({ versions: [{ component: 'server-image', version: '6.10.160' }] }))
        .thenThrows(
          (e) =>
            (e as { code?: string; details?: { reason?: string } }).code === 'TASK.VERSION_NOT_AVAILABLE' &&
            (e as { details?: { reason?: string } }).details?.reason === 'withdrawn',
        );
    });

    it('refuses a version of another component', () => {
      spec
        .given([])
        .when(schedule({ versions: [{ component: 'web-apps', version: '6.10.150' }] }))
        .thenThrows('TASK.VERSION_NOT_AVAILABLE');
    });

    it('refuses no versions, or two versions of one component', () => {
      spec
        .given([])
        .when(schedule({ versions: [] }))
        .thenThrows('TASK.NO_VERSIONS');
      spec
        .given([])
        .when(
          schedule({
            versions: [
              { component: 'server-image', version: '6.10.150' },
              { component: 'server-image', version: '6.10.140' },
            ],
          }),
        )
        .thenThrows('TASK.DUPLICATE_COMPONENT');
    });

    it('allows a rollback within one schema version (6.10.140 -> 6.10.120)', () => {
      const rollback = {
        type: 'rollback' as const,
        versions: [{ component: 'server-image' as const, version: '6.10.120' }],
      };
      spec
        .given([])
        .when(schedule(rollback))
        .then([{ ...scheduled, data: { ...scheduled.data, ...rollback } } as UpdateTaskEvent]);
    });

    it('refuses a downgrade across a schema version (6.10 -> 6.09)', () => {
      spec
        .given([])
        .when(schedule({ type: 'rollback', versions: [{ component: 'server-image', version: '6.9.500' }] }))
        .thenThrows('TASK.SCHEMA_DOWNGRADE');
    });

    it("takes a server's major.minor as its schema version when the catalog does not know its version", () => {
      spec
        .given([])
        .when(schedule({}, { currentVersions: { s3: { 'server-image': '9.0.0.200' } } }))
        .thenThrows(
          (e) =>
            (e as { code?: string }).code === 'TASK.SCHEMA_DOWNGRADE' &&
            (e as { details?: { serverId?: string; fromSchema?: string } }).details?.serverId === 's3' &&
            (e as { details?: { fromSchema?: string } }).details?.fromSchema === '9.0',
        );
    });

    it('checks the schema of each requested component against what each server runs', () => {
      spec
        .given([])
        .when(
          schedule(
            { type: 'rollback', versions: [{ component: 'web-apps', version: '3.1.0' }] },
            { currentVersions: { s1: { 'server-image': '6.10.140', 'web-apps': '3.2.1' } } },
          ),
        )
        .thenThrows(
          (e) =>
            (e as { code?: string }).code === 'TASK.SCHEMA_DOWNGRADE' &&
            (e as { details?: { component?: string } }).details?.component === 'web-apps',
        );
    });

    it('refuses targets outside the tenant or unknown, naming them', () => {
      spec
        .given([])
        .when(schedule({}, { unresolvedTargetIds: ['s9', 'g7', 's9'] }))
        .thenThrows(
          (e) =>
            (e as { code?: string }).code === 'TASK.TARGETS_NOT_FOUND' &&
            JSON.stringify((e as { details?: unknown }).details) === JSON.stringify({ targetIds: ['s9', 'g7'] }),
        );
    });

    it('refuses an empty target set', () => {
      spec
        .given([])
        .when(schedule({ targets: { serverIds: [], groupIds: ['empty-group'] } }, { servers: [] }))
        .thenThrows('TASK.NO_TARGETS');
    });

    it('refuses a start in the past', () => {
      spec
        .given([])
        .when(schedule({ startAt: '2026-11-28T09:59:59.999Z' }))
        .thenThrows('TASK.START_IN_PAST');
    });

    it('compares the start by instant, whatever its offset', () => {
      spec
        .given([])
        .when(schedule({ startAt: '2026-11-28T10:30:00+01:00' }))
        .thenThrows('TASK.START_IN_PAST');
    });

    it('refuses a negative stagger', () => {
      spec
        .given([])
        .when(schedule({ staggerSeconds: -1 }))
        .thenThrows('TASK.NEGATIVE_STAGGER');
    });

    it('accepts no stagger', () => {
      spec
        .given([])
        .when(schedule({ staggerSeconds: 0 }))
        .then([{ ...scheduled, data: { ...scheduled.data, staggerSeconds: 0 } } as UpdateTaskEvent]);
    });

    it('refuses a bad window: times, empty, time zone', () => {
      const tz = 'Europe/Vienna';
      for (const window of [
        { start: '24:00', end: '04:00', timeZone: tz },
        { start: '22:00', end: '4:00', timeZone: tz },
        { start: '22:00', end: '22:00', timeZone: tz },
        { start: '22:00', end: '04:00', timeZone: 'Mars/Olympus' },
      ]) {
        spec.given([]).when(schedule({ window })).thenThrows('TASK.INVALID_WINDOW');
      }
    });

    it('refuses a max concurrency or failure threshold below 1', () => {
      spec
        .given([])
        .when(schedule({ maxConcurrency: 0 }))
        .thenThrows('TASK.INVALID_LIMIT');
      spec
        .given([])
        .when(schedule({ failureThreshold: 1.5 }))
        .thenThrows('TASK.INVALID_LIMIT');
    });

    it('refuses to be scheduled twice', () => {
      spec.given([scheduled]).when(schedule()).thenThrows('TASK.ALREADY_EXISTS');
    });
  });

  describe('when it does not exist', () => {
    it('is not found for any other command', () => {
      spec.given([]).when({ type: 'StartTask', data: { taskId, now } }).thenThrows('TASK.NOT_FOUND');
      spec
        .given([])
        .when({ type: 'CancelTask', data: { taskId, startedServerIds: [] } })
        .thenThrows('TASK.NOT_FOUND');
      spec.given([]).when({ type: 'DeleteTask', data: { taskId } }).thenThrows('TASK.NOT_FOUND');
      spec
        .given([])
        .when({ type: 'FinishTask', data: { taskId, results: [] } })
        .thenThrows('TASK.NOT_FOUND');
    });
  });

  describe('when pending', () => {
    it('refuses to start before its start time', () => {
      spec.given([scheduled]).when({ type: 'StartTask', data: { taskId, now } }).thenThrows('TASK.NOT_DUE');
    });

    it('starts at its start time', () => {
      spec
        .given([scheduled])
        .when({ type: 'StartTask', data: { taskId, now: later } })
        .then([started]);
    });

    it('cancels every server', () => {
      spec
        .given([scheduled])
        .when({ type: 'CancelTask', data: { taskId, startedServerIds: ['s1'] } })
        .then([cancelled]);
    });

    it('cannot be deleted before it is cancelled', () => {
      spec.given([scheduled]).when({ type: 'DeleteTask', data: { taskId } }).thenThrows('TASK.NOT_DELETABLE');
    });

    it('cannot be halted or finished', () => {
      spec
        .given([scheduled])
        .when({ type: 'HaltTask', data: { taskId, failedServerIds: ['s1', 's2'], startedServerIds: [] } })
        .thenThrows('TASK.NOT_PROCESSING');
      spec
        .given([scheduled])
        .when({ type: 'FinishTask', data: { taskId, results: [] } })
        .thenThrows('TASK.NOT_PROCESSING');
    });

    it('refuses a command meant for another task', () => {
      spec
        .given([scheduled])
        .when({ type: 'CancelTask', data: { taskId: 't-2', startedServerIds: [] } })
        .thenThrows('TASK.ID_MISMATCH');
    });
  });

  describe('when processing', () => {
    it('ignores its timer firing again', () => {
      spec
        .given(processing)
        .when({ type: 'StartTask', data: { taskId, now: '2026-11-28T22:00:01.000Z' } })
        .thenNothingHappens();
    });

    it('cancels the servers not yet started, and nothing else', () => {
      spec
        .given(processing)
        .when({ type: 'CancelTask', data: { taskId, startedServerIds: ['s1'] } })
        .then([{ type: 'UpdateTaskCancelled', data: { taskId, cancelledServerIds: ['s2', 's3'] } }]);
    });

    it('completes when every server completed', () => {
      spec
        .given(processing)
        .when({
          type: 'FinishTask',
          data: {
            taskId,
            results: [
              { serverId: 's1', outcome: 'completed' },
              { serverId: 's2', outcome: 'completed' },
              { serverId: 's3', outcome: 'completed' },
            ],
          },
        })
        .then([completed]);
    });

    it('fails when a server failed', () => {
      spec
        .given(processing)
        .when({
          type: 'FinishTask',
          data: {
            taskId,
            results: [
              { serverId: 's1', outcome: 'completed' },
              { serverId: 's2', outcome: 'failed' },
              { serverId: 's3', outcome: 'completed' },
            ],
          },
        })
        .then([failed]);
    });

    it('fails when a server never started', () => {
      spec
        .given(processing)
        .when({
          type: 'FinishTask',
          data: {
            taskId,
            results: [
              { serverId: 's1', outcome: 'completed' },
              { serverId: 's2', outcome: 'completed' },
            ],
          },
        })
        .then([
          {
            type: 'UpdateTaskFailed',
            data: { taskId, completedServerIds: ['s1', 's2'], failedServerIds: [], notStartedServerIds: ['s3'] },
          },
        ]);
    });

    it('refuses outcomes of servers not in the task', () => {
      spec
        .given(processing)
        .when({ type: 'FinishTask', data: { taskId, results: [{ serverId: 's9', outcome: 'completed' }] } })
        .thenThrows('TASK.SERVER_NOT_IN_TASK');
    });

    it('halts the servers not yet started once the failure threshold is reached', () => {
      spec
        .given(processing)
        .when({ type: 'HaltTask', data: { taskId, failedServerIds: ['s1', 's2'], startedServerIds: ['s1', 's2'] } })
        .then([{ type: 'UpdateTaskHalted', data: { taskId, failedServerIds: ['s1', 's2'], haltedServerIds: ['s3'] } }]);
    });

    it('lets servers in flight finish when halted', () => {
      spec
        .given(processing)
        .when({ type: 'HaltTask', data: { taskId, failedServerIds: ['s1', 's3'], startedServerIds: ['s2'] } })
        .then([{ type: 'UpdateTaskHalted', data: { taskId, failedServerIds: ['s1', 's3'], haltedServerIds: [] } }]);
    });

    it('refuses to halt below the failure threshold', () => {
      spec
        .given(processing)
        .when({ type: 'HaltTask', data: { taskId, failedServerIds: ['s1'], startedServerIds: ['s1'] } })
        .thenThrows('TASK.THRESHOLD_NOT_REACHED');
    });

    it('refuses to halt without a failure threshold', () => {
      const noThreshold = { ...scheduled, data: { ...scheduled.data, failureThreshold: null } } as UpdateTaskEvent;
      spec
        .given([noThreshold, started])
        .when({ type: 'HaltTask', data: { taskId, failedServerIds: ['s1', 's2', 's3'], startedServerIds: [] } })
        .thenThrows('TASK.THRESHOLD_NOT_REACHED');
    });

    it('cannot be deleted', () => {
      spec.given(processing).when({ type: 'DeleteTask', data: { taskId } }).thenThrows('TASK.NOT_DELETABLE');
    });
  });

  describe('when halted', () => {
    const halted: UpdateTaskEvent = {
      type: 'UpdateTaskHalted',
      data: { taskId, failedServerIds: ['s1', 's2'], haltedServerIds: ['s3'] },
    };

    it('ignores a second halt', () => {
      spec
        .given([...processing, halted])
        .when({ type: 'HaltTask', data: { taskId, failedServerIds: ['s1', 's2'], startedServerIds: [] } })
        .thenNothingHappens();
    });

    it('fails when it finishes, the halted servers not started', () => {
      spec
        .given([...processing, halted])
        .when({ type: 'FinishTask', data: { taskId, results: [] } })
        .then([
          {
            type: 'UpdateTaskFailed',
            data: { taskId, completedServerIds: [], failedServerIds: ['s1', 's2'], notStartedServerIds: ['s3'] },
          },
        ]);
    });

    it('keeps each server status', () => {
      const state = evolveAll(updateTaskDecider, [
        ...processing,
        halted,
        {
          type: 'UpdateTaskFailed',
          data: { taskId, completedServerIds: [], failedServerIds: ['s1', 's2'], notStartedServerIds: ['s3'] },
        },
      ]);
      expect(state.status).toBe('failed');
      expect(state.halted).toBe(true);
      expect(state.servers.map((s) => [s.serverId, s.status])).toEqual([
        ['s1', 'failed'],
        ['s2', 'failed'],
        ['s3', 'halted'],
      ]);
    });
  });

  describe('when finished', () => {
    for (const [status, last] of [
      ['completed', completed],
      ['failed', failed],
      ['cancelled', cancelled],
    ] as const) {
      const history = last === cancelled ? [scheduled, cancelled] : [...processing, last];

      it(`refuses to cancel a ${status} task`, () => {
        spec
          .given(history)
          .when({ type: 'CancelTask', data: { taskId, startedServerIds: [] } })
          .thenThrows('TASK.NOT_CANCELLABLE');
      });

      it(`deletes a ${status} task, once`, () => {
        spec
          .given(history)
          .when({ type: 'DeleteTask', data: { taskId } })
          .then([{ type: 'UpdateTaskDeleted', data: { taskId } }]);
        spec
          .given([...history, { type: 'UpdateTaskDeleted', data: { taskId } }])
          .when({ type: 'DeleteTask', data: { taskId } })
          .thenThrows('TASK.ALREADY_DELETED');
      });

      it(`ignores a late timer of a ${status} task and refuses to finish it again`, () => {
        spec
          .given(history)
          .when({ type: 'StartTask', data: { taskId, now: later } })
          .thenNothingHappens();
        spec
          .given(history)
          .when({ type: 'FinishTask', data: { taskId, results: [] } })
          .thenThrows('TASK.NOT_PROCESSING');
      });
    }

    it('keeps its history when deleted', () => {
      const state = evolveAll(updateTaskDecider, [
        ...processing,
        failed,
        { type: 'UpdateTaskDeleted', data: { taskId } },
      ]);
      expect(state).toMatchObject({ deleted: true, status: 'failed', name: 'Night upgrade' });
    });
  });

  describe('retrying failed servers', () => {
    it('plans a new task over the failed servers, linked to the old one', () => {
      const state = evolveAll(updateTaskDecider, [...processing, failed]);
      const retry = retryFailedServers(state, { newTaskId: 't-2', startAt: null });
      expect(retry).toEqual({
        ...request,
        taskId: 't-2',
        targets: { serverIds: ['s2'], groupIds: [] },
        startAt: null,
        retryOf: taskId,
      });
    });

    it('schedules the retry like any task, recording the link', () => {
      const state = evolveAll(updateTaskDecider, [...processing, failed]);
      const retry = retryFailedServers(state, { newTaskId: 't-2', startAt: null });
      const servers = [{ serverId: 's2', reseller: 'res-1' }];
      spec
        .given([])
        .when(schedule(retry, { servers }))
        .then([
          {
            type: 'UpdateTaskScheduled',
            data: {
              ...scheduled.data,
              taskId: 't-2',
              targets: { serverIds: ['s2'], groupIds: [] },
              servers,
              startAt: now,
              retryOf: taskId,
            },
          },
        ]);
    });

    it('refuses when no server failed', () => {
      const state = evolveAll(updateTaskDecider, [...processing, completed]);
      expect(() => retryFailedServers(state, { newTaskId: 't-2', startAt: null })).toThrow(
        expect.objectContaining({ code: 'TASK.NOTHING_TO_RETRY' }),
      );
    });

    it('refuses while the task runs, or when there is no task', () => {
      expect(() =>
        retryFailedServers(evolveAll(updateTaskDecider, processing), { newTaskId: 't-2', startAt: null }),
      ).toThrow(expect.objectContaining({ code: 'TASK.NOT_FINISHED' }));
      expect(() => retryFailedServers(updateTaskDecider.initialState(), { newTaskId: 't-2', startAt: null })).toThrow(
        expect.objectContaining({ code: 'TASK.NOT_FOUND' }),
      );
    });
  });
});
