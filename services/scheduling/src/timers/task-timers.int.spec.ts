import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createEventStore, type EventStore } from '@fleetwarden/eventstore';
import { JetStreamClientProxy } from '@fleetwarden/messaging';
import { createClock } from '@fleetwarden/platform';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  TEST_NATS_URL,
  type TestSchema,
} from '@fleetwarden/testing';
import {
  appendInventoryEvent,
  schedulingRuntime,
  schedulingTestConfig,
  startSchedulingForTest,
  waitFor,
  type SchedulingTestEnv,
} from '../testing/scheduling-test.harness';

const operator = { role: 'operator', actor: 'operator:alice' };
/** Clock ms per real ms: a 60 s start delay passes in one real second. */
const SPEED = 60;

describe('durable timers (two instances, fast clock)', () => {
  let schema: TestSchema;
  let env: SchedulingTestEnv;
  let apps: NestFastifyApplication[] = [];
  let client: JetStreamClientProxy;
  let store: EventStore;
  let clock: { now(): Date };

  const send = <R = unknown>(command: string, data: unknown) =>
    client.command<R>(`${env.namespace}.cmd.scheduling.${command}`, data, { meta: operator });

  const schedule = async (taskId: string, inClockSeconds: number) => {
    const startAt = new Date(clock.now().getTime() + inClockSeconds * 1000).toISOString();
    await send('ScheduleUpdateTask', {
      taskId,
      name: `Task ${taskId}`,
      type: 'upgrade-image',
      versions: [{ component: 'server-image', version: '9.1.0.10' }],
      targets: { serverIds: ['s-1'], groupIds: [] },
      startAt,
    });
    return startAt;
  };

  const started = async (taskId: string) =>
    (await store.readStream(`task-${taskId}`)).filter((e) => e.type === 'UpdateTaskStarted');

  beforeAll(async () => {
    schema = await createTestSchema('sched_timers');
    env = {
      natsUrl: TEST_NATS_URL,
      databaseUrl: schema.connectionString,
      schema: schema.schema,
      namespace: createTestNamespace('schedtim'),
      clockSpeed: SPEED,
    };
    clock = createClock(SPEED, schedulingTestConfig(env).clockOrigin);
    store = await createEventStore({ databaseUrl: schema.connectionString, schema: schema.schema, poolSize: 2 });
    await store.migrate();
    const options = { projectionPollMs: 20, timersPollMs: 50, timersRetryMs: 100 };
    apps = [await startSchedulingForTest(env, options), await startSchedulingForTest(env, options)];
    client = new JetStreamClientProxy({ connection: { url: TEST_NATS_URL, name: 'scheduling-timers-test' } });

    await appendInventoryEvent(
      store,
      'server-s-1',
      'ServerRegistered',
      {
        serverId: 's-1',
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
    await send('PublishVersion', {
      component: 'server-image',
      version: '9.1.0.10',
      stage: 'production',
      schemaVersion: '9.1',
    });
    await waitFor('the server in the fleet view', async () => {
      const { rows } = await store.transaction((tx) =>
        tx.query(`SELECT 1 FROM ${schema.schema}.scheduling_servers WHERE server_id = 's-1'`),
      );
      return rows.length > 0 ? true : undefined;
    });
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await client?.close();
    await store?.close();
    await deleteNamespaceStreams(env.namespace);
    await schema?.drop();
  });

  it('starts a task when it is due, exactly once, with one instance firing', async () => {
    const startAt = await schedule('t-due', 60);
    expect(await started('t-due')).toEqual([]);

    const [event] = await waitFor('UpdateTaskStarted', async () => {
      const events = await started('t-due');
      return events.length > 0 ? events : undefined;
    });
    expect(Date.parse((event.data as { startedAt: string }).startedAt)).toBeGreaterThanOrEqual(Date.parse(startAt));
    expect(apps.map((app) => schedulingRuntime(app).timers.isLeader).sort()).toEqual([false, true]);

    // Well past the start: nobody fires it again.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await started('t-due')).toHaveLength(1);
  });

  it('does not start a cancelled task', async () => {
    await schedule('t-cancelled', 30);
    await send('CancelTask', { taskId: 't-cancelled' });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await store.readStream('task-t-cancelled')).map((e) => e.type)).toEqual([
      'UpdateTaskScheduled',
      'UpdateTaskCancelled',
    ]);
  });

  it('hands the timers over when the firing instance stops', async () => {
    const startAt = await schedule('t-handover', 120);
    const leader = apps.find((app) => schedulingRuntime(app).timers.isLeader);
    expect(leader).toBeDefined();
    await leader?.close();
    apps = apps.filter((app) => app !== leader);

    await waitFor(
      'UpdateTaskStarted after the hand-over',
      async () => ((await started('t-handover')).length > 0 ? true : undefined),
      10_000,
    );
    const events = await started('t-handover');
    expect(events).toHaveLength(1);
    expect(Date.parse((events[0].data as { startedAt: string }).startedAt)).toBeGreaterThanOrEqual(Date.parse(startAt));
    expect(schedulingRuntime(apps[0]).timers.isLeader).toBe(true);
  });

  it('fires a timer that fell due while no instance was running, once, after a restart', async () => {
    const startAt = await schedule('t-restart', 60);
    for (const app of apps) await app.close();
    apps = [];
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await started('t-restart')).toEqual([]);

    apps = [await startSchedulingForTest(env, { projectionPollMs: 20, timersPollMs: 50, timersRetryMs: 100 })];
    const events = await waitFor('UpdateTaskStarted after the restart', async () => {
      const found = await started('t-restart');
      return found.length > 0 ? found : undefined;
    });
    expect(events).toHaveLength(1);
    expect(Date.parse((events[0].data as { startedAt: string }).startedAt)).toBeGreaterThanOrEqual(Date.parse(startAt));
  });
});
