import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { createEventStore, type EventStore } from '@fleetwarden/eventstore';
import type { AgentHelloMessage } from '@fleetwarden/inventory-contracts';
import { JetStreamClientProxy } from '@fleetwarden/messaging';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  TEST_NATS_URL,
  type TestSchema,
} from '@fleetwarden/testing';
import { CapturingLogger, inventoryRuntime, startInventoryForTest, waitFor } from '../testing/inventory-test.harness';

function hello(serverId: string, overrides: Partial<AgentHelloMessage> = {}): AgentHelloMessage {
  return {
    serverId,
    agentVersion: '1.0.0',
    heartbeatIntervalSec: 10,
    sentAt: new Date().toISOString(),
    identity: {
      reseller: { id: 'r1', name: 'Reseller 1' },
      company: { id: 'c1', name: 'Company 1' },
      address: '1 Main St',
      stage: 'production',
      hostingProvider: 'operator',
    },
    versions: { serverVersion: '9.0.0.200', webAppsVersion: null },
    config: { fqdn: `${serverId}.example.net`, hostName: serverId, publicIp: '203.0.113.7', privateIp: '10.0.0.7' },
    files: [{ name: 'core.dll', version: '9.0.0.200', size: 100, lastModified: '2025-01-01T00:00:00Z' }],
    ...overrides,
  };
}

describe('agent intake (NATS, PostgreSQL)', () => {
  let schema: TestSchema;
  let namespace: string;
  let app: NestFastifyApplication;
  let nc: NatsConnection;
  let store: EventStore;
  let client: JetStreamClientProxy;
  const logger = new CapturingLogger();

  const publish = (serverId: string, kind: string, payload: unknown) =>
    nc.publish(
      `${namespace}.agent.${serverId}.${kind}`,
      typeof payload === 'string' ? payload : JSON.stringify(payload),
    );
  const types = async (serverId: string) => (await store.readStream(`server-${serverId}`)).map((e) => e.type);
  const rejected = (code: string) => inventoryRuntime(app).intake.stats.rejected[code] ?? 0;

  beforeAll(async () => {
    schema = await createTestSchema('inv_agent');
    namespace = createTestNamespace('invagent');
    app = await startInventoryForTest(
      { natsUrl: TEST_NATS_URL, databaseUrl: schema.connectionString, schema: schema.schema, namespace },
      {},
      logger,
    );
    nc = await connect({ servers: TEST_NATS_URL, name: 'agent-intake-test' });
    store = await createEventStore({ databaseUrl: schema.connectionString, schema: schema.schema, poolSize: 2 });
    client = new JetStreamClientProxy({ connection: nc });
  });

  afterAll(async () => {
    await app?.close();
    await nc?.close();
    await store?.close();
    await deleteNamespaceStreams(namespace);
    await schema?.drop();
  });

  it('registers a server on its first hello', async () => {
    publish('agent-1', 'hello', hello('agent-1'));
    const events = await waitFor('registration', async () => {
      const stream = await store.readStream('server-agent-1');
      return stream.length === 4 ? stream : undefined;
    });
    expect(events.map((e) => e.type)).toEqual([
      'ServerRegistered',
      'ServerConfigReported',
      'ServerFilesReported',
      'ServerConnected',
    ]);
    expect(events[0]).toMatchObject({
      data: { serverId: 'agent-1', registeredBy: 'agent', reseller: { id: 'r1' } },
      metadata: { reseller: 'r1', actor: 'agent:agent-1', context: 'inventory' },
    });
    expect(events[3].data).toMatchObject({ heartbeatIntervalSec: 10 });
  });

  it('records only the files when a later hello changes only them', async () => {
    const files = [{ name: 'core.dll', version: '9.0.0.201', size: 120, lastModified: '2025-02-01T00:00:00Z' }];
    publish('agent-1', 'hello', hello('agent-1', { files }));
    await waitFor('files reported', async () => ((await types('agent-1')).length === 5 ? true : undefined));
    const last = (await store.readStream('server-agent-1')).at(-1)!;
    expect(last).toMatchObject({ type: 'ServerFilesReported', data: { serverId: 'agent-1', files } });
  });

  it('records what a report changes', async () => {
    const config = { fqdn: 'agent-1.example.net', hostName: 'agent-1', publicIp: '203.0.113.8', privateIp: null };
    publish('agent-1', 'report', { serverId: 'agent-1', sentAt: new Date().toISOString(), config });
    await waitFor('config reported', async () => ((await types('agent-1')).length === 6 ? true : undefined));
    expect((await store.readStream('server-agent-1')).at(-1)).toMatchObject({
      type: 'ServerConfigReported',
      data: { config },
    });
  });

  it('rejects bad messages with a logged reason, changes nothing and keeps serving', async () => {
    const before = await types('agent-1');
    publish('agent-1', 'hello', '{"serverId": "agent-1",');
    publish('agent-1', 'hello', { ...hello('agent-1'), heartbeatIntervalSec: 'often' });
    publish('agent-1', 'hello', hello('agent-2'));
    publish('agent-1', 'report', { serverId: 'agent-1', sentAt: 'yesterday' });
    publish('agent-1', 'bogus', { serverId: 'agent-1' });
    publish('agent-9', 'report', { serverId: 'agent-9', sentAt: new Date().toISOString() });

    await waitFor('every rejection counted', () =>
      rejected('AGENT.INVALID_JSON') >= 1 &&
      rejected('AGENT.INVALID_MESSAGE') >= 2 &&
      rejected('AGENT.SERVER_ID_MISMATCH') >= 1 &&
      rejected('AGENT.UNKNOWN_KIND') >= 1 &&
      rejected('SERVER.NOT_FOUND') >= 1
        ? true
        : undefined,
    );
    const log = logger.lines.join('\n');
    expect(log).toContain(`${namespace}.agent.agent-1.hello rejected (AGENT.INVALID_JSON)`);
    expect(log).toContain('heartbeatIntervalSec');
    expect(log).toContain('serverId "agent-2" does not match the subject\'s server "agent-1"');
    expect(log).toContain('unknown message kind "bogus"');
    expect(log).toContain('(SERVER.NOT_FOUND)');

    expect(await types('agent-1')).toEqual(before);
    expect(await types('agent-2')).toEqual([]);
    expect(await types('agent-9')).toEqual([]);
    await expect(client.command(`${namespace}.cmd.inventory.Ping`, {})).resolves.toMatchObject({
      service: 'inventory',
    });
    publish('agent-3', 'hello', hello('agent-3'));
    await waitFor('next hello still served', async () => ((await types('agent-3')).length === 4 ? true : undefined));
  });

  it('refuses messages from a decommissioned server', async () => {
    await client.command(
      `${namespace}.cmd.inventory.DecommissionServer`,
      { serverId: 'agent-3' },
      { meta: { role: 'operator' } },
    );
    const reply = await nc.request(`${namespace}.agent.agent-3.hello`, JSON.stringify(hello('agent-3')), {
      timeout: 5000,
    });
    expect(reply.json()).toMatchObject({ ok: false, error: { code: 'SERVER.DECOMMISSIONED' } });
    expect((await types('agent-3')).at(-1)).toBe('ServerDecommissioned');
  });
});
