import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Subjects } from '@fleetwarden/contracts';
import { createEventStore, type EventStore } from '@fleetwarden/eventstore';
import { connectNats, deadLetterStreamName, JetStreamClientProxy } from '@fleetwarden/messaging';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  TEST_NATS_URL,
  type TestSchema,
} from '@fleetwarden/testing';
import {
  answerCancelRollout,
  appendInventoryEvent,
  appendRolloutEvents,
  executionEventsSettled,
  publishAgain,
  publishedSeq,
  startSchedulingForTest,
  waitFor,
} from '../testing/scheduling-test.harness';
import { EXECUTION_EVENTS_ACTOR, EXECUTION_EVENTS_CONSUMER } from './execution-events.handler';

const operator = { role: 'operator', actor: 'operator:alice' };
const SERVERS = ['s-1', 's-2', 's-3', 's-4'];
const at = () => new Date().toISOString();

describe('execution events halt and finish update tasks (NATS, PostgreSQL)', () => {
  let schema: TestSchema;
  let namespace: string;
  let app: NestFastifyApplication;
  let client: JetStreamClientProxy;
  let nc: NatsConnection;
  let store: EventStore;
  let taskSeq = 0;

  const send = <R = unknown>(command: string, data: unknown) =>
    client.command<R>(`${namespace}.cmd.scheduling.${command}`, data, { meta: operator });

  const types = async (taskId: string) => (await store.readStream(`task-${taskId}`)).map((e) => e.type);
  const eventOf = async (taskId: string, type: string) =>
    (await store.readStream(`task-${taskId}`)).find((e) => e.type === type);
  const until = (taskId: string, type: string) =>
    waitFor(`${type} on task ${taskId}`, async () => await eventOf(taskId, type));

  /** A task over every server, started by the timers. */
  const processingTask = async (failureThreshold: number | null = 2) => {
    const taskId = `t-${++taskSeq}`;
    await send('ScheduleUpdateTask', {
      taskId,
      name: `Task ${taskId}`,
      type: 'upgrade-image',
      versions: [{ component: 'server-image', version: '9.1.0.10' }],
      targets: { serverIds: SERVERS, groupIds: [] },
      startAt: null,
      staggerSeconds: 60,
      failureThreshold,
    });
    await until(taskId, 'UpdateTaskStarted');
    return taskId;
  };

  const rolloutHalted = (taskId: string, failedServerIds: string[], startedServerIds: string[]) => ({
    type: 'RolloutHalted',
    data: { taskId, failed: failedServerIds.length, failedServerIds, startedServerIds, at: at() },
  });

  const rolloutFinished = (
    taskId: string,
    outcome: 'completed' | 'failed' | 'cancelled',
    completedServerIds: string[],
    failedServerIds: string[],
  ) => {
    const notRun = SERVERS.length - completedServerIds.length - failedServerIds.length;
    return {
      type: 'RolloutFinished',
      data: {
        taskId,
        outcome,
        completed: completedServerIds.length,
        failed: failedServerIds.length,
        notStarted: outcome === 'cancelled' ? 0 : notRun,
        cancelled: outcome === 'cancelled' ? notRun : 0,
        completedServerIds,
        failedServerIds,
        finishedAt: at(),
      },
    };
  };

  beforeAll(async () => {
    schema = await createTestSchema('sched_exec');
    namespace = createTestNamespace('schedexec');
    store = await createEventStore({ databaseUrl: schema.connectionString, schema: schema.schema, poolSize: 2 });
    await store.migrate();
    app = await startSchedulingForTest(
      { natsUrl: TEST_NATS_URL, databaseUrl: schema.connectionString, schema: schema.schema, namespace },
      { projectionPollMs: 20, timersPollMs: 50 },
    );
    client = new JetStreamClientProxy({ connection: { url: TEST_NATS_URL, name: 'scheduling-execution-test' } });
    nc = await connectNats({ url: TEST_NATS_URL, name: 'scheduling-execution-test-js' });

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

  afterAll(async () => {
    await app?.close();
    await client?.close();
    await nc?.drain();
    await store?.close();
    await deleteNamespaceStreams(namespace);
    await schema?.drop();
  });

  it('halts, then fails the task, once each, though each event is delivered twice', async () => {
    const taskId = await processingTask(2);

    const [halted] = await appendRolloutEvents(store, taskId, [
      rolloutHalted(taskId, ['s-1', 's-2'], ['s-1', 's-2', 's-3']),
    ]);
    await until(taskId, 'UpdateTaskHalted');
    await executionEventsSettled(nc, namespace, await publishAgain(nc, namespace, halted));

    const [finished] = await appendRolloutEvents(store, taskId, [
      rolloutFinished(taskId, 'failed', ['s-3'], ['s-1', 's-2']),
    ]);
    await until(taskId, 'UpdateTaskFailed');
    await executionEventsSettled(nc, namespace, await publishAgain(nc, namespace, finished));
    await executionEventsSettled(nc, namespace, await publishAgain(nc, namespace, halted));

    const events = await store.readStream(`task-${taskId}`);
    expect(events.map((e) => e.type)).toEqual([
      'UpdateTaskScheduled',
      'UpdateTaskStarted',
      'UpdateTaskHalted',
      'UpdateTaskFailed',
    ]);
    expect(events[2]).toMatchObject({
      data: { taskId, failedServerIds: ['s-1', 's-2'], haltedServerIds: ['s-4'] },
      metadata: {
        actor: EXECUTION_EVENTS_ACTOR,
        causationId: halted.eventId,
        correlationId: halted.metadata.correlationId,
        reseller: null,
      },
    });
    expect(events[3]).toMatchObject({
      data: { taskId, completedServerIds: ['s-3'], failedServerIds: ['s-1', 's-2'], notStartedServerIds: ['s-4'] },
      metadata: { causationId: finished.eventId },
    });
  });

  it('completes the task when every server completed', async () => {
    const taskId = await processingTask(null);
    const [finished] = await appendRolloutEvents(store, taskId, [rolloutFinished(taskId, 'completed', SERVERS, [])]);
    await until(taskId, 'UpdateTaskCompleted');
    await executionEventsSettled(nc, namespace, await publishAgain(nc, namespace, finished));
    expect(await types(taskId)).toEqual(['UpdateTaskScheduled', 'UpdateTaskStarted', 'UpdateTaskCompleted']);
    expect((await eventOf(taskId, 'UpdateTaskCompleted'))?.data).toEqual({ taskId, completedServerIds: SERVERS });
  });

  it('keeps the halt before the failure when both are reported in one append', async () => {
    const taskId = await processingTask(1);
    await appendRolloutEvents(store, taskId, [
      rolloutHalted(taskId, ['s-1'], ['s-1']),
      rolloutFinished(taskId, 'failed', [], ['s-1']),
    ]);
    await until(taskId, 'UpdateTaskFailed');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await types(taskId)).toEqual([
      'UpdateTaskScheduled',
      'UpdateTaskStarted',
      'UpdateTaskHalted',
      'UpdateTaskFailed',
    ]);
    expect((await eventOf(taskId, 'UpdateTaskHalted'))?.data).toEqual({
      taskId,
      failedServerIds: ['s-1'],
      haltedServerIds: ['s-2', 's-3', 's-4'],
    });
  });

  it('skips a finish on a task already cancelled, acking it', async () => {
    const taskId = await processingTask();
    const answering = answerCancelRollout(nc, namespace, ({ data }) => ({
      ok: true,
      data: { taskId: data.taskId, startedServerIds: ['s-1'], cancelledServerIds: ['s-2', 's-3', 's-4'] },
    }));
    try {
      await send('CancelTask', { taskId });
    } finally {
      answering.unsubscribe();
    }
    const [finished] = await appendRolloutEvents(store, taskId, [rolloutFinished(taskId, 'cancelled', ['s-1'], [])]);
    await executionEventsSettled(nc, namespace, await publishedSeq(nc, namespace, finished));
    expect(await types(taskId)).toEqual(['UpdateTaskScheduled', 'UpdateTaskStarted', 'UpdateTaskCancelled']);
  });

  it('records the cancel from a rollout that ended cancelled when the cancel itself was not recorded', async () => {
    const taskId = await processingTask();
    await appendRolloutEvents(store, taskId, [rolloutFinished(taskId, 'cancelled', ['s-1'], ['s-2'])]);
    const cancelled = await until(taskId, 'UpdateTaskCancelled');
    expect(cancelled.data).toEqual({ taskId, cancelledServerIds: ['s-3', 's-4'] });
    expect(await types(taskId)).toEqual(['UpdateTaskScheduled', 'UpdateTaskStarted', 'UpdateTaskCancelled']);
  });

  it('retries an event whose data breaks the contract, leaving the task alone', async () => {
    const taskId = await processingTask();
    const [bad] = await appendRolloutEvents(store, taskId, [
      { type: 'RolloutHalted', data: { taskId, failed: 'two' } },
    ]);
    const seq = await publishedSeq(nc, namespace, bad);
    const jsm = await jetstreamManager(nc);
    const subjects = new Subjects(namespace);
    await waitFor('a redelivery of the bad event', async () => {
      const info = await jsm.consumers.info(
        subjects.eventsStream,
        subjects.consumerName('scheduling', EXECUTION_EVENTS_CONSUMER),
      );
      return info.delivered.stream_seq >= seq && info.num_redelivered > 0 ? true : undefined;
    });
    expect(await types(taskId)).toEqual(['UpdateTaskScheduled', 'UpdateTaskStarted']);
    // Nothing else was dead-lettered so far: the events above were all acked.
    const dlq = await jsm.streams.info(deadLetterStreamName(subjects));
    expect(dlq.state.messages).toBe(0);
  });
});
