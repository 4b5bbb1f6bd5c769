import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Subjects } from '@fleetwarden/contracts';
import { createEventStore, type EventStore } from '@fleetwarden/eventstore';
import { JetStreamClientProxy, RemoteCommandError } from '@fleetwarden/messaging';
import { AgentControl, pairStreamId, type AgentKeepAliveMessage } from '@fleetwarden/redundancy-contracts';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  TEST_NATS_URL,
  type TestSchema,
  serverRegisteredData,
} from '@fleetwarden/testing';
import { appendForeignEvent, startRedundancyForTest } from './testing/redundancy-test.harness';

const operator = { role: 'operator', actor: 'operator:alice' };
const INTERVAL_SEC = 0.1;
const THRESHOLD_SEC = 0.5;

/** Keep-alive services of pair members at the NATS boundary, answering control requests. */
class Members {
  readonly state = new Map<string, Omit<AgentKeepAliveMessage, 'serverId' | 'sentAt'> & { sending: boolean }>();
  readonly controls: Array<{ serverId: string; type: string }> = [];
  private timer: NodeJS.Timeout | null = null;
  private sub: Subscription | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
  ) {}

  add(serverId: string, inControl: boolean): void {
    this.state.set(serverId, {
      sending: true,
      inControl,
      switchingService: 'up',
      ipPhoneService: 'up',
      keepAliveService: 'up',
      replicationStatus: inControl ? 'monitoring' : 'updated',
      peerReachable: true,
    });
  }

  start(): void {
    this.sub = this.nc.subscribe(`${this.subjects.namespace}.agent.*.control`, {
      callback: (_err, msg) => {
        const serverId = msg.subject.split('.')[2];
        const member = this.state.get(serverId);
        if (!member?.sending) return;
        const body = AgentControl.parse(msg.json());
        this.controls.push({ serverId, type: body.type });
        member.inControl = body.type === 'assume-control';
        msg.respond(JSON.stringify({ ok: true }));
      },
    });
    this.timer = setInterval(() => {
      for (const [serverId, s] of this.state) {
        if (!s.sending) continue;
        const { sending: _sending, ...report } = s;
        this.nc.publish(
          this.subjects.agent(serverId, 'keepalive'),
          JSON.stringify({ serverId, sentAt: new Date().toISOString(), ...report }),
        );
      }
    }, INTERVAL_SEC * 1000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sub?.unsubscribe();
  }
}

