import { randomUUID } from 'node:crypto';
import { rolloutStreamId } from '@fleetwarden/execution-contracts';
import { taskStreamId } from '@fleetwarden/scheduling-contracts';
import {
  TEST_NATS_URL,
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  type TestSchema,
} from '@fleetwarden/testing';
import { GraphQLWsClient } from '../testing/graphql-ws-client';
import {
  appendServer,
  event,
  serverRegistered,
  startGatewayTestKit,
  waitFor,
  type GatewayTestKit,
  type GraphQLBody,
} from '../testing/gateway-test-kit';

const T0 = Date.parse('2026-11-20T22:00:00.000Z');
const iso = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const TASK = 't-exec';
const SERVERS = ['s1', 's2', 's3', 's4', 's5', 's6'];
const TARGET = [{ component: 'server-image', version: '10.0.0.1' }];
const jobId = (serverId: string) => `${TASK}:${serverId}:1`;

const SERVER_FIELDS = 'server { id } status phase startedAt finishedAt attempt errorLog log';
const TASK_QUERY = `query($id: ID!) { task(id: $id) { id status progress { completed failed total }
  servers { ${SERVER_FIELDS} } } }`;

interface TaskServerView {
  server: { id: string } | null;
  status: string;
  phase: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  attempt: number;
  errorLog: string[];
  log: string[];
}
interface TaskView {
  id: string;
  status: string;
  progress: { completed: number; failed: number; total: number };
  servers: TaskServerView[];
}

const dispatched = (serverId: string, at: number) =>
  event('ServerUpdateDispatched', {
    taskId: TASK,
    serverId,
    jobId: jobId(serverId),
    attempt: 1,
    dispatchedAt: iso(at),
  });
const progressed = (serverId: string, phase: string, at: number, log: string[] = []) =>
  event('ServerUpdateProgressed', { taskId: TASK, serverId, jobId: jobId(serverId), phase, log, at: iso(at) });
const completed = (serverId: string, at: number) =>
  event('ServerUpdateCompleted', {
    taskId: TASK,
    serverId,
    jobId: jobId(serverId),
    versions: TARGET,
    finishedAt: iso(at),
  });
const failed = (serverId: string, reason: string, log: string[], at: number) =>
  event('ServerUpdateFailed', { taskId: TASK, serverId, jobId: jobId(serverId), reason, log, finishedAt: iso(at) });

/** A server row as it is before the execution touched it. */
const untouched = (id: string, status = 'PENDING'): TaskServerView => ({
  server: { id },
  status,
  phase: null,
  startedAt: null,
  finishedAt: null,
  attempt: 1,
  errorLog: [],
  log: [],
});

