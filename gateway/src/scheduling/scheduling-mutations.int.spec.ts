import { connect } from '@nats-io/transport-node';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { catalogStreamId, taskStreamId } from '@fleetwarden/scheduling-contracts';
import {
  TEST_NATS_URL,
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  type TestSchema,
} from '@fleetwarden/testing';
import {
  appendServer,
  event,
  serverRegistered,
  startGatewayTestKit,
  waitFor,
  type GatewayTestKit,
  type GraphQLBody,
  answerCommands,
  type CommandReplyBody,
  type ReceivedCommand,
} from '../testing/gateway-test-kit';

type Received = ReceivedCommand;

type Reply = CommandReplyBody;
type Behaviour = (r: Received) => Promise<Reply | undefined>;

const COMMAND_TIMEOUT_MS = 400;
const RESELLER_OF: Record<string, string> = { 'm-1': 'r1', 'm-2': 'r1', 'm-9': 'r2' };

/** What the scheduling service would append for an accepted ScheduleUpdateTask. */
function scheduled(taskId: string, r: Received, serverIds: string[], retryOf: string | null = null) {
  const data = r.data as Record<string, never>;
  return event(
    'UpdateTaskScheduled',
    {
      taskId,
      name: data.name ?? 'Retry',
      type: data.type ?? 'upgrade-image',
      versions: data.versions ?? [{ component: 'server-image', version: '10.0.0.1' }],
      includeClientApps: data.includeClientApps ?? false,
      targets: data.targets ?? { serverIds, groupIds: [] },
      servers: serverIds.map((serverId) => ({ serverId, reseller: RESELLER_OF[serverId] })),
      startAt: data.startAt ?? new Date().toISOString(),
      staggerSeconds: data.staggerSeconds ?? 180,
      window: data.window ?? null,
      maxConcurrency: data.maxConcurrency ?? null,
      failureThreshold: data.failureThreshold ?? null,
      tenant: r.meta.reseller,
      postedBy: r.meta.actor,
      postedAt: new Date().toISOString(),
      retryOf,
    },
    r.meta.reseller as string | null,
  );
}

const SCHEDULE = `mutation { scheduleUpdate(input: {
    name: "Night upgrade", type: UPGRADE_IMAGE, targets: { serverIds: ["m-1", "m-2"] },
    versions: [{ component: SERVER_IMAGE, version: "10.0.0.1" }] }) {
  id name type status postedBy targetSummary versions { component version } progress { completed failed total }
  servers { server { id } status } } }`;