describe('redundancy service (NATS, PostgreSQL)', () => {
  let schema: TestSchema;
  let namespace: string;
  let subjects: Subjects;
  let store: EventStore;
  let app: NestFastifyApplication;
  let nc: NatsConnection;
  let client: JetStreamClientProxy;
  let members: Members;
  let webhook: Server;
  const webhookCalls: unknown[] = [];

  const send = <R = unknown>(command: string, data: unknown) =>
    client.command<R>(subjects.command('redundancy', command), data, { meta: operator });
  const failure = async (command: string, data: unknown) => {
    try {
      await send(command, data);
    } catch (err) {
      if (err instanceof RemoteCommandError) return { code: err.code, message: err.message };
      throw err;
    }
    throw new Error(`${command} succeeded`);
  };
  const types = async (pairId: string) => (await store.readStream(pairStreamId(pairId))).map((e) => e.type);
  const until = async (what: string, probe: () => Promise<boolean>, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  async function register(serverId: string, reseller = 'r1'): Promise<void> {
    await appendForeignEvent(
      store,
      `server-${serverId}`,
      'inventory',
      'ServerRegistered',
      serverRegisteredData(serverId, reseller),
    );
  }

  async function configure(pairId: string, primary: string, secondary: string, extra: Record<string, unknown> = {}) {
    return send('ConfigurePair', {
      pairId,
      primaryServerId: primary,
      secondaryServerId: secondary,
      redundancyKey: 'correct horse battery',
      keepAliveIntervalSec: INTERVAL_SEC,
      failoverThresholdSec: THRESHOLD_SEC,
      holdDownSec: 3,
      ...extra,
    });
  }

  beforeAll(async () => {
    schema = await createTestSchema('red_svc');
    namespace = createTestNamespace('redsvc');
    subjects = new Subjects(namespace);
    store = await createEventStore({ databaseUrl: schema.connectionString, schema: schema.schema, poolSize: 2 });
    await store.migrate();
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        webhookCalls.push(JSON.parse(body));
        res.statusCode = webhookCalls.length === 1 ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
    app = await startRedundancyForTest(
      { natsUrl: TEST_NATS_URL, databaseUrl: schema.connectionString, schema: schema.schema, namespace },
      { evaluateMs: 50, pollMs: 20, retryMs: 200, notifyRetryMs: 50 },
    );
    nc = await connect({ servers: TEST_NATS_URL, name: 'redundancy-test-members' });
    client = new JetStreamClientProxy({ connection: { url: TEST_NATS_URL, name: 'redundancy-test-client' } });
    members = new Members(nc, subjects);
    members.start();
    for (const id of ['s-a1', 's-a2', 's-b1', 's-b2', 's-x1']) await register(id);
    await register('s-other', 'r2');
  }, 30_000);

  afterAll(async () => {
    members?.stop();
    await app?.close();
    await client?.close();
    await nc?.drain();
    await store?.close();
    webhook?.close();
    await deleteNamespaceStreams(namespace);
    await schema?.drop();
  }, 30_000);

  it('refuses bad pairs with clear errors and records nothing', async () => {
    await until('servers in the view', async () => {
      const r = await failure('ConfigurePair', {
        pairId: 'p-bad',
        primaryServerId: 's-a1',
        secondaryServerId: 's-nope',
        redundancyKey: 'correct horse battery',
      });
      return r.code === 'PAIR.UNKNOWN_SERVERS';
    });
    expect(
      await failure('ConfigurePair', {
        pairId: 'p-bad',
        primaryServerId: 's-a1',
        secondaryServerId: 's-a1',
        redundancyKey: 'correct horse battery',
      }),
    ).toMatchObject({ code: 'PAIR.SAME_SERVER_TWICE' });
    expect(await failure('ManualSwitchover', { pairId: 'p-unknown' })).toMatchObject({ code: 'PAIR.NOT_FOUND' });
    expect(await types('p-bad')).toEqual([]);
  });

  it('fails over exactly once when the primary keep-alive stops, records the reason, notifies', async () => {
    const alerts: unknown[] = [];
    const sub = nc.subscribe(`${namespace}_alerts.switch`, {
      callback: (_e, m) => {
        alerts.push(m.json());
      },
    });
    const url = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;
    members.add('s-a1', true);
    members.add('s-a2', false);
    await configure('p-a', 's-a1', 's-a2', {
      notificationTargets: [
        { kind: 'subject', subject: `${namespace}_alerts.switch` },
        { kind: 'webhook', url },
      ],
    });
    const stored = await store.readStream(pairStreamId('p-a'));
    expect(JSON.stringify(stored[0].data)).not.toContain('correct horse');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await types('p-a')).not.toContain('ControlSwitched');

    const stoppedAt = Date.now();
    members.state.get('s-a1')!.sending = false;
    await until('failover', async () => (await types('p-a')).includes('ControlSwitched'));
    const elapsed = Date.now() - stoppedAt;
    expect(elapsed).toBeLessThan((THRESHOLD_SEC + INTERVAL_SEC) * 1000 + 300);
    const events = await store.readStream(pairStreamId('p-a'));
    const switched = events.filter((e) => e.type === 'ControlSwitched');
    expect(switched).toHaveLength(1);
    expect(switched[0].data).toMatchObject({ kind: 'failover', from: 'primary', to: 'secondary' });
    expect((switched[0].data as { reason: string }).reason).toMatch(/keep-alive of the primary missed/);
    await until(
      'notified',
      async () =>
        (await store.readStream(pairStreamId('p-a'))).filter(
          (e) => e.type === 'SwitchoverNotified' && (e.data as { delivered: boolean }).delivered,
        ).length === 2,
    );
    expect(alerts).toHaveLength(1);
    expect(webhookCalls.length).toBe(2); // the first delivery answered 500 and was retried
    expect(members.controls).toContainEqual({ serverId: 's-a2', type: 'assume-control' });
    await new Promise((r) => setTimeout(r, 800));
    expect((await types('p-a')).filter((t) => t === 'ControlSwitched')).toHaveLength(1);
    sub.unsubscribe();
  }, 20_000);

  it('refuses a manual switchover while the standby synchronizes, accepts it when updated', async () => {
    members.add('s-b1', true);
    members.add('s-b2', false);
    members.state.get('s-b2')!.replicationStatus = 'synchronizing';
    await configure('p-b', 's-b1', 's-b2');
    await until('reported', async () => (await types('p-b')).includes('MemberStateReported'));
    await new Promise((r) => setTimeout(r, 300));
    const refused = await failure('ManualSwitchover', { pairId: 'p-b' });
    expect(refused.code).toBe('PAIR.SWITCHOVER_REFUSED');
    expect(refused.message).toMatch(/synchroniz/);
    members.state.get('s-b2')!.replicationStatus = 'updated';
    await new Promise((r) => setTimeout(r, 400));
    await expect(send('ManualSwitchover', { pairId: 'p-b', reason: 'maintenance' })).resolves.toMatchObject({
      activeSystem: 'secondary',
    });
  }, 20_000);

  it('refuses a server already in another pair, and logs keep-alives of servers in no pair without events', async () => {
    expect(
      await failure('ConfigurePair', {
        pairId: 'p-c',
        primaryServerId: 's-a1',
        secondaryServerId: 's-x1',
        redundancyKey: 'correct horse battery',
      }),
    ).toMatchObject({ code: 'PAIR.SERVER_IN_OTHER_PAIR' });
    members.add('s-x1', true);
    await new Promise((r) => setTimeout(r, 300));
    members.state.delete('s-x1');
    expect(await types('p-c')).toEqual([]);
  });
});
