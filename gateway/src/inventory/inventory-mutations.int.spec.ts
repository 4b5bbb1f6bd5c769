import { connect } from '@nats-io/transport-node';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { groupStreamId, serverStreamId } from '@fleetwarden/inventory-contracts';
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
/** What the fake service does with a command: append events, then reply (undefined: no reply at all). */
type Behaviour = (r: Received) => Promise<Reply | undefined>;

const COMMAND_TIMEOUT_MS = 400;

describe('inventory mutations (fake inventory service on NATS)', () => {
  let kit: GatewayTestKit;
  let schema: TestSchema;
  const namespace = createTestNamespace('gwmut');
  let nc: NatsConnection;
  let sub: Subscription | undefined;
  const received: Received[] = [];
  let behaviour: Behaviour = async () => ({ ok: false, error: { code: 'INTERNAL', message: 'no behaviour' } });
  const tokens: Record<string, string> = {};

  const mutate = async (query: string, token: string, headers?: Record<string, string>): Promise<GraphQLBody> =>
    (await kit.graphql(query, { token, headers })).body;

  function startFakeService(): void {
    sub = answerCommands(nc, `${kit.config.namespace}.cmd.inventory.*`, received, (r) => behaviour(r));
  }

  beforeAll(async () => {
    schema = await createTestSchema('gwmut');
    kit = await startGatewayTestKit(
      { natsUrl: TEST_NATS_URL, databaseUrl: schema.connectionString, schema: schema.schema, namespace },
      { commandTimeoutMs: COMMAND_TIMEOUT_MS, readModelWaitMs: 5000 },
    );
    nc = await connect({ servers: TEST_NATS_URL, name: 'fake-inventory' });
    tokens.operator = await kit.token({ sub: 'alice', role: 'operator' });
    tokens.auditor = await kit.token({ sub: 'audrey', role: 'auditor' });
    tokens.r1 = await kit.token({ sub: 'bob', role: 'reseller', reseller: 'r1' });
    await appendServer(kit.store, 'm-1', [serverRegistered('m-1', 'r1', 'c1')]);
    await appendServer(kit.store, 'm-2', [serverRegistered('m-2', 'r1', 'c1')]);
    await appendServer(kit.store, 'm-9', [serverRegistered('m-9', 'r2', 'c9')]);
    await waitFor('servers projected', async () => {
      const body = await mutate('{ servers { totalCount } }', tokens.operator);
      return (body.data?.servers as { totalCount: number } | undefined)?.totalCount === 3 ? true : undefined;
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

  it('says when no inventory service is running', async () => {
    const body = await mutate('mutation { setServerStage(id: "m-1", stage: BETA) { id } }', tokens.operator);
    expect(body.errors![0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(body.errors![0].message).toMatch(/No inventory service is running/);
    startFakeService();
    await nc.flush();
  });

  it('registers a server with the caller in the metadata and returns it from the read model', async () => {
    behaviour = async (r) => {
      await appendServer(kit.store, r.data.serverId as string, [
        serverRegistered(r.data.serverId as string, 'r2', 'c9', { registeredBy: 'operator', stage: r.data.stage }),
      ]);
      return { ok: true, data: { serverId: r.data.serverId } };
    };
    const body = await mutate(
      `mutation { registerServer(idempotencyKey: "reg-m-3", input: {
         id: "m-3", reseller: { id: "r2", name: "Reseller r2" }, company: { id: "c9", name: "Company c9" },
         serverVersion: "9.0.0.200", stage: PATCH, hostingProvider: PARTNER }) { id stage reseller { id } connected } }`,
      tokens.operator,
      { 'x-correlation-id': 'corr-42' },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({
      registerServer: { id: 'm-3', stage: 'PATCH', reseller: { id: 'r2' }, connected: false },
    });
    expect(received).toEqual([
      {
        command: 'RegisterServer',
        data: {
          serverId: 'm-3',
          reseller: { id: 'r2', name: 'Reseller r2' },
          company: { id: 'c9', name: 'Company c9' },
          address: '',
          serverVersion: '9.0.0.200',
          webAppsVersion: null,
          stage: 'patch',
          hostingProvider: 'partner',
        },
        meta: {
          actor: 'operator:alice',
          role: 'operator',
          reseller: null,
          correlationId: 'corr-42',
          idempotencyKey: 'reg-m-3',
        },
      },
    ]);
  });

  it('refuses mutations to auditors and server registration to resellers, sending nothing', async () => {
    const audit = await mutate('mutation { setServerStage(id: "m-1", stage: BETA) { id } }', tokens.auditor);
    expect(audit.errors![0].extensions).toEqual({ code: 'FORBIDDEN' });
    const register = await mutate(
      `mutation { registerServer(input: { id: "x", reseller: { id: "r1", name: "R" }, company: { id: "c", name: "C" },
         serverVersion: "9.0", stage: BETA, hostingProvider: OPERATOR }) { id } }`,
      tokens.r1,
    );
    expect(register.errors![0].extensions).toEqual({ code: 'FORBIDDEN' });
    expect(received).toEqual([]);
  });

  it("answers a reseller acting on another tenant's server or group with NOT_FOUND, sending nothing", async () => {
    const stage = await mutate('mutation { setServerStage(id: "m-9", stage: BETA) { id } }', tokens.r1);
    expect(stage.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', argument: 'id' });
    const group = await mutate(
      'mutation { createGroup(input: { name: "mine", serverIds: ["m-1", "m-9"] }) { id } }',
      tokens.r1,
    );
    expect(group.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', argument: 'input.serverIds', ids: ['m-9'] });
    expect(received).toEqual([]);
  });

  it('validates input before sending, naming the argument', async () => {
    const body = await mutate(
      `mutation { registerServer(input: { id: "bad id", reseller: { id: "r1", name: "R" }, company: { id: "c", name: "C" },
         serverVersion: "9.0", stage: BETA, hostingProvider: OPERATOR }) { id } }`,
      tokens.operator,
    );
    expect(body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.id' });
    const version = await mutate(
      `mutation { registerServer(input: { id: "ok", reseller: { id: "r1", name: "R" }, company: { id: "c", name: "C" },
         serverVersion: "nine", stage: BETA, hostingProvider: OPERATOR }) { id } }`,
      tokens.operator,
    );
    expect(version.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.serverVersion' });
    expect(received).toEqual([]);
  });

  it('lets a reseller create a group of its own servers (id chosen by the gateway) and rename it', async () => {
    behaviour = async (r) => {
      const groupId = r.data.groupId as string;
      if (r.command === 'CreateGroup') {
        await kit.store.append(groupStreamId(groupId), [
          event('GroupCreated', { groupId, name: r.data.name, reseller: r.meta.reseller, serverIds: r.data.serverIds }),
        ]);
      } else {
        await kit.store.append(groupStreamId(groupId), [
          event('GroupRenamed', { groupId, name: r.data.name, previousName: 'pilot' }),
        ]);
      }
      return { ok: true, data: { groupId } };
    };
    const created = await mutate(
      'mutation { createGroup(input: { name: "pilot", serverIds: ["m-1", "m-2"] }) { id name reseller { id } serverCount } }',
      tokens.r1,
    );
    expect(created.errors).toBeUndefined();
    const group = created.data!.createGroup as { id: string };
    expect(group).toEqual({
      id: expect.stringMatching(/^grp-/),
      name: 'pilot',
      reseller: { id: 'r1' },
      serverCount: 2,
    });
    expect(received[0]).toMatchObject({
      command: 'CreateGroup',
      data: { groupId: group.id, name: 'pilot', serverIds: ['m-1', 'm-2'] },
      meta: { actor: 'reseller:bob', role: 'reseller', reseller: 'r1', idempotencyKey: expect.any(String) },
    });
    expect(received[0].meta.correlationId).toEqual(expect.any(String));

    const renamed = await mutate(`mutation { renameGroup(id: "${group.id}", name: "pilot 2") { id name } }`, tokens.r1);
    expect(renamed.data).toEqual({ renameGroup: { id: group.id, name: 'pilot 2' } });
  });

  it('derives the group id from the idempotency key, so that a retry names the same group', async () => {
    behaviour = async (r) => ({
      ok: false,
      error: { code: 'GROUP.ALREADY_EXISTS', message: `${r.data.groupId} exists` },
    });
    const q = 'mutation { createGroup(idempotencyKey: "k-1", input: { name: "again", serverIds: [] }) { id } }';
    await mutate(q, tokens.operator);
    await mutate(q, tokens.operator);
    expect(received).toHaveLength(2);
    expect(received[0].data.groupId).toBe(received[1].data.groupId);
  });

  it.each([
    ['SERVER.NOT_FOUND', undefined, { code: 'NOT_FOUND', reason: 'SERVER.NOT_FOUND' }],
    [
      'VALIDATION',
      { what: 'SetServerStage request', issues: [{ path: 'data.serverId', message: 'bad', code: 'custom' }] },
      { code: 'BAD_USER_INPUT', argument: 'id' },
    ],
    ['SERVER.DECOMMISSIONED', undefined, { code: 'CONFLICT', reason: 'SERVER.DECOMMISSIONED' }],
    ['SERVER.INVALID_STAGE', undefined, { code: 'BAD_USER_INPUT', argument: 'stage' }],
    ['SERVER.FORBIDDEN', undefined, { code: 'FORBIDDEN' }],
    ['INTERNAL', undefined, { code: 'INTERNAL_SERVER_ERROR' }],
  ])('maps a %s reply to a GraphQL error', async (code, details, extensions) => {
    behaviour = async () => ({ ok: false, error: { code, message: `remote says ${code}`, details } });
    const body = await mutate('mutation { setServerStage(id: "m-1", stage: BETA) { id } }', tokens.operator);
    expect(body.data).toBeNull();
    expect(body.errors![0].extensions).toMatchObject({ ...extensions, correlationId: expect.any(String) });
    if (code !== 'INTERNAL') expect(body.errors![0].message).toContain(`remote says ${code}`);
  });

  it('maps a GROUP.NOT_FOUND reply of an operator mutation to NOT_FOUND', async () => {
    behaviour = async () => ({ ok: false, error: { code: 'GROUP.NOT_FOUND', message: 'no group g-x' } });
    const body = await mutate('mutation { removeGroup(id: "g-x") }', tokens.operator);
    expect(body.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'GROUP.NOT_FOUND' });
  });

  it('says clearly when the service does not answer in time', async () => {
    behaviour = async () => undefined;
    const body = await mutate(
      'mutation { decommissionServer(id: "m-2", reason: "old", idempotencyKey: "dec-1") { id } }',
      tokens.operator,
    );
    expect(body.errors![0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', idempotencyKey: 'dec-1' });
    expect(body.errors![0].message).toContain(`did not answer DecommissionServer within ${COMMAND_TIMEOUT_MS} ms`);
    expect(received.map((r) => r.command)).toEqual(['DecommissionServer']);
  });

  it('decommissions a server: an operator gets it back flagged, and it leaves the list', async () => {
    behaviour = async (r) => {
      await kit.store.append(serverStreamId(r.data.serverId as string), [
        event('ServerDecommissioned', { serverId: r.data.serverId, reason: r.data.reason }),
      ]);
      return { ok: true, data: { serverId: r.data.serverId } };
    };
    const body = await mutate(
      'mutation { decommissionServer(id: "m-2", reason: "retired") { id decommissioned } }',
      tokens.operator,
    );
    expect(body).toEqual({ data: { decommissionServer: { id: 'm-2', decommissioned: true } } });
    const list = await mutate('{ servers { edges { node { id } } } }', tokens.r1);
    expect(list.data).toEqual({ servers: { edges: [{ node: { id: 'm-1' } }] } });
  });
});