describe('scheduling mutations (fake scheduling service on NATS)', () => {
  let kit: GatewayTestKit;
  let schema: TestSchema;
  const namespace = createTestNamespace('gwschm');
  let nc: NatsConnection;
  let sub: Subscription | undefined;
  const received: Received[] = [];
  let behaviour: Behaviour = async () => ({ ok: false, error: { code: 'INTERNAL', message: 'no behaviour' } });
  const tokens: Record<string, string> = {};

  const mutate = async (query: string, token: string, headers?: Record<string, string>): Promise<GraphQLBody> =>
    (await kit.graphql(query, { token, headers })).body;

  function startFakeService(): void {
    sub = answerCommands(nc, `${kit.config.namespace}.cmd.scheduling.*`, received, (r) => behaviour(r));
  }

  /** Accepts ScheduleUpdateTask, CancelTask, DeleteTask and RetryFailedServers like the service would. */
  const taskService: Behaviour = async (r) => {
    const taskId = r.data.taskId as string;
    if (r.command === 'ScheduleUpdateTask') {
      const ids = (r.data.targets as { serverIds: string[] }).serverIds;
      await kit.store.append(taskStreamId(taskId), [scheduled(taskId, r, ids)]);
      return { ok: true, data: { taskId, serverCount: ids.length, startAt: new Date().toISOString() } };
    }
    if (r.command === 'CancelTask') {
      await kit.store.append(taskStreamId(taskId), [
        event('UpdateTaskCancelled', { taskId, cancelledServerIds: ['m-2'] }),
      ]);
      return { ok: true, data: { taskId, cancelledServerIds: ['m-2'] } };
    }
    if (r.command === 'DeleteTask') {
      await kit.store.append(taskStreamId(taskId), [event('UpdateTaskDeleted', { taskId })]);
      return { ok: true, data: { taskId } };
    }
    if (r.command === 'RetryFailedServers') {
      const newTaskId = r.data.newTaskId as string;
      await kit.store.append(taskStreamId(newTaskId), [scheduled(newTaskId, r, ['m-1'], taskId)]);
      return { ok: true, data: { taskId: newTaskId, serverCount: 1, startAt: new Date().toISOString() } };
    }
    return { ok: false, error: { code: 'INTERNAL', message: `unexpected ${r.command}` } };
  };

  beforeAll(async () => {
    schema = await createTestSchema('gwschm');
    kit = await startGatewayTestKit(
      { natsUrl: TEST_NATS_URL, databaseUrl: schema.connectionString, schema: schema.schema, namespace },
      { commandTimeoutMs: COMMAND_TIMEOUT_MS, readModelWaitMs: 5000 },
    );
    nc = await connect({ servers: TEST_NATS_URL, name: 'fake-scheduling' });
    tokens.operator = await kit.token({ sub: 'alice', role: 'operator' });
    tokens.auditor = await kit.token({ sub: 'audrey', role: 'auditor' });
    tokens.r1 = await kit.token({ sub: 'bob', role: 'reseller', reseller: 'r1' });
    tokens.r2 = await kit.token({ sub: 'carol', role: 'reseller', reseller: 'r2' });
    for (const [id, reseller] of Object.entries(RESELLER_OF)) {
      await appendServer(kit.store, id, [serverRegistered(id, reseller, `${reseller}-c`)]);
    }
    await waitFor('servers projected', async () => {
      const body = await mutate('{ servers { edges { node { id } } } }', tokens.operator);
      return (body.data?.servers as { edges: unknown[] } | undefined)?.edges.length === 3 ? true : undefined;
    });
  }, 30_000);

  afterAll(async () => {
    await sub?.drain();
    await nc?.close();
    await kit?.close();
    await deleteNamespaceStreams(namespace).catch(() => undefined);
    await schema?.drop();
  });

  beforeEach(() => {
    received.length = 0;
  });

  it('says when no scheduling service is running', async () => {
    const body = await mutate('mutation { cancelTask(id: "t-x") { id } }', tokens.operator);
    expect(body.errors![0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(body.errors![0].message).toMatch(/No scheduling service is running/);
    startFakeService();
    await nc.flush();
  });

  it('publishes and withdraws a version with the caller in the metadata, returning it from the read model', async () => {
    behaviour = async (r) => {
      const d = r.data as { component: 'server-image'; version: string };
      await kit.store.append(catalogStreamId(d.component), [
        r.command === 'PublishVersion'
          ? event('VersionPublished', { ...r.data })
          : event('VersionWithdrawn', { ...r.data }),
      ]);
      return { ok: true, data: { component: d.component, version: d.version } };
    };
    const body = await mutate(
      `mutation { publishVersion(idempotencyKey: "pub-1", input: {
         component: SERVER_IMAGE, version: "10.0.0.1", stage: BETA, schemaVersion: "6.10", notes: "new" }) {
         component version stage schemaVersion notes withdrawn } }`,
      tokens.operator,
      { 'x-correlation-id': 'corr-7' },
    );
    expect(body).toEqual({
      data: {
        publishVersion: {
          component: 'SERVER_IMAGE',
          version: '10.0.0.1',
          stage: 'BETA',
          schemaVersion: '6.10',
          notes: 'new',
          withdrawn: false,
        },
      },
    });
    expect(received).toEqual([
      {
        command: 'PublishVersion',
        data: { component: 'server-image', version: '10.0.0.1', stage: 'beta', schemaVersion: '6.10', notes: 'new' },
        meta: {
          actor: 'operator:alice',
          role: 'operator',
          reseller: null,
          correlationId: 'corr-7',
          idempotencyKey: 'pub-1',
        },
      },
    ]);
    const withdrawn = await mutate(
      'mutation { withdrawVersion(component: SERVER_IMAGE, version: "10.0.0.1") { version withdrawn } }',
      tokens.operator,
    );
    expect(withdrawn).toEqual({ data: { withdrawVersion: { version: '10.0.0.1', withdrawn: true } } });
    expect(received[1]).toMatchObject({
      command: 'WithdrawVersion',
      data: { component: 'server-image', version: '10.0.0.1', reason: null },
    });
  });

  it('refuses catalog changes to resellers and every mutation to auditors, sending nothing', async () => {
    const publish = await mutate(
      `mutation { publishVersion(input: { component: WEB_APPS, version: "1.0", stage: BETA, schemaVersion: "6.10" }) {
         version } }`,
      tokens.r1,
    );
    expect(publish.errors![0].extensions).toEqual({ code: 'FORBIDDEN' });
    const withdraw = await mutate(
      'mutation { withdrawVersion(component: WEB_APPS, version: "1.0") { version } }',
      tokens.r1,
    );
    expect(withdraw.errors![0].extensions).toEqual({ code: 'FORBIDDEN' });
    const schedule = await mutate(SCHEDULE, tokens.auditor);
    expect(schedule.errors![0].extensions).toEqual({ code: 'FORBIDDEN' });
    const cancel = await mutate('mutation { cancelTask(id: "t-1") { id } }', tokens.auditor);
    expect(cancel.errors![0].extensions).toEqual({ code: 'FORBIDDEN' });
    expect(received).toEqual([]);
  });

  it('schedules, cancels, retries and deletes a task for a reseller; other tenants get NOT_FOUND', async () => {
    behaviour = taskService;
    const body = await mutate(SCHEDULE, tokens.r1);
    expect(body.errors).toBeUndefined();
    const task = body.data!.scheduleUpdate as { id: string };
    expect(task).toEqual({
      id: expect.stringMatching(/^task-/),
      name: 'Night upgrade',
      type: 'UPGRADE_IMAGE',
      status: 'PENDING',
      postedBy: 'reseller:bob',
      targetSummary: '2 servers (2 servers)',
      versions: [{ component: 'SERVER_IMAGE', version: '10.0.0.1' }],
      progress: { completed: 0, failed: 0, total: 2 },
      servers: [
        { server: { id: 'm-1' }, status: 'PENDING' },
        { server: { id: 'm-2' }, status: 'PENDING' },
      ],
    });
    expect(received[0]).toMatchObject({
      command: 'ScheduleUpdateTask',
      data: {
        taskId: task.id,
        name: 'Night upgrade',
        type: 'upgrade-image',
        versions: [{ component: 'server-image', version: '10.0.0.1' }],
        includeClientApps: false,
        targets: { serverIds: ['m-1', 'm-2'], groupIds: [] },
        startAt: null,
        staggerSeconds: 180,
        window: null,
        maxConcurrency: null,
        failureThreshold: null,
      },
      meta: { actor: 'reseller:bob', role: 'reseller', reseller: 'r1' },
    });

    for (const q of [
      `mutation { cancelTask(id: "${task.id}") { id } }`,
      `mutation { deleteTask(id: "${task.id}") }`,
      `mutation { retryFailedServers(id: "${task.id}") { id } }`,
    ]) {
      const other = await mutate(q, tokens.r2);
      expect(other.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', argument: 'id' });
    }
    expect(received).toHaveLength(1);

    const cancelled = await mutate(
      `mutation { cancelTask(id: "${task.id}") { id status servers { server { id } status } } }`,
      tokens.r1,
    );
    expect(cancelled.data).toEqual({
      cancelTask: {
        id: task.id,
        status: 'CANCELLED',
        servers: [
          { server: { id: 'm-1' }, status: 'PENDING' },
          { server: { id: 'm-2' }, status: 'CANCELLED' },
        ],
      },
    });

    const retried = await mutate(
      `mutation { retryFailedServers(id: "${task.id}") { id status progress { total } } }`,
      tokens.r1,
    );
    expect(retried.errors).toBeUndefined();
    const retry = retried.data!.retryFailedServers as { id: string };
    expect(retry).toEqual({ id: expect.stringMatching(/^task-/), status: 'PENDING', progress: { total: 1 } });
    expect(retry.id).not.toBe(task.id);
    expect(received.at(-1)).toMatchObject({
      command: 'RetryFailedServers',
      data: { taskId: task.id, newTaskId: retry.id, startAt: null },
    });

    const deleted = await mutate(`mutation { deleteTask(id: "${task.id}") }`, tokens.r1);
    expect(deleted).toEqual({ data: { deleteTask: task.id } });
    const list = await mutate('{ tasks { edges { node { id } } } }', tokens.r1);
    expect(list.data).toEqual({ tasks: { edges: [{ node: { id: retry.id } }] } });
    const none = await mutate('{ tasks { edges { node { id } } } }', tokens.r2);
    expect(none.data).toEqual({ tasks: { edges: [] } });
  });

  it('derives the task id from the idempotency key, so that a retry names the same task', async () => {
    behaviour = async () => ({ ok: false, error: { code: 'TASK.ALREADY_EXISTS', message: 'exists' } });
    const q = SCHEDULE.replace('scheduleUpdate(', 'scheduleUpdate(idempotencyKey: "k-1", ');
    await mutate(q, tokens.operator);
    await mutate(q, tokens.operator);
    expect(received).toHaveLength(2);
    expect(received[0].data.taskId).toBe(received[1].data.taskId);
  });

  it('validates input before sending, naming the argument', async () => {
    const body = await mutate(SCHEDULE.replace('version: "10.0.0.1"', 'version: "ten"'), tokens.operator);
    expect(body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.versions.0.version' });
    expect(received).toEqual([]);
  });

  it.each([
    ['VERSION.NOT_FOUND', { code: 'NOT_FOUND', reason: 'VERSION.NOT_FOUND' }],
    ['TASK.INVALID_START_AT', { code: 'BAD_USER_INPUT', argument: 'input.startAt' }],
    ['TASK.INVALID_STAGGER_SECONDS', { code: 'BAD_USER_INPUT', argument: 'input.staggerSeconds' }],
    ['TASK.SCHEMA_DOWNGRADE', { code: 'BAD_USER_INPUT', argument: 'input.versions', reason: 'TASK.SCHEMA_DOWNGRADE' }],
    ['TASK.NAME_REQUIRED', { code: 'BAD_USER_INPUT', argument: 'input.name' }],
    ['TASK.START_IN_PAST', { code: 'BAD_USER_INPUT', argument: 'input.startAt' }],
    ['TASK.NEGATIVE_STAGGER', { code: 'BAD_USER_INPUT', argument: 'input.staggerSeconds' }],
    ['TASK.NO_TARGETS', { code: 'BAD_USER_INPUT', argument: 'input.targets' }],
    ['TASK.ALREADY_EXISTS', { code: 'CONFLICT', reason: 'TASK.ALREADY_EXISTS' }],
    ['TASK.TARGETS_FORBIDDEN', { code: 'FORBIDDEN' }],
    ['INTERNAL', { code: 'INTERNAL_SERVER_ERROR' }],
  ])('maps a %s reply of scheduleUpdate to a GraphQL error', async (code, extensions) => {
    behaviour = async () => ({ ok: false, error: { code, message: `remote says ${code}` } });
    const body = await mutate(SCHEDULE, tokens.operator);
    expect(body.data).toBeNull();
    expect(body.errors![0].extensions).toMatchObject({ ...extensions, correlationId: expect.any(String) });
    if (code !== 'INTERNAL') expect(body.errors![0].message).toContain(`remote says ${code}`);
  });

  it('maps TASK.NOT_CANCELLABLE to CONFLICT and says when the service does not answer in time', async () => {
    behaviour = async () => ({ ok: false, error: { code: 'TASK.NOT_CANCELLABLE', message: 'finished' } });
    const conflict = await mutate('mutation { cancelTask(id: "t-1") { id } }', tokens.operator);
    expect(conflict.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'TASK.NOT_CANCELLABLE' });
    behaviour = async () => undefined;
    const body = await mutate('mutation { deleteTask(id: "t-1", idempotencyKey: "del-1") }', tokens.operator);
    expect(body.errors![0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', idempotencyKey: 'del-1' });
    expect(body.errors![0].message).toContain(`did not answer DeleteTask within ${COMMAND_TIMEOUT_MS} ms`);
  });
});
