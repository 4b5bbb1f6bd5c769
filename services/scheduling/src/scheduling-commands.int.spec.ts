import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createEventStore, type EventStore } from '@fleetwarden/eventstore';
import { JetStreamClientProxy, RemoteCommandError } from '@fleetwarden/messaging';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  TEST_NATS_URL,
  type TestSchema,
} from '@fleetwarden/testing';
import { fleetViewTables } from './fleet-view/fleet-view.tables';
import { appendInventoryEvent, startSchedulingForTest, waitFor } from './testing/scheduling-test.harness';

const operator = { role: 'operator', actor: 'operator:alice' };
const reseller = (id: string) => ({ role: 'reseller', reseller: id, actor: `reseller:${id}-user` });

const HOUR = 3_600_000;

function registration(serverId: string, resellerId: string, serverVersion = '9.0.0.200') {
  return {
    serverId,
    reseller: { id: resellerId, name: `Reseller ${resellerId}` },
    company: { id: `${resellerId}-co`, name: 'Company' },
    address: '',
    serverVersion,
    webAppsVersion: '6.10.140',
    stage: 'production',
    hostingProvider: 'operator',
    registeredBy: 'operator',
  };
}

describe('scheduling commands (NATS, PostgreSQL)', () => {
  let schema: TestSchema;
  let namespace: string;
  let app: NestFastifyApplication;
  let client: JetStreamClientProxy;
  let store: EventStore;
  let taskSeq = 0;

  const send = <R = unknown>(command: string, data: unknown, meta: Record<string, unknown> = operator) =>
    client.command<R>(`${namespace}.cmd.scheduling.${command}`, data, { meta });

  /** The error the command fails with. */
  const failure = async (command: string, data: unknown, meta: Record<string, unknown> = operator) => {
    try {
      await send(command, data, meta);
    } catch (err) {
      if (err instanceof RemoteCommandError) return { code: err.code, message: err.message };
      throw err;
    }
    throw new Error(`${command} succeeded`);
  };

  const stream = async (streamId: string) => (await store.readStream(streamId)).map((e) => e.type);

  const task = (overrides: Record<string, unknown> = {}) => ({
    taskId: `t-${++taskSeq}`,
    name: 'Upgrade to 9.1',
    type: 'upgrade-image',
    versions: [{ component: 'server-image', version: '9.1.0.10' }],
    targets: { serverIds: ['s-a1'], groupIds: [] },
    startAt: new Date(Date.now() + HOUR).toISOString(),
    ...overrides,
  });

  const publish = (version: string, schemaVersion: string, component = 'server-image') =>
    send('PublishVersion', { component, version, stage: 'production', schemaVersion, notes: `notes ${version}` });

  beforeAll(async () => {
    schema = await createTestSchema('sched_cmd');
    namespace = createTestNamespace('schedcmd');
    store = await createEventStore({ databaseUrl: schema.connectionString, schema: schema.schema, poolSize: 2 });
    await store.migrate();
    app = await startSchedulingForTest(
      { natsUrl: TEST_NATS_URL, databaseUrl: schema.connectionString, schema: schema.schema, namespace },
      { projectionPollMs: 20 },
    );
    client = new JetStreamClientProxy({ connection: { url: TEST_NATS_URL, name: 'scheduling-commands-test' } });

    await appendInventoryEvent(store, 'server-s-a1', 'ServerRegistered', registration('s-a1', 'ra'), 'ra');
    await appendInventoryEvent(store, 'server-s-a2', 'ServerRegistered', registration('s-a2', 'ra'), 'ra');
    await appendInventoryEvent(store, 'server-s-a3', 'ServerRegistered', registration('s-a3', 'ra'), 'ra');
    await appendInventoryEvent(store, 'server-s-b1', 'ServerRegistered', registration('s-b1', 'rb'), 'rb');
    await appendInventoryEvent(store, 'server-s-a3', 'ServerDecommissioned', { serverId: 's-a3', reason: null }, 'ra');
    await appendInventoryEvent(store, 'server-s-a2', 'ServerVersionsReported', {
      serverId: 's-a2',
      serverVersion: '9.0.0.210',
      webAppsVersion: null,
    });
    await appendInventoryEvent(
      store,
      'group-g-a',
      'GroupCreated',
      { groupId: 'g-a', name: 'A', reseller: 'ra', serverIds: ['s-a1'] },
      'ra',
    );
    await appendInventoryEvent(store, 'group-g-a', 'ServersAddedToGroup', {
      groupId: 'g-a',
      serverIds: ['s-a2', 's-a3'],
    });
    await appendInventoryEvent(store, 'group-g-ops', 'GroupCreated', {
      groupId: 'g-ops',
      name: 'Ops',
      reseller: null,
      serverIds: ['s-a1', 's-b1'],
    });
    await appendInventoryEvent(store, 'group-g-gone', 'GroupCreated', {
      groupId: 'g-gone',
      name: 'Gone',
      reseller: 'ra',
      serverIds: ['s-a1'],
    });
    await appendInventoryEvent(store, 'group-g-gone', 'GroupRemoved', { groupId: 'g-gone' });

    const t = fleetViewTables(schema.schema);
    await waitFor('the fleet view', async () => {
      const { rows } = await store.transaction((tx) =>
        tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t.groups} WHERE removed`),
      );
      return rows[0].n === 1 ? true : undefined;
    });
  });

  afterAll(async () => {
    await app?.close();
    await client?.close();
    await store?.close();
    await deleteNamespaceStreams(namespace);
    await schema?.drop();
  });

  describe('the catalog', () => {
    it('publishes and withdraws versions, operators only', async () => {
      await expect(publish('9.1.0.10', '9.1')).resolves.toEqual({ component: 'server-image', version: '9.1.0.10' });
      await publish('9.0.0.150', '9.0');
      await publish('8.5.0.1', '8.5');
      await publish('9.1.0.5', '9.1');
      expect(
        await failure('PublishVersion', {
          component: 'server-image',
          version: '9.1.0.10',
          stage: 'beta',
          schemaVersion: '9.1',
        }),
      ).toMatchObject({
        code: 'CATALOG.VERSION_EXISTS',
      });
      expect(
        await failure(
          'PublishVersion',
          { component: 'server-image', version: '9.2.0.1', stage: 'beta', schemaVersion: '9.2' },
          reseller('ra'),
        ),
      ).toMatchObject({ code: 'FORBIDDEN' });

      await expect(send('WithdrawVersion', { component: 'server-image', version: '9.1.0.5' })).resolves.toEqual({
        component: 'server-image',
        version: '9.1.0.5',
      });
      expect(await failure('WithdrawVersion', { component: 'server-image', version: '9.1.0.5' })).toMatchObject({
        code: 'CATALOG.VERSION_WITHDRAWN',
      });
      expect(await failure('WithdrawVersion', { component: 'server-image', version: '1.0' })).toMatchObject({
        code: 'CATALOG.VERSION_NOT_FOUND',
      });
      expect(
        await failure('WithdrawVersion', { component: 'server-image', version: '9.1.0.10' }, reseller('ra')),
      ).toMatchObject({ code: 'FORBIDDEN' });

      expect(await stream('catalog-server-image')).toEqual([
        'VersionPublished',
        'VersionPublished',
        'VersionPublished',
        'VersionPublished',
        'VersionWithdrawn',
      ]);
    });

    it('answers bad input with a validation error naming the field', async () => {
      const error = await failure('PublishVersion', {
        component: 'server-image',
        version: 'latest',
        stage: 'production',
        schemaVersion: '9.1',
      });
      expect(error.code).toBe('VALIDATION');
      expect(error.message).toContain('version');
      expect(
        await failure('PublishVersion', { component: 'kernel', version: '1.0', stage: 'beta', schemaVersion: '1.0' }),
      ).toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('component') });
    });
  });

  describe('scheduling', () => {
    it('resolves servers and groups into a frozen list, each server once', async () => {
      const request = task({ targets: { serverIds: ['s-b1', 's-a1'], groupIds: ['g-a'] } });
      const reply = await send('ScheduleUpdateTask', request);
      expect(reply).toEqual({ taskId: request.taskId, serverCount: 3, startAt: request.startAt });
      const [scheduled] = await store.readStream(`task-${request.taskId}`);
      expect(scheduled).toMatchObject({
        type: 'UpdateTaskScheduled',
        data: {
          servers: [
            { serverId: 's-b1', reseller: 'rb' },
            { serverId: 's-a1', reseller: 'ra' },
            { serverId: 's-a2', reseller: 'ra' },
          ],
          targets: { serverIds: ['s-b1', 's-a1'], groupIds: ['g-a'] },
          tenant: null,
          postedBy: 'operator:alice',
          staggerSeconds: 180,
        },
        metadata: { context: 'scheduling', actor: 'operator:alice' },
      });
    });

    it("gives a reseller its own servers and groups only; an operator group's members are the operator's", async () => {
      const own = task({ targets: { serverIds: [], groupIds: ['g-a'] } });
      await expect(send('ScheduleUpdateTask', own, reseller('ra'))).resolves.toMatchObject({ serverCount: 2 });
      const [scheduled] = await store.readStream(`task-${own.taskId}`);
      expect(scheduled).toMatchObject({ data: { tenant: 'ra' }, metadata: { reseller: 'ra' } });

      for (const targets of [
        { serverIds: ['s-b1'], groupIds: [] },
        { serverIds: ['s-a1'], groupIds: ['g-ops'] },
        { serverIds: ['s-none'], groupIds: [] },
        { serverIds: ['s-a3'], groupIds: [] },
        { serverIds: [], groupIds: ['g-gone'] },
      ]) {
        const error = await failure('ScheduleUpdateTask', task({ targets }), reseller('ra'));
        expect(error.code).toBe('TASK.TARGETS_NOT_FOUND');
        expect(error.message).not.toContain('rb');
      }
      // An operator's group, scheduled by an operator, holds servers of every tenant.
      await expect(
        send('ScheduleUpdateTask', task({ targets: { serverIds: [], groupIds: ['g-ops'] } })),
      ).resolves.toMatchObject({
        serverCount: 2,
      });
    });

    it('refuses each bad task with a typed error', async () => {
      const refusals: Array<[string, Record<string, unknown>]> = [
        ['TASK.VERSION_NOT_AVAILABLE', { versions: [{ component: 'server-image', version: '9.9.9.9' }] }],
        ['TASK.VERSION_NOT_AVAILABLE', { versions: [{ component: 'server-image', version: '9.1.0.5' }] }],
        ['TASK.SCHEMA_DOWNGRADE', { type: 'rollback', versions: [{ component: 'server-image', version: '8.5.0.1' }] }],
        ['TASK.NO_TARGETS', { targets: { serverIds: [], groupIds: [] } }],
        ['TASK.START_IN_PAST', { startAt: new Date(Date.now() - HOUR).toISOString() }],
        ['TASK.NEGATIVE_STAGGER', { staggerSeconds: -1 }],
        ['TASK.NAME_REQUIRED', { name: '   ' }],
        ['TASK.TARGETS_NOT_FOUND', { targets: { serverIds: ['s-b1'], groupIds: [] } }],
      ];
      for (const [code, overrides] of refusals) {
        const request = task(overrides);
        const error = await failure('ScheduleUpdateTask', request, reseller('ra'));
        expect({ code: error.code, overrides }).toEqual({ code, overrides });
        expect(await stream(`task-${request.taskId}`)).toEqual([]);
      }

      const { name: _name, ...nameless } = task();
      expect(await failure('ScheduleUpdateTask', nameless)).toMatchObject({
        code: 'VALIDATION',
        message: expect.stringContaining('name'),
      });
      expect(await failure('ScheduleUpdateTask', task({ startAt: 'tomorrow' }))).toMatchObject({
        code: 'VALIDATION',
        message: expect.stringContaining('startAt'),
      });
      expect(await failure('ScheduleUpdateTask', task(), { role: 'auditor' })).toMatchObject({ code: 'FORBIDDEN' });
    });

    it('allows a rollback within one schema version', async () => {
      const request = task({ type: 'rollback', versions: [{ component: 'server-image', version: '9.0.0.150' }] });
      await expect(send('ScheduleUpdateTask', request)).resolves.toMatchObject({ serverCount: 1 });
    });

    it('refuses a second task with the same id', async () => {
      const request = task();
      await send('ScheduleUpdateTask', request);
      expect(await failure('ScheduleUpdateTask', request)).toMatchObject({ code: 'TASK.ALREADY_EXISTS' });
    });
  });

  describe('cancel, delete, retry', () => {
    it("cancels and deletes a reseller's own task; another tenant's task is not found", async () => {
      const request = task({ targets: { serverIds: [], groupIds: ['g-a'] } });
      await send('ScheduleUpdateTask', request, reseller('ra'));
      const { taskId } = request;

      for (const command of ['CancelTask', 'DeleteTask']) {
        expect(await failure(command, { taskId }, reseller('rb'))).toMatchObject({ code: 'TASK.NOT_FOUND' });
      }
      expect(await failure('RetryFailedServers', { taskId, newTaskId: 't-retry-x' }, reseller('rb'))).toMatchObject({
        code: 'TASK.NOT_FOUND',
      });
      expect(await failure('DeleteTask', { taskId }, reseller('ra'))).toMatchObject({ code: 'TASK.NOT_DELETABLE' });
      expect(await failure('RetryFailedServers', { taskId, newTaskId: 't-retry-y' })).toMatchObject({
        code: 'TASK.NOT_FINISHED',
      });

      await expect(send('CancelTask', { taskId }, reseller('ra'))).resolves.toEqual({
        taskId,
        cancelledServerIds: ['s-a1', 's-a2'],
      });
      expect(await failure('CancelTask', { taskId })).toMatchObject({ code: 'TASK.NOT_CANCELLABLE' });
      await expect(send('DeleteTask', { taskId })).resolves.toEqual({ taskId });
      expect(await failure('DeleteTask', { taskId })).toMatchObject({ code: 'TASK.ALREADY_DELETED' });
      expect(await stream(`task-${taskId}`)).toEqual([
        'UpdateTaskScheduled',
        'UpdateTaskCancelled',
        'UpdateTaskDeleted',
      ]);

      expect(await failure('CancelTask', { taskId: 't-none' })).toMatchObject({ code: 'TASK.NOT_FOUND' });
      expect(await failure('CancelTask', { taskId: 'bad id' })).toMatchObject({
        code: 'VALIDATION',
        message: expect.stringContaining('taskId'),
      });
    });

    it('retries the failed servers of a finished task as a new task linked to it', async () => {
      const request = task({ targets: { serverIds: ['s-a1', 's-a2'], groupIds: [] }, startAt: null });
      await send('ScheduleUpdateTask', request, reseller('ra'));
      const { taskId } = request;
      await waitFor('the timer to start the task', async () =>
        (await stream(`task-${taskId}`)).includes('UpdateTaskStarted') ? true : undefined,
      );
      // Stands in for the execution service, which does not exist yet.
      await appendInventoryEvent(
        store,
        `task-${taskId}`,
        'UpdateTaskFailed',
        { taskId, completedServerIds: ['s-a1'], failedServerIds: ['s-a2'], notStartedServerIds: [] },
        'ra',
      );

      expect(await failure('RetryFailedServers', { taskId, newTaskId: 't-retry-1' }, reseller('rb'))).toMatchObject({
        code: 'TASK.NOT_FOUND',
      });
      const reply = await send('RetryFailedServers', { taskId, newTaskId: 't-retry-1' }, reseller('ra'));
      expect(reply).toMatchObject({ taskId: 't-retry-1', serverCount: 1 });
      const [retry] = await store.readStream('task-t-retry-1');
      expect(retry).toMatchObject({
        type: 'UpdateTaskScheduled',
        data: { retryOf: taskId, servers: [{ serverId: 's-a2', reseller: 'ra' }], tenant: 'ra' },
      });
    });
  });
});
