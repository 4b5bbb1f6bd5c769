import { randomUUID } from 'node:crypto';
import { catalogStreamId, taskStreamId } from '@fleetwarden/scheduling-contracts';
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

const T0 = Date.parse('2026-11-20T08:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const taskId = (i: number) => `t-${String(i).padStart(2, '0')}`;
const TASKS = 30;
/** i % 5: 0 pending, 1 processing, 2 completed, 3 failed (halted), 4 cancelled; task 30 is deleted. */
const statusOf = (i: number) => ['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED'][i % 5];
const tenantOf = (i: number) => (i % 2 ? 'r1' : 'r2');
const serversOf = (i: number) => (tenantOf(i) === 'r1' ? ['s1', 's2', 's3'] : ['s9']);

function taskEvents(i: number) {
  const id = taskId(i);
  const servers = serversOf(i);
  const events = [
    event(
      'UpdateTaskScheduled',
      {
        taskId: id,
        name: `Task ${i}`,
        type: i % 3 ? 'upgrade-image' : 'rollback',
        versions: [{ component: 'server-image', version: '10.0.0.1' }],
        includeClientApps: false,
        targets: { serverIds: servers.slice(1), groupIds: ['g1'] },
        servers: servers.map((serverId) => ({ serverId, reseller: tenantOf(i) })),
        startAt: iso(T0 + i * 60_000 + 3_600_000),
        staggerSeconds: 180,
        window: null,
        maxConcurrency: null,
        failureThreshold: 1,
        tenant: tenantOf(i),
        postedBy: `reseller:${tenantOf(i)}-user`,
        postedAt: iso(T0 + i * 60_000),
        retryOf: null,
      },
      tenantOf(i),
    ),
  ];
  const status = statusOf(i);
  if (status !== 'PENDING' && status !== 'CANCELLED') {
    events.push(event('UpdateTaskStarted', { taskId: id, startedAt: iso(T0 + i * 60_000 + 3_600_000) }));
  }
  if (status === 'COMPLETED') events.push(event('UpdateTaskCompleted', { taskId: id, completedServerIds: servers }));
  if (status === 'FAILED') {
    events.push(
      event('UpdateTaskHalted', {
        taskId: id,
        failedServerIds: servers.slice(0, 1),
        haltedServerIds: servers.slice(1),
      }),
      event('UpdateTaskFailed', {
        taskId: id,
        completedServerIds: [],
        failedServerIds: servers.slice(0, 1),
        notStartedServerIds: servers.slice(1),
      }),
    );
  }
  if (status === 'CANCELLED') events.push(event('UpdateTaskCancelled', { taskId: id, cancelledServerIds: servers }));
  if (i === TASKS) events.push(event('UpdateTaskDeleted', { taskId: id }));
  return events;
}

type Page = { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

describe('scheduling read models and queries (PostgreSQL, NATS)', () => {
  let kit: GatewayTestKit;
  let schema: TestSchema;
  const namespace = createTestNamespace('gwsched');
  const tokens: Record<string, string> = {};

  const gql = async (query: string, token?: string, variables?: Record<string, unknown>): Promise<GraphQLBody> =>
    (await kit.graphql(query, { token, variables })).body;

  async function collect(token: string, pageSize: number, status = 'ALL'): Promise<string[]> {
    const ids: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const body = await gql(
        `query($after: String) { tasks(status: ${status}, first: ${pageSize}, after: $after) {
           edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
        token,
        { after },
      );
      expect(body.errors).toBeUndefined();
      const result = body.data!.tasks as Page;
      ids.push(...result.edges.map((e) => e.node.id));
      if (!result.pageInfo.hasNextPage) return ids;
      after = result.pageInfo.endCursor;
    }
    throw new Error('too many pages');
  }

  const expected = (keep: (i: number) => boolean) =>
    Array.from({ length: TASKS }, (_, k) => TASKS - k)
      .filter((i) => i !== TASKS && keep(i))
      .map(taskId);

  beforeAll(async () => {
    schema = await createTestSchema('gwsched');
    kit = await startGatewayTestKit({
      natsUrl: TEST_NATS_URL,
      databaseUrl: schema.connectionString,
      schema: schema.schema,
      namespace,
    });
    tokens.operator = await kit.token({ sub: 'alice', role: 'operator' });
    tokens.auditor = await kit.token({ sub: 'audrey', role: 'auditor' });
    tokens.r1 = await kit.token({ sub: 'bob', role: 'reseller', reseller: 'r1' });
    tokens.r2 = await kit.token({ sub: 'carol', role: 'reseller', reseller: 'r2' });
    for (const [id, reseller] of [
      ['s1', 'r1'],
      ['s2', 'r1'],
      ['s3', 'r1'],
      ['s9', 'r2'],
    ]) {
      await appendServer(kit.store, id, [serverRegistered(id, reseller, `${reseller}-c`)]);
    }
    await kit.store.append(catalogStreamId('server-image'), [
      event('VersionPublished', {
        component: 'server-image',
        version: '9.0.0.200',
        stage: 'production',
        schemaVersion: '6.9',
        notes: 'base',
      }),
      event('VersionPublished', {
        component: 'server-image',
        version: '10.0.0.1',
        stage: 'beta',
        schemaVersion: '6.10',
        notes: 'new',
      }),
      event('VersionPublished', {
        component: 'server-image',
        version: '9.0.1.5',
        stage: 'patch',
        schemaVersion: '6.9',
        notes: 'fix',
      }),
      event('VersionWithdrawn', { component: 'server-image', version: '9.0.1.5', reason: 'bad' }),
    ]);
    await kit.store.append(catalogStreamId('web-apps'), [
      event('VersionPublished', {
        component: 'web-apps',
        version: '3.2.1',
        stage: 'beta',
        schemaVersion: '6.10',
        notes: '',
      }),
    ]);
    for (let i = 1; i <= TASKS; i++) await kit.store.append(taskStreamId(taskId(i)), taskEvents(i));
    await waitFor('tasks projected', async () => {
      const body = await gql(
        `{ task(id: "${taskId(TASKS - 1)}") { status } server(id: "s9") { id } }`,
        tokens.operator,
      );
      const done = (body.data?.task as { status: string } | null)?.status === statusOf(TASKS - 1) && body.data?.server;
      return done ? true : undefined;
    });
  }, 30_000);

  afterAll(async () => {
    await kit?.close();
    await deleteNamespaceStreams(namespace).catch(() => undefined);
    await schema?.drop();
  });

  it('lists the versions of a component, highest first, withdrawn ones flagged', async () => {
    const body = await gql(
      '{ versions(component: SERVER_IMAGE) { component version stage schemaVersion notes withdrawn publishedAt } }',
      tokens.r1,
    );
    expect(body.errors).toBeUndefined();
    const versions = body.data!.versions as Array<Record<string, unknown>>;
    expect(versions.map((v) => [v.version, v.stage, v.schemaVersion, v.withdrawn])).toEqual([
      ['10.0.0.1', 'BETA', '6.10', false],
      ['9.0.1.5', 'PATCH', '6.9', true],
      ['9.0.0.200', 'PRODUCTION', '6.9', false],
    ]);
    expect(versions[0]).toMatchObject({ component: 'SERVER_IMAGE', notes: 'new', publishedAt: expect.any(String) });
    const web = await gql('{ versions(component: WEB_APPS) { version } }', tokens.auditor);
    expect(web.data).toEqual({ versions: [{ version: '3.2.1' }] });
    const none = await gql('{ versions(component: CLIENT_APPS) { version } }', tokens.operator);
    expect(none.data).toEqual({ versions: [] });
  });

  it('pages through every visible task newest first, deleted ones hidden, for operators and auditors', async () => {
    const all = expected(() => true);
    expect(await collect(tokens.operator, 7)).toEqual(all);
    expect(await collect(tokens.auditor, 50)).toEqual(all);
  });

  it('shows a reseller its own tasks only', async () => {
    expect(await collect(tokens.r1, 4)).toEqual(expected((i) => tenantOf(i) === 'r1'));
    expect(await collect(tokens.r2, 100)).toEqual(expected((i) => tenantOf(i) === 'r2'));
  });

  it.each(['PENDING', 'PROCESSING', 'COMPLETED', 'CANCELLED', 'FAILED'])('filters the list by status %s', async (s) => {
    expect(await collect(tokens.operator, 3, s)).toEqual(expected((i) => statusOf(i) === s));
    expect(await collect(tokens.r1, 3, s)).toEqual(expected((i) => statusOf(i) === s && tenantOf(i) === 'r1'));
  });

  it('shows a task with its versions, progress and servers in start order', async () => {
    const body = await gql(
      `{ task(id: "t-03") { id name type status postedAt postedBy startAt targetSummary
          versions { component version } progress { completed failed total }
          servers { server { id } status startedAt finishedAt attempt errorLog } } }`,
      tokens.r1,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data!.task).toEqual({
      id: 't-03',
      name: 'Task 3',
      type: 'ROLLBACK',
      status: 'FAILED',
      postedAt: iso(T0 + 3 * 60_000),
      postedBy: 'reseller:r1-user',
      startAt: iso(T0 + 3 * 60_000 + 3_600_000),
      targetSummary: '3 servers (2 servers, 1 group)',
      versions: [{ component: 'SERVER_IMAGE', version: '10.0.0.1' }],
      progress: { completed: 0, failed: 1, total: 3 },
      servers: [
        {
          server: { id: 's1' },
          status: 'FAILED',
          startedAt: null,
          finishedAt: expect.any(String),
          attempt: 1,
          errorLog: [],
        },
        { server: { id: 's2' }, status: 'NOT_STARTED', startedAt: null, finishedAt: null, attempt: 1, errorLog: [] },
        { server: { id: 's3' }, status: 'NOT_STARTED', startedAt: null, finishedAt: null, attempt: 1, errorLog: [] },
      ],
    });
    const completed = await gql('{ task(id: "t-07") { status progress { completed failed total } } }', tokens.operator);
    expect(completed.data).toEqual({ task: { status: 'COMPLETED', progress: { completed: 3, failed: 0, total: 3 } } });
    const cancelled = await gql('{ task(id: "t-04") { status servers { status } } }', tokens.operator);
    expect(cancelled.data).toEqual({ task: { status: 'CANCELLED', servers: [{ status: 'CANCELLED' }] } });
  });

  it("answers null for another tenant's task, and shows a deleted task by id", async () => {
    const other = await gql('{ task(id: "t-02") { id } }', tokens.r1);
    expect(other).toEqual({ data: { task: null } });
    const deleted = await gql(`{ task(id: "${taskId(TASKS)}") { id status } }`, tokens.r2);
    expect(deleted.data).toEqual({ task: { id: taskId(TASKS), status: 'PENDING' } });
  });

  it("lists a server's schedule newest first, within the caller's tenant", async () => {
    const r1Tasks = expected((i) => tenantOf(i) === 'r1');
    const body = await gql('{ server(id: "s2") { id schedule { id status } } }', tokens.operator);
    expect(body.errors).toBeUndefined();
    const schedule = (body.data!.server as { schedule: Array<{ id: string }> }).schedule;
    expect(schedule.map((t) => t.id)).toEqual(r1Tasks);
    const list = await gql('{ servers { edges { node { id schedule { id } } } } }', tokens.r2);
    expect(list.data).toEqual({
      servers: {
        edges: [{ node: { id: 's9', schedule: expected((i) => tenantOf(i) === 'r2').map((id) => ({ id })) } }],
      },
    });
  });

  it('refuses a bad cursor or page size and an anonymous caller', async () => {
    const cursor = await gql('{ tasks(after: "garbage!") { edges { cursor } } }', tokens.operator);
    expect(cursor.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    const size = await gql('{ tasks(first: 0) { edges { cursor } } }', tokens.operator);
    expect(size.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    const anonymous = await gql('{ tasks { edges { cursor } } }');
    expect(anonymous.errors![0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
  // Last: changes t-01 and t-02.
  it("pushes a task's progress after the projection committed it, to its own tenant only", async () => {
    const wsUrl = `${kit.baseUrl.replace('http', 'ws')}/graphql`;
    const r1 = await GraphQLWsClient.connect(wsUrl, { authorization: `Bearer ${tokens.r1}` });
    const r2 = await GraphQLWsClient.connect(wsUrl, { authorization: `Bearer ${tokens.r2}` });
    const anonymous = await GraphQLWsClient.connect(wsUrl, {});
    const query =
      'subscription($id: ID!) { taskProgress(taskId: $id) { id status progress { completed failed total } } }';
    try {
      for (const c of [r1, r2, anonymous]) await c.next((m) => m.type === 'connection_ack');
      r1.subscribe('a', query, { id: 't-01' });
      r2.subscribe('a', query, { id: 't-01' });
      r2.subscribe('b', query, { id: 't-02' });
      anonymous.subscribe('a', query, { id: 't-01' });
      const refused = await anonymous.next((m) => m.id === 'a');
      expect(refused.type).toBe('error');
      expect(JSON.stringify(refused.payload)).toContain('UNAUTHENTICATED');

      const halted = event('UpdateTaskHalted', {
        taskId: 't-01',
        failedServerIds: ['s1'],
        haltedServerIds: ['s2', 's3'],
      });
      const first = await waitFor('subscription registered', async () => {
        await kit.store.append(taskStreamId('t-01'), [{ ...halted, eventId: randomUUID() }]);
        return r1
          .next((m) => m.id === 'a', 1500)
          .then((m) => m)
          .catch(() => undefined);
      });
      expect(first.payload).toEqual({
        data: { taskProgress: { id: 't-01', status: 'PROCESSING', progress: { completed: 0, failed: 1, total: 3 } } },
      });
      await kit.store.append(taskStreamId('t-01'), [
        event('UpdateTaskFailed', {
          taskId: 't-01',
          completedServerIds: [],
          failedServerIds: ['s1'],
          notStartedServerIds: ['s2', 's3'],
        }),
      ]);
      await kit.store.append(taskStreamId('t-02'), [
        event('UpdateTaskCompleted', { taskId: 't-02', completedServerIds: ['s9'] }),
      ]);
      const failed = await r1.next((m) => m.id === 'a' && JSON.stringify(m.payload).includes('FAILED'));
      expect(failed.payload).toEqual({
        data: { taskProgress: { id: 't-01', status: 'FAILED', progress: { completed: 0, failed: 1, total: 3 } } },
      });
      // r1's task changed before r2's own: had it been delivered to r2, it would arrive first.
      const own = await r2.next((m) => m.id === 'a' || m.id === 'b');
      expect(own).toMatchObject({
        id: 'b',
        payload: { data: { taskProgress: { id: 't-02', status: 'COMPLETED' } } },
      });
    } finally {
      r1.close();
      r2.close();
      anonymous.close();
    }
  });
});
