import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createEventStore, type EventStore } from '@fleetwarden/eventstore';
import { INVENTORY_EVENTS } from '@fleetwarden/inventory-contracts';
import { JetStreamClientProxy, RemoteCommandError } from '@fleetwarden/messaging';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  TEST_NATS_URL,
  type TestSchema,
} from '@fleetwarden/testing';
import { InventoryRuntime } from './inventory-runtime';
import { startInventoryForTest } from './testing/inventory-test.harness';

const operator = { role: 'operator', actor: 'operator:alice' };
const reseller = (id: string) => ({ role: 'reseller', reseller: id, actor: `reseller:${id}-user` });

function registration(serverId: string, resellerId: string) {
  return {
    serverId,
    reseller: { id: resellerId, name: `Reseller ${resellerId}` },
    company: { id: `${resellerId}-co`, name: 'Company' },
    serverVersion: '9.0.0.200',
    stage: 'production',
    hostingProvider: 'operator',
  };
}

describe('inventory commands (NATS, PostgreSQL)', () => {
  let schema: TestSchema;
  let namespace: string;
  let app: NestFastifyApplication;
  let client: JetStreamClientProxy;
  let store: EventStore;

  const send = <R = unknown>(command: string, data: unknown, meta: Record<string, unknown> = operator) =>
    client.command<R>(`${namespace}.cmd.inventory.${command}`, data, { meta });

  /** The error code the command fails with. */
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

  beforeAll(async () => {
    schema = await createTestSchema('inv_cmd');
    namespace = createTestNamespace('invcmd');
    app = await startInventoryForTest({
      natsUrl: TEST_NATS_URL,
      databaseUrl: schema.connectionString,
      schema: schema.schema,
      namespace,
    });
    client = new JetStreamClientProxy({ connection: { url: TEST_NATS_URL, name: 'inventory-commands-test' } });
    store = await createEventStore({ databaseUrl: schema.connectionString, schema: schema.schema, poolSize: 2 });
  });

  afterAll(async () => {
    await app?.close();
    await client?.close();
    await store?.close();
    await deleteNamespaceStreams(namespace);
    await schema?.drop();
  });

  describe('servers', () => {
    it('are registered by operators only, once', async () => {
      await expect(send('RegisterServer', registration('s-a1', 'ra'))).resolves.toEqual({ serverId: 's-a1' });
      await send('RegisterServer', registration('s-a2', 'ra'));
      await send('RegisterServer', registration('s-b1', 'rb'));

      expect(await failure('RegisterServer', registration('s-a1', 'ra'))).toMatchObject({
        code: 'SERVER.ALREADY_REGISTERED',
      });
      for (const meta of [reseller('ra'), { role: 'auditor' }, { role: 'agent' }, {}]) {
        expect(await failure('RegisterServer', registration('s-x', 'ra'), meta)).toMatchObject({ code: 'FORBIDDEN' });
      }
      expect(await stream('server-s-x')).toEqual([]);

      const [registered] = await store.readStream('server-s-a1');
      expect(registered).toMatchObject({
        type: 'ServerRegistered',
        data: { serverId: 's-a1', registeredBy: 'operator', address: '', webAppsVersion: null },
        metadata: { reseller: 'ra', actor: 'operator:alice', context: 'inventory' },
      });
    });

    it('answers bad input with a validation error naming the field', async () => {
      const error = await failure('RegisterServer', { ...registration('s-bad', 'ra'), stage: 'alpha' });
      expect(error.code).toBe('VALIDATION');
      expect(error.message).toContain('stage');
      expect(await failure('SetServerStage', { serverId: 'has space', stage: 'beta' })).toMatchObject({
        code: 'VALIDATION',
        message: expect.stringContaining('serverId'),
      });
    });

    it("are another reseller's business: not found, never the data", async () => {
      const error = await failure('SetServerStage', { serverId: 's-b1', stage: 'beta' }, reseller('ra'));
      expect(error.code).toBe('SERVER.NOT_FOUND');
      expect(error.message).not.toContain('rb');
      expect(await failure('SetServerStage', { serverId: 's-none', stage: 'beta' }, reseller('ra'))).toMatchObject({
        code: 'SERVER.NOT_FOUND',
      });
      expect(await failure('DecommissionServer', { serverId: 's-b1' }, reseller('ra'))).toMatchObject({
        code: 'SERVER.NOT_FOUND',
      });
      expect(await failure('SetServerStage', { serverId: 's-a1', stage: 'beta' }, { role: 'auditor' })).toMatchObject({
        code: 'FORBIDDEN',
      });
      expect(await stream('server-s-b1')).toEqual(['ServerRegistered']);
    });

    it('change stage and are decommissioned by their own reseller', async () => {
      await expect(send('SetServerStage', { serverId: 's-a2', stage: 'beta' }, reseller('ra'))).resolves.toEqual({
        serverId: 's-a2',
        stage: 'beta',
      });
      await send('SetServerStage', { serverId: 's-a2', stage: 'beta' }, reseller('ra'));
      await expect(
        send('DecommissionServer', { serverId: 's-a2', reason: 'retired' }, reseller('ra')),
      ).resolves.toEqual({
        serverId: 's-a2',
      });
      expect(await failure('SetServerStage', { serverId: 's-a2', stage: 'patch' }, reseller('ra'))).toMatchObject({
        code: 'SERVER.DECOMMISSIONED',
      });
      const events = await store.readStream('server-s-a2');
      expect(events.map((e) => e.type)).toEqual(['ServerRegistered', 'ServerStageChanged', 'ServerDecommissioned']);
      expect(events[2].metadata).toMatchObject({ reseller: 'ra', actor: 'reseller:ra-user', context: 'inventory' });
    });
  });

  it('refuse configuration changes on the inactive member of a redundancy pair, until a switch makes it active', async () => {
    for (const serverId of ['s-p1', 's-p2']) await send('RegisterServer', registration(serverId, 'ra'));
    const redundancy = (type: string, data: Record<string, unknown>) =>
      store.append('pair-p1', [
        {
          eventId: crypto.randomUUID(),
          type,
          data,
          metadata: {
            correlationId: crypto.randomUUID(),
            causationId: null,
            actor: 'test',
            reseller: 'ra',
            occurredAt: new Date().toISOString(),
            context: 'redundancy',
          },
        },
      ]);
    await redundancy('PairConfigured', { pairId: 'p1', primaryServerId: 's-p1', secondaryServerId: 's-p2' });
    const roles = app.get(InventoryRuntime, { strict: false }).pairRoles;
    const refusedOn = async (serverId: string) => {
      // Wait until the inventory's view of the pair caught up, then try once.
      for (let i = 0; i < 200 && (await roles.inactiveMemberOf(serverId)) === null; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return (await failure('SetServerStage', { serverId, stage: 'beta' })).code;
    };
    expect(await refusedOn('s-p2')).toBe('SERVER.INACTIVE_PAIR_MEMBER');
    await expect(send('SetServerStage', { serverId: 's-p1', stage: 'beta' })).resolves.toEqual({
      serverId: 's-p1',
      stage: 'beta',
    });
    await redundancy('ControlSwitched', { pairId: 'p1', to: 'secondary', from: 'primary' });
    expect(await refusedOn('s-p1')).toBe('SERVER.INACTIVE_PAIR_MEMBER');
    expect(await stream('server-s-p2')).not.toContain('ServerStageChanged');
  });

  describe('groups', () => {
    it('of a reseller hold only its own live servers', async () => {
      await send('RegisterServer', registration('s-a3', 'ra'));
      await expect(
        send('CreateGroup', { groupId: 'g-a', name: 'Night', serverIds: ['s-a1'] }, reseller('ra')),
      ).resolves.toEqual({
        groupId: 'g-a',
      });
      const [created] = await store.readStream('group-g-a');
      expect(created).toMatchObject({
        data: { groupId: 'g-a', name: 'Night', reseller: 'ra', serverIds: ['s-a1'] },
        metadata: { reseller: 'ra', context: 'inventory' },
      });

      for (const serverIds of [['s-b1'], ['s-none'], ['s-a2']]) {
        expect(
          await failure('CreateGroup', { groupId: 'g-a-bad', name: 'x', serverIds }, reseller('ra')),
        ).toMatchObject({ code: 'SERVER.NOT_FOUND' });
        expect(await failure('AddServersToGroup', { groupId: 'g-a', serverIds }, reseller('ra'))).toMatchObject({
          code: 'SERVER.NOT_FOUND',
        });
      }
      expect(await failure('AddServersToGroup', { groupId: 'g-a', serverIds: ['s-b1'] })).toMatchObject({
        code: 'GROUP.FOREIGN_SERVER',
      });
      expect(await stream('group-g-a-bad')).toEqual([]);
    });

    it('add only new servers, remove only members, and are renamed and removed', async () => {
      await expect(
        send('AddServersToGroup', { groupId: 'g-a', serverIds: ['s-a1', 's-a3', 's-a3'] }, reseller('ra')),
      ).resolves.toEqual({ groupId: 'g-a', added: 1 });
      await expect(send('AddServersToGroup', { groupId: 'g-a', serverIds: ['s-a1'] }, reseller('ra'))).resolves.toEqual(
        {
          groupId: 'g-a',
          added: 0,
        },
      );
      await expect(
        send('RemoveServersFromGroup', { groupId: 'g-a', serverIds: ['s-a1', 's-a2'] }, reseller('ra')),
      ).resolves.toEqual({ groupId: 'g-a', removed: 1 });
      await send('RenameGroup', { groupId: 'g-a', name: 'Day' }, reseller('ra'));
      await send('RemoveGroup', { groupId: 'g-a' }, reseller('ra'));
      expect(await failure('RenameGroup', { groupId: 'g-a', name: 'Again' }, reseller('ra'))).toMatchObject({
        code: 'GROUP.NOT_FOUND',
      });
      expect(await stream('group-g-a')).toEqual([
        'GroupCreated',
        'ServersAddedToGroup',
        'ServersRemovedFromGroup',
        'GroupRenamed',
        'GroupRemoved',
      ]);
    });

    it('of another reseller are not found; operators see every group', async () => {
      await send('CreateGroup', { groupId: 'g-b', name: 'B', serverIds: ['s-b1'] }, reseller('rb'));
      for (const [command, data] of [
        ['RenameGroup', { groupId: 'g-b', name: 'Mine' }],
        ['AddServersToGroup', { groupId: 'g-b', serverIds: ['s-a1'] }],
        ['RemoveServersFromGroup', { groupId: 'g-b', serverIds: ['s-b1'] }],
        ['RemoveGroup', { groupId: 'g-b' }],
      ] as const) {
        expect(await failure(command, data, reseller('ra'))).toMatchObject({ code: 'GROUP.NOT_FOUND' });
      }
      expect(await failure('CreateGroup', { groupId: 'g-b', name: 'B', serverIds: [] })).toMatchObject({
        code: 'GROUP.ALREADY_EXISTS',
      });
      await send('CreateGroup', { groupId: 'g-ops', name: 'Everything', serverIds: ['s-a1', 's-b1'] });
      expect(await failure('RenameGroup', { groupId: 'g-ops', name: 'Mine' }, reseller('ra'))).toMatchObject({
        code: 'GROUP.NOT_FOUND',
      });
      await expect(send('RenameGroup', { groupId: 'g-b', name: 'Renamed by ops' })).resolves.toEqual({
        groupId: 'g-b',
      });
      expect(await stream('group-g-b')).toEqual(['GroupCreated', 'GroupRenamed']);
    });

    it('repeat nothing for a repeated idempotency key', async () => {
      const meta = { ...operator, idempotencyKey: 'add-once' };
      await send('CreateGroup', { groupId: 'g-idem', name: 'Idem', serverIds: [] });
      await send('AddServersToGroup', { groupId: 'g-idem', serverIds: ['s-a1'] }, meta);
      await send('AddServersToGroup', { groupId: 'g-idem', serverIds: ['s-a1'] }, meta);
      await send('RemoveGroup', { groupId: 'g-idem' }, { ...operator, idempotencyKey: 'rm-once' });
      await expect(
        send('RemoveGroup', { groupId: 'g-idem' }, { ...operator, idempotencyKey: 'rm-once' }),
      ).resolves.toEqual({ groupId: 'g-idem' });
      expect(await stream('group-g-idem')).toEqual(['GroupCreated', 'ServersAddedToGroup', 'GroupRemoved']);
    });
  });

  it('appends only events that match their published contract', async () => {
    const events = (await store.readAll({ limit: 10_000 })).events.filter((e) => e.metadata.context === 'inventory');
    expect(events.length).toBeGreaterThan(10);
    for (const e of events) {
      const contract = INVENTORY_EVENTS.find((c) => c.type === e.type);
      expect(contract).toBeDefined();
      expect(() => contract!.parse(e.data)).not.toThrow();
    }
  });
});