describe('per-server progress of an update task (PostgreSQL, NATS)', () => {
  let kit: GatewayTestKit;
  let schema: TestSchema;
  const namespace = createTestNamespace('gwexec');
  let operator: string;
  let r1: string;

  const gql = async (query: string, token: string, variables?: Record<string, unknown>): Promise<GraphQLBody> =>
    (await kit.graphql(query, { token, variables })).body;
  const task = async (): Promise<TaskView> => {
    const body = await gql(TASK_QUERY, operator, { id: TASK });
    expect(body.errors).toBeUndefined();
    return body.data!.task as TaskView;
  };
  const taskWhen = (what: string, done: (t: TaskView) => boolean): Promise<TaskView> =>
    waitFor(what, async () => {
      const t = await task();
      return t && done(t) ? t : undefined;
    });
  const rollout = (...events: ReturnType<typeof event>[]) => kit.store.append(rolloutStreamId(TASK), events);
  const server = (t: TaskView, id: string) => t.servers.find((s) => s.server?.id === id)!;

  beforeAll(async () => {
    schema = await createTestSchema('gwexec');
    kit = await startGatewayTestKit({
      natsUrl: TEST_NATS_URL,
      databaseUrl: schema.connectionString,
      schema: schema.schema,
      namespace,
    });
    operator = await kit.token({ sub: 'alice', role: 'operator' });
    r1 = await kit.token({ sub: 'bob', role: 'reseller', reseller: 'r1' });
    for (const id of SERVERS) await appendServer(kit.store, id, [serverRegistered(id, 'r1', 'r1-c')]);
    await kit.store.append(taskStreamId(TASK), [
      event(
        'UpdateTaskScheduled',
        {
          taskId: TASK,
          name: 'Night upgrade',
          type: 'upgrade-image',
          versions: TARGET,
          includeClientApps: false,
          targets: { serverIds: SERVERS, groupIds: [] },
          servers: SERVERS.map((serverId) => ({ serverId, reseller: 'r1' })),
          startAt: iso(0),
          staggerSeconds: 60,
          window: null,
          maxConcurrency: null,
          failureThreshold: 2,
          tenant: 'r1',
          postedBy: 'reseller:r1-user',
          postedAt: iso(-3600),
          retryOf: null,
        },
        'r1',
      ),
      event('UpdateTaskStarted', { taskId: TASK, startedAt: iso(0) }),
    ]);
    await rollout(
      event('RolloutStarted', {
        taskId: TASK,
        serverIds: SERVERS,
        targetVersions: TARGET,
        staggerSeconds: 60,
        maxConcurrency: null,
        window: null,
        failureThreshold: 2,
        timeouts: { dispatched: 60, downloading: 600, installing: 900, restarting: 600, validating: 300 },
        attempt: 1,
        startedAt: iso(0),
      }),
    );
    await taskWhen('task projected', (t) => t.status === 'PROCESSING' && t.servers.every((s) => s.server));
  }, 30_000);

  afterAll(async () => {
    await kit?.close();
    await deleteNamespaceStreams(namespace).catch(() => undefined);
    await schema?.drop();
  });

  it('pushes taskProgress on every change of a server, with the live count', async () => {
    const ws = await GraphQLWsClient.connect(`${kit.baseUrl.replace('http', 'ws')}/graphql`, {
      authorization: `Bearer ${r1}`,
    });
    try {
      await ws.next((m) => m.type === 'connection_ack');
      ws.subscribe(
        'p',
        `subscription($id: ID!) { taskProgress(taskId: $id) { id status progress { completed failed total } servers { server { id } status phase } } }`,
        { id: TASK },
      );
      await waitFor('subscription registered', async () => {
        await rollout({ ...dispatched('s1', 0), eventId: randomUUID() });
        return ws
          .next((m) => m.id === 'p', 1500)
          .then((m) => m)
          .catch(() => undefined);
      });
      await rollout(progressed('s1', 'downloading', 10, ['downloading 10.0.0.1']));
      const phase = await ws.next((m) => m.id === 'p' && JSON.stringify(m.payload).includes('DOWNLOADING'));
      expect(phase.payload).toMatchObject({
        data: { taskProgress: { id: TASK, status: 'PROCESSING', progress: { completed: 0, failed: 0, total: 6 } } },
      });

      await rollout(
        progressed('s1', 'installing', 20),
        progressed('s1', 'restarting', 30),
        progressed('s1', 'validating', 40, ['check passed']),
        completed('s1', 50),
      );
      const done = await ws.next((m) => m.id === 'p' && JSON.stringify(m.payload).includes('"completed":1'));
      const progress = (done.payload as { data: { taskProgress: TaskView } }).data.taskProgress;
      expect(progress).toMatchObject({
        id: TASK,
        status: 'PROCESSING',
        progress: { completed: 1, failed: 0, total: 6 },
      });
      expect(progress.servers[0]).toEqual({ server: { id: 's1' }, status: 'COMPLETED', phase: 'VALIDATING' });
    } finally {
      ws.close();
    }
  });

  it("records each server's status, phase, times, attempt and logs, counting completed and failed servers live", async () => {
    const longLog = Array.from({ length: 250 }, (_, i) => `line ${i}`);
    await rollout(
      dispatched('s2', 60),
      progressed('s2', 'downloading', 70, ['fetching image']),
      progressed('s2', 'installing', 80, ['installing', 'E: disk nearly full']),
      failed('s2', 'agent: disk full', ['E: no space left on device'], 90),
      dispatched('s3', 120),
      progressed('s3', 'downloading', 130, longLog),
    );
    const running = await taskWhen('s2 failed, s3 downloading', (t) => server(t, 's3').phase === 'DOWNLOADING');
    expect(running.status).toBe('PROCESSING');
    expect(running.progress).toEqual({ completed: 1, failed: 1, total: 6 });

    await rollout(
      event('ServerUpdateCancelled', { taskId: TASK, serverId: 's4' }),
      event('ServerUpdateNotStarted', { taskId: TASK, serverId: 's5', reason: 'halted' }),
    );
    const t = await taskWhen('s4 cancelled, s5 not started', (v) => server(v, 's5').status === 'NOT_STARTED');
    expect(t).toEqual({
      id: TASK,
      status: 'PROCESSING',
      progress: { completed: 1, failed: 1, total: 6 },
      servers: [
        {
          server: { id: 's1' },
          status: 'COMPLETED',
          phase: 'VALIDATING',
          startedAt: iso(0),
          finishedAt: iso(50),
          attempt: 1,
          errorLog: [],
          log: ['downloading 10.0.0.1', 'check passed'],
        },
        {
          server: { id: 's2' },
          status: 'FAILED',
          phase: 'INSTALLING',
          startedAt: iso(60),
          finishedAt: iso(90),
          attempt: 1,
          errorLog: [
            'fetching image',
            'installing',
            'E: disk nearly full',
            'E: no space left on device',
            'agent: disk full',
          ],
          log: ['fetching image', 'installing', 'E: disk nearly full', 'E: no space left on device'],
        },
        {
          server: { id: 's3' },
          status: 'PROCESSING',
          phase: 'DOWNLOADING',
          startedAt: iso(120),
          finishedAt: null,
          attempt: 1,
          errorLog: [],
          log: longLog.slice(50),
        },
        untouched('s4', 'CANCELLED'),
        untouched('s5', 'NOT_STARTED'),
        untouched('s6'),
      ],
    });
  });

  it("keeps the execution's statuses and times when the scheduling events finish the task", async () => {
    const before = await task();
    // Lists that overlap what the execution recorded: only rows the execution has not settled change.
    await kit.store.append(taskStreamId(TASK), [
      event('UpdateTaskHalted', {
        taskId: TASK,
        failedServerIds: ['s1', 's2'],
        haltedServerIds: ['s1', 's3', 's4', 's6'],
      }),
      event(
        'UpdateTaskFailed',
        {
          taskId: TASK,
          completedServerIds: ['s1', 's2'],
          failedServerIds: ['s1', 's2', 's3'],
          notStartedServerIds: ['s1', 's2', 's3', 's4', 's5', 's6'],
        },
        null,
        iso(600),
      ),
    ]);
    const t = await taskWhen('task failed', (v) => v.status === 'FAILED');
    expect(t.progress).toEqual({ completed: 1, failed: 2, total: 6 });
    expect(t.servers.slice(0, 2)).toEqual(before.servers.slice(0, 2));
    expect(server(t, 's3')).toEqual({ ...server(before, 's3'), status: 'FAILED', finishedAt: iso(600) });
    expect(t.servers.slice(3)).toEqual([
      untouched('s4', 'CANCELLED'),
      untouched('s5', 'NOT_STARTED'),
      untouched('s6', 'NOT_STARTED'),
    ]);

    // The execution's own report of s3 arrives after the task's: its time and error log win.
    await rollout(failed('s3', 'timed out while downloading', [], 700));
    const late = await taskWhen('s3 failure recorded', (v) => server(v, 's3').finishedAt === iso(700));
    expect(server(late, 's3')).toMatchObject({
      status: 'FAILED',
      finishedAt: iso(700),
      errorLog: [...server(before, 's3').log.slice(1), 'timed out while downloading'],
    });
    expect(late).toMatchObject({ status: 'FAILED', progress: { completed: 1, failed: 2, total: 6 } });
  });
});
