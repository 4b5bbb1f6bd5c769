import {
  CancelTask,
  catalogStreamId,
  PublishVersion,
  RetryFailedServers,
  SCHEDULING_COMMANDS,
  SCHEDULING_EVENTS,
  ScheduleUpdateTask,
  taskStreamId,
  UpdateTaskScheduled,
  VersionPublished,
} from './index';

const scheduledData = {
  taskId: 't-1',
  name: 'Night upgrade',
  type: 'upgrade-image',
  versions: [{ component: 'server-image', version: '6.10.150' }],
  includeClientApps: false,
  targets: { serverIds: ['s1'], groupIds: ['g1'] },
  servers: [
    { serverId: 's1', reseller: 'res-1' },
    { serverId: 's2', reseller: 'res-1' },
  ],
  startAt: '2026-11-28T22:00:00.000Z',
  staggerSeconds: 180,
  window: { start: '22:00', end: '04:00', timeZone: 'Europe/Vienna' },
  maxConcurrency: null,
  failureThreshold: 3,
  tenant: 'res-1',
  postedBy: 'reseller:alice',
  postedAt: '2026-11-28T10:00:00.000Z',
  retryOf: null,
};

describe('scheduling contracts', () => {
  it('names the streams of a catalog and of a task', () => {
    expect(catalogStreamId('server-image')).toBe('catalog-server-image');
    expect(taskStreamId('t-1')).toBe('task-t-1');
  });

  it('publishes events and commands on the scheduling subjects', () => {
    expect(SCHEDULING_EVENTS.every((e) => e.context === 'scheduling' && e.version === 1)).toBe(true);
    expect(UpdateTaskScheduled.subject()).toBe('fleet.events.scheduling.UpdateTaskScheduled');
    expect(SCHEDULING_COMMANDS.map((c) => c.subject())).toEqual([
      'fleet.cmd.scheduling.PublishVersion',
      'fleet.cmd.scheduling.WithdrawVersion',
      'fleet.cmd.scheduling.ScheduleUpdateTask',
      'fleet.cmd.scheduling.CancelTask',
      'fleet.cmd.scheduling.DeleteTask',
      'fleet.cmd.scheduling.RetryFailedServers',
    ]);
  });

  it('accepts a published version and refuses a bad version or schema version', () => {
    const data = { component: 'web-apps', version: '3.2.1', stage: 'beta', schemaVersion: '6.10', notes: '' };
    expect(VersionPublished.parse(data)).toEqual(data);
    expect(() => VersionPublished.parse({ ...data, version: 'v3' })).toThrow('version');
    expect(() => VersionPublished.parse({ ...data, schemaVersion: '6' })).toThrow('schemaVersion');
    expect(() => VersionPublished.parse({ ...data, component: 'database' })).toThrow('component');
  });

  it('accepts a scheduled task and refuses an empty frozen server list', () => {
    expect(UpdateTaskScheduled.parse(scheduledData)).toEqual(scheduledData);
    expect(() => UpdateTaskScheduled.parse({ ...scheduledData, servers: [] })).toThrow('servers');
  });

  it('refuses a window with a bad time, equal ends, or an unknown time zone', () => {
    const window = scheduledData.window;
    for (const bad of [
      { ...window, start: '25:00' },
      { ...window, end: '22:00' },
      { ...window, timeZone: 'Mars/Olympus' },
    ]) {
      expect(() => UpdateTaskScheduled.parse({ ...scheduledData, window: bad })).toThrow('window');
    }
  });

  it('fills the defaults of ScheduleUpdateTask: now, 180 s stagger, no window, no limits', () => {
    const request = ScheduleUpdateTask.parseRequest({
      data: {
        taskId: 't-1',
        name: 'Upgrade',
        type: 'upgrade-image',
        versions: [{ component: 'server-image', version: '6.10.150' }],
        targets: { groupIds: ['g1'] },
      },
    });
    expect(request.data).toEqual({
      taskId: 't-1',
      name: 'Upgrade',
      type: 'upgrade-image',
      versions: [{ component: 'server-image', version: '6.10.150' }],
      includeClientApps: false,
      targets: { serverIds: [], groupIds: ['g1'] },
      startAt: null,
      staggerSeconds: 180,
      window: null,
      maxConcurrency: null,
      failureThreshold: null,
    });
  });

  it('leaves business refusals (blank name, negative stagger, bad window) to the domain, with their codes', () => {
    const request = ScheduleUpdateTask.parseRequest({
      data: {
        taskId: 't-1',
        name: '',
        type: 'rollback',
        versions: [{ component: 'server-image', version: '6.10.120' }],
        targets: { serverIds: ['s1'] },
        staggerSeconds: -5,
      },
    });
    expect(request.data).toMatchObject({ name: '', staggerSeconds: -5 });
    const withWindow = ScheduleUpdateTask.parseRequest({
      data: { ...request.data, window: { start: '25:00', end: '04:00', timeZone: 'Mars/Olympus' } },
    });
    expect(withWindow.data.window).toEqual({ start: '25:00', end: '04:00', timeZone: 'Mars/Olympus' });
  });

  it('parses the other commands with their defaults', () => {
    expect(
      PublishVersion.parseRequest({
        data: { component: 'client-apps', version: '2.0.1', stage: 'patch', schemaVersion: '6.10' },
      }).data,
    ).toEqual({ component: 'client-apps', version: '2.0.1', stage: 'patch', schemaVersion: '6.10', notes: '' });
    expect(CancelTask.parseRequest({ data: { taskId: 't-1' } }).data).toEqual({ taskId: 't-1' });
    expect(RetryFailedServers.parseRequest({ data: { taskId: 't-1', newTaskId: 't-2' } }).data).toEqual({
      taskId: 't-1',
      newTaskId: 't-2',
      startAt: null,
    });
  });
});
