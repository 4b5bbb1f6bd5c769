import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { createEventStore, type EventStore } from '@fleetwarden/eventstore';
import { connectNats, JetStreamClientProxy, RemoteCommandError, type CommandReply } from '@fleetwarden/messaging';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  TEST_NATS_URL,
  type TestSchema,
} from '@fleetwarden/testing';
import { EXECUTION_UNAVAILABLE_CODE } from '../common/scheduling-service.errors';
import {
  answerCancelRollout,
  appendInventoryEvent,
  startSchedulingForTest,
  waitFor,
  type CancelRolloutRequest,
} from '../testing/scheduling-test.harness';

const operator = { role: 'operator', actor: 'operator:alice' };
const reseller = (id: string) => ({ role: 'reseller', reseller: id, actor: `reseller:${id}-user` });
const SERVERS = ['s-1', 's-2', 's-3', 's-4'];
const EXECUTION_TIMEOUT_MS = 300;

describe('CancelTask asks the execution service which servers started (NATS, PostgreSQL)', () => {
  let schema: TestSchema;
  let namespace: string;
  let app: NestFastifyApplication;
  let client: JetStreamClientProxy;
  let nc: NatsConnection;
  let store: EventStore;
  let taskSeq = 0;
  let execution: Subscription | null = null;
  let received: CancelRolloutRequest[] = [];

  const send = <R = unknown>(command: string, data: unknown, meta: Record<string, unknown> = operator) =>
    client.command<R>(`${namespace}.cmd.scheduling.${command}`, data, { meta });

  const failure = async (command: string, data: unknown, meta: Record<string, unknown> = operator) => {
    try {
      await send(command, data, meta);
    } catch (err) {
      if (err instanceof RemoteCommandError) return { code: err.code, message: err.message };
      throw err;
    }
    throw new Error(`${command} succeeded`);
  };

  const types = async (taskId: string) => (await store.readStream(`task-${taskId}`)).map((e) => e.type);

  /** Stands in for the execution service until the next `stopExecution()`. */
  const runExecution = (answer: (request: CancelRolloutRequest) => CommandReply | null) => {
    execution = answerCancelRollout(nc, namespace, answer, received);
    return nc.flush();
  };
  const startedOnly = (startedServerIds: string[]) =>
    runExecution(({ data }) => ({
      ok: true,
      data: {
        taskId: data.taskId,
        startedServerIds,
        cancelledServerIds: SERVERS.filter((s) => !startedServerIds.includes(s)),
      },
    }));
  const stopExecution = async () => {
    execution?.unsubscribe();
    execution = null;
    await nc.flush();
  };

  const schedule = async (startAt: string | null, meta: Record<string, unknown> = reseller('ra')) => {
    const taskId = `t-${++taskSeq}`;
    await send(
      'ScheduleUpdateTask',
      {
        taskId,
        name: `Task ${taskId}`,
        type: 'upgrade-image',
        versions: [{ component: 'server-image', version: '9.1.0.10' }],
        targets: { serverIds: SERVERS, groupIds: [] },
        startAt,
      },
      meta,
    );
    return taskId;
  };
  const processingTask = async () => {
    const taskId = await schedule(null);
    await waitFor(`task ${taskId} started`, async () =>
      (await types(taskId)).includes('UpdateTaskStarted') ? true : undefined,
    );
    return taskId;
  };

  beforeAll(async () => {
    schema = await createTestSchema('sched_cancel');
    namespace = createTestNamespace('schedcan');
    store = await createEventStore({ databaseUrl: schema.connectionString, schema: schema.schema, poolSize: 2 });
    await store.migrate();
    app = await startSchedulingForTest(
      { natsUrl: TEST_NATS_URL, databaseUrl: schema.connectionString, schema: schema.schema, namespace },
      { projectionPollMs: 20, timersPollMs: 50, executionTimeoutMs: EXECUTION_TIMEOUT_MS },
    );
    client = new JetStreamClientProxy({ connection: { url: TEST_NATS_URL, name: 'scheduling-cancel-test' } });
    nc = await connectNats({ url: TEST_NATS_URL, name: 'scheduling-cancel-test-execution' });

    for (const serverId of SERVERS) {
      await appendInventoryEvent(
        store,
        `server-${serverId}`,
        'ServerRegistered',
        {
          serverId,
          reseller: { id: 'ra', name: 'A' },
          company: { id: 'c', name: 'C' },
          address: '',
          serverVersion: '9.0.0.200',
          webAppsVersion: null,
          stage: 'production',
          hostingProvider: 'operator',
          registeredBy: 'operator',
        },
        'ra',
      );
    }
    await send('PublishVersion', {
      component: 'server-image',
      version: '9.1.0.10',
      stage: 'production',
      schemaVersion: '9.1',
    });
    await waitFor('the servers in the fleet view', async () => {
      const { rows } = await store.transaction((tx) =>
        tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema.schema}.scheduling_servers`),
      );
      return rows[0].n === SERVERS.length ? true : undefined;
    });
  });

  afterEach(async () => {
    await stopExecution();
    received = [];
  });

  afterAll(async () => {
    await app?.close();
    await client?.close();
    await nc?.drain();
    await store?.close();
    await deleteNamespaceStreams(namespace);
    await schema?.drop();
  });

  describe('a processing task', () => {
    it('cancels only the servers the execution service reports not started', async () => {
      const taskId = await processingTask();
      await startedOnly(['s-1', 's-3']);

      await expect(send('CancelTask', { taskId }, reseller('ra'))).resolves.toEqual({
        taskId,
        cancelledServerIds: ['s-2', 's-4'],
      });
      const events = await store.readStream(`task-${taskId}`);
      expect(events.map((e) => e.type)).toEqual(['UpdateTaskScheduled', 'UpdateTaskStarted', 'UpdateTaskCancelled']);
      expect(events[2]).toMatchObject({
        data: { taskId, cancelledServerIds: ['s-2', 's-4'] },
        metadata: { actor: 'reseller:ra-user', reseller: 'ra' },
      });
      expect(received).toEqual([
        {
          data: { taskId },
          meta: expect.objectContaining({ actor: 'reseller:ra-user', role: 'reseller', reseller: 'ra' }),
        },
      ]);

      expect(await failure('CancelTask', { taskId })).toMatchObject({ code: 'TASK.NOT_CANCELLABLE' });
      expect(received).toHaveLength(1);
    });

    it('is refused, recording nothing, when no execution service is running; a retry then cancels', async () => {
      const taskId = await processingTask();

      const error = await failure('CancelTask', { taskId });
      expect(error.code).toBe(EXECUTION_UNAVAILABLE_CODE);
      expect(error.message).toContain('no instance is running');
      expect(await types(taskId)).toEqual(['UpdateTaskScheduled', 'UpdateTaskStarted']);

      await startedOnly(['s-1']);
      await expect(send('CancelTask', { taskId })).resolves.toEqual({
        taskId,
        cancelledServerIds: ['s-2', 's-3', 's-4'],
      });
    });

    it('is refused, recording nothing, when the execution service does not answer in time', async () => {
      const taskId = await processingTask();
      await runExecution(() => null);

      const started = Date.now();
      const error = await failure('CancelTask', { taskId });
      expect(error.code).toBe(EXECUTION_UNAVAILABLE_CODE);
      expect(error.message).toContain(`no reply within ${EXECUTION_TIMEOUT_MS} ms`);
      expect(Date.now() - started).toBeGreaterThanOrEqual(EXECUTION_TIMEOUT_MS - 50);
      expect(received).toHaveLength(1);
      expect(await types(taskId)).toEqual(['UpdateTaskScheduled', 'UpdateTaskStarted']);
    });

    it("is refused with the execution service's error, recording nothing", async () => {
      const taskId = await processingTask();
      await runExecution(() => ({ ok: false, error: { code: 'ROLLOUT.BUSY', message: 'try later' } }));

      expect(await failure('CancelTask', { taskId })).toEqual({ code: 'ROLLOUT.BUSY', message: 'try later' });
      expect(await types(taskId)).toEqual(['UpdateTaskScheduled', 'UpdateTaskStarted']);
    });
  });

  describe('without asking the execution service', () => {
    beforeEach(() => startedOnly(['s-1']));

    it('cancels every server of a pending task', async () => {
      const taskId = await schedule(new Date(Date.now() + 3_600_000).toISOString());
      await expect(send('CancelTask', { taskId }, reseller('ra'))).resolves.toEqual({
        taskId,
        cancelledServerIds: SERVERS,
      });
      expect(received).toEqual([]);
    });

    it("answers another tenant's processing task as not found", async () => {
      const taskId = await processingTask();
      expect(await failure('CancelTask', { taskId }, reseller('rb'))).toMatchObject({ code: 'TASK.NOT_FOUND' });
      expect(received).toEqual([]);
      expect(await types(taskId)).toEqual(['UpdateTaskScheduled', 'UpdateTaskStarted']);
    });
  });
});
