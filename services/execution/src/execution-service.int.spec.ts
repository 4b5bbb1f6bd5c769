import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Subjects } from '@fleetwarden/contracts';
import { createEventStore, type EventStore, type RecordedEvent } from '@fleetwarden/eventstore';
import { AgentCommand, rolloutStreamId, type AgentProgressMessage } from '@fleetwarden/execution-contracts';
import { JetStreamClientProxy } from '@fleetwarden/messaging';
import { createClock } from '@fleetwarden/platform';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  TEST_NATS_URL,
  type TestSchema,
} from '@fleetwarden/testing';
import { appendForeignEvent, executionRuntime, startExecutionForTest } from './testing/execution-test.harness';

const SPEED = 200;
const operator = { role: 'operator', actor: 'operator:alice' };

/**
 * A scripted agent for many servers at the NATS boundary: answers `update` commands (idempotent by
 * job id), then reports each phase through JetStream, failing the servers it is told to fail.
 */
class ScriptedAgents {
  readonly executed = new Map<string, string[]>();
  readonly failing = new Set<string>();
  readonly offline = new Set<string>();
  private sub: Subscription | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly phaseMs = 5,
  ) {}

  start(): void {
    this.sub = this.nc.subscribe(`${this.subjects.namespace}.agent.*.cmd`, {
      callback: (_err, msg) => {
        const serverId = msg.subject.split('.')[2];
        if (this.offline.has(serverId)) return;
        const cmd = AgentCommand.parse(msg.json());
        if (cmd.type !== 'update') {
          msg.respond(JSON.stringify({ ok: true, jobId: cmd.jobId }));
          return;
        }
        const jobs = this.executed.get(serverId) ?? [];
        const isNew = !jobs.includes(cmd.jobId);
        if (isNew) this.executed.set(serverId, [...jobs, cmd.jobId]);
        msg.respond(JSON.stringify({ ok: true, jobId: cmd.jobId }));
        if (isNew) void this.run(serverId, cmd.jobId, cmd.components);
      },
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
  }

  private async run(serverId: string, jobId: string, components: AgentProgressMessage['versions']): Promise<void> {
    const js = jetstream(this.nc);
    const send = async (phase: AgentProgressMessage['phase'], extra: Partial<AgentProgressMessage> = {}) => {
      const body: AgentProgressMessage = {
        serverId,
        jobId,
        phase,
        sentAt: new Date().toISOString(),
        log: [],
        ...extra,
      };
      await js.publish(this.subjects.agent(serverId, 'progress'), JSON.stringify(body), { msgID: `${jobId}:${phase}` });
    };
    const pause = () => new Promise((r) => setTimeout(r, this.phaseMs));
    await send('accepted');
    for (const phase of ['downloading', 'installing', 'restarting', 'validating'] as const) {
      await send(phase, { log: [`${phase} on ${serverId}`] });
      await pause();
      if (phase === 'installing' && this.failing.has(serverId)) {
        await send('failed', { error: 'installer exited with 3', log: ['E: dpkg: error processing package'] });
        return;
      }
    }
    await send('completed', { versions: components, validation: { passed: true, detail: 'login page answers' } });
  }
}

describe('execution service (NATS, PostgreSQL)', () => {
  let schema: TestSchema;
  let namespace: string;
  let subjects: Subjects;
  let store: EventStore;
  let apps: NestFastifyApplication[] = [];
  let nc: NatsConnection;
  let agents: ScriptedAgents;
  let client: JetStreamClientProxy;
  let origin: number;
  let taskSeq = 0;

  const env = () => ({
    natsUrl: TEST_NATS_URL,
    databaseUrl: schema.connectionString,
    schema: schema.schema,
    namespace,
    clockSpeed: SPEED,
    clockOrigin: new Date(origin).toISOString(),
  });
  const clockNow = () => createClock(SPEED, origin).now();
  const rollout = async (taskId: string): Promise<RecordedEvent[]> => store.readStream(rolloutStreamId(taskId));
  const until = async (what: string, probe: () => Promise<boolean>, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const finished = (taskId: string) => async () => (await rollout(taskId)).some((e) => e.type === 'RolloutFinished');

  async function connectServers(ids: string[]): Promise<void> {
    for (const serverId of ids) {
      await appendForeignEvent(store, `server-${serverId}`, 'inventory', 'ServerConnected', {
        serverId,
        at: new Date().toISOString(),
        heartbeatIntervalSec: 10,
      });
    }
  }

  async function startTask(
    serverIds: string[],
    options: { staggerSeconds?: number; failureThreshold?: number | null; maxConcurrency?: number | null } = {},
  ): Promise<string> {
    const taskId = `task-x${++taskSeq}`;
    const now = clockNow().toISOString();
    await appendForeignEvent(store, `task-${taskId}`, 'scheduling', 'UpdateTaskScheduled', {
      taskId,
      name: 'Upgrade',
      type: 'upgrade-image',
      versions: [{ component: 'server-image', version: '9.1.0.10' }],
      includeClientApps: false,
      targets: { serverIds, groupIds: [] },
      servers: serverIds.map((serverId) => ({ serverId, reseller: 'r1' })),
      startAt: now,
      staggerSeconds: options.staggerSeconds ?? 60,
      window: null,
      maxConcurrency: options.maxConcurrency ?? null,
      failureThreshold: options.failureThreshold ?? null,
      tenant: null,
      postedBy: 'operator:alice',
      postedAt: now,
      retryOf: null,
    });
    await appendForeignEvent(store, `task-${taskId}`, 'scheduling', 'UpdateTaskStarted', { taskId, startedAt: now });
    return taskId;
  }

  beforeAll(async () => {
    schema = await createTestSchema('exec_svc');
    namespace = createTestNamespace('execsvc');
    subjects = new Subjects(namespace);
    origin = Date.now();
    store = await createEventStore({ databaseUrl: schema.connectionString, schema: schema.schema, poolSize: 2 });
    await store.migrate();
    apps.push(
      await startExecutionForTest(env(), { pollMs: 20, resendMs: 200, requestTimeoutMs: 500, switchoverRetryMs: 50 }),
    );
    nc = await connect({ servers: TEST_NATS_URL, name: 'execution-test-agents' });
    agents = new ScriptedAgents(nc, subjects);
    agents.start();
    client = new JetStreamClientProxy({ connection: { url: TEST_NATS_URL, name: 'execution-test-client' } });
  }, 30_000);

  afterAll(async () => {
    agents?.stop();
    for (const app of apps) await app.close();
    await client?.close();
    await nc?.drain();
    await store?.close();
    await deleteNamespaceStreams(namespace);
    await schema?.drop();
  });

  it('starts servers a stagger apart, validates them, keeps the failures with their logs', async () => {
    const servers = Array.from({ length: 8 }, (_, i) => `s-st${i}`);
    agents.failing.add('s-st2').add('s-st5');
    await connectServers(servers);
    const taskId = await startTask(servers, { staggerSeconds: 60 });
    await until('rollout finished', finished(taskId));

    const events = await rollout(taskId);
    const dispatched = events.filter((e) => e.type === 'ServerUpdateDispatched');
    expect(dispatched.map((e) => (e.data as { serverId: string }).serverId)).toEqual(servers);
    const starts = dispatched.map((e) => Date.parse((e.data as { dispatchedAt: string }).dispatchedAt));
    const startedAt = Date.parse((events[0].data as { startedAt: string }).startedAt);
    // Server k is never early and at most 30 s of clock (150 ms real at speed 200) late; the e2e
    // test measures the spacing across processes.
    starts.forEach((at, k) => {
      expect(at - (startedAt + k * 60_000)).toBeGreaterThanOrEqual(0);
      expect(at - (startedAt + k * 60_000)).toBeLessThan(30_000);
    });

    const failed = events.filter((e) => e.type === 'ServerUpdateFailed').map((e) => e.data as Record<string, unknown>);
    expect(failed.map((d) => d.serverId).sort()).toEqual(['s-st2', 's-st5']);
    expect(failed[0].log).toEqual(['E: dpkg: error processing package']);
    expect(failed[0].reason).toBe('agent: installer exited with 3');
    const last = events.at(-1)!;
    expect(last.type).toBe('RolloutFinished');
    expect(last.data).toMatchObject({ outcome: 'failed', completed: 6, failed: 2, notStarted: 0 });
    for (const id of servers) expect(agents.executed.get(id)).toHaveLength(1);
  }, 30_000);

  it('keeps a disconnected target queued until it connects', async () => {
    await connectServers(['s-on']);
    agents.offline.add('s-late');
    const taskId = await startTask(['s-on', 's-late'], { staggerSeconds: 0 });
    await until('s-on completed', async () => (await rollout(taskId)).some((e) => e.type === 'ServerUpdateCompleted'));
    await new Promise((r) => setTimeout(r, 300));
    expect((await rollout(taskId)).filter((e) => e.type === 'ServerUpdateDispatched')).toHaveLength(1);
    agents.offline.delete('s-late');
    await connectServers(['s-late']);
    await until('rollout finished', finished(taskId));
    expect((await rollout(taskId)).at(-1)!.data).toMatchObject({ outcome: 'completed', completed: 2 });
  }, 30_000);

  it('cancels the servers not yet started, and only those', async () => {
    const servers = Array.from({ length: 6 }, (_, i) => `s-c${i}`);
    await connectServers(servers);
    const taskId = await startTask(servers, { staggerSeconds: 120 });
    await until(
      'two started',
      async () => (await rollout(taskId)).filter((e) => e.type === 'ServerUpdateDispatched').length >= 2,
    );
    const reply = await client.command<{ startedServerIds: string[]; cancelledServerIds: string[] }>(
      subjects.command('execution', 'CancelRollout'),
      { taskId },
      { meta: operator },
    );
    const events = await rollout(taskId);
    const started = events
      .filter((e) => e.type === 'ServerUpdateDispatched')
      .map((e) => (e.data as { serverId: string }).serverId);
    expect(reply.startedServerIds).toEqual(started);
    expect(reply.cancelledServerIds).toEqual(servers.filter((s) => !started.includes(s)));
    await until('rollout finished', finished(taskId));
    const after = await rollout(taskId);
    expect(after.filter((e) => e.type === 'ServerUpdateDispatched')).toHaveLength(started.length);
    expect(after.at(-1)!.data).toMatchObject({ outcome: 'cancelled', completed: started.length });
  }, 30_000);

  it('refuses a cancel by another reseller', async () => {
    await expect(
      client.command(
        subjects.command('execution', 'CancelRollout'),
        { taskId: 'task-x1' },
        {
          meta: { role: 'auditor', actor: 'auditor:a' },
        },
      ),
    ).rejects.toThrow(/may not send CancelRollout/);
  });

  it('halts at the failure threshold; servers in flight still report', async () => {
    const servers = Array.from({ length: 10 }, (_, i) => `s-h${i}`);
    servers.forEach((s) => agents.failing.add(s));
    await connectServers(servers);
    const taskId = await startTask(servers, { staggerSeconds: 0, maxConcurrency: 4, failureThreshold: 3 });
    await until('rollout finished', finished(taskId));
    const events = await rollout(taskId);
    const halted = events.filter((e) => e.type === 'RolloutHalted');
    expect(halted).toHaveLength(1);
    const dispatchedCount = events.filter((e) => e.type === 'ServerUpdateDispatched').length;
    expect(dispatchedCount).toBe(4);
    expect(events.at(-1)!.data).toMatchObject({ outcome: 'failed', failed: 4, notStarted: 6 });
  }, 30_000);

  it('updates the standby first, switches over, then the former active member; never both at once', async () => {
    const pairs = ['pa', 'pb', 'pc'];
    const servers = pairs.flatMap((p) => [`s-${p}1`, `s-${p}2`]);
    await connectServers(servers);
    for (const p of pairs) {
      await appendForeignEvent(store, `pair-${p}`, 'redundancy', 'PairConfigured', {
        pairId: p,
        primaryServerId: `s-${p}1`,
        secondaryServerId: `s-${p}2`,
        primaryAddress: '',
        secondaryAddress: '',
        switchAddress: '',
        redundancyKeyHash: 'scrypt$x$y',
        autoFailover: true,
        keepAliveIntervalSec: 5,
        failoverThresholdSec: 15,
        holdDownSec: 300,
        notificationTargets: [],
        tenant: null,
        configuredBy: 'operator:alice',
      });
    }
    // The redundancy service, at the NATS boundary: accepts every switchover but the one of pair pc.
    const switched: string[] = [];
    const responder = nc.subscribe(subjects.command('redundancy', 'ManualSwitchover'), {
      callback: (_err, msg) => {
        const { data } = msg.json<{ data: { pairId: string } }>();
        if (data.pairId === 'pc') {
          msg.respond(
            JSON.stringify({
              ok: false,
              error: { code: 'PAIR.SWITCHOVER_REFUSED', message: 'switching service of the standby secondary is down' },
            }),
          );
          return;
        }
        switched.push(data.pairId);
        msg.respond(
          JSON.stringify({
            ok: true,
            data: { pairId: data.pairId, activeSystem: 'secondary', switchedAt: new Date().toISOString() },
          }),
        );
      },
    });
    await new Promise((r) => setTimeout(r, 300));
    const taskId = await startTask(servers, { staggerSeconds: 10 });
    await until('rollout finished', finished(taskId), 30_000);
    responder.unsubscribe();
    const events = await rollout(taskId);
    expect((events[0].data as { serverIds: string[] }).serverIds).toEqual(pairs.flatMap((p) => [`s-${p}2`, `s-${p}1`]));
    // Never two members of one pair in flight at once.
    const inFlight = new Set<string>();
    for (const e of events) {
      const d = e.data as { serverId?: string };
      if (e.type === 'ServerUpdateDispatched') {
        const peer = d.serverId!.endsWith('1') ? d.serverId!.replace(/1$/, '2') : d.serverId!.replace(/2$/, '1');
        expect(inFlight.has(peer)).toBe(false);
        inFlight.add(d.serverId!);
      }
      if (e.type === 'ServerUpdateCompleted' || e.type === 'ServerUpdateFailed') inFlight.delete(d.serverId!);
    }
    expect(switched.sort()).toEqual(['pa', 'pb']);
    const last = events.at(-1)!.data as { completedServerIds: string[] };
    expect(last.completedServerIds.sort()).toEqual(['s-pa1', 's-pa2', 's-pb1', 's-pb2', 's-pc2']);
    const refused = events.find((e) => e.type === 'ServerUpdateNotStarted')!.data;
    expect(refused).toMatchObject({ serverId: 's-pc1', reason: 'switchover-refused' });
    expect((refused as { detail: string }).detail).toMatch(/switching service/);
  }, 40_000);

  it('a second instance takes over mid-run: every server runs once, no event twice', async () => {
    apps.push(
      await startExecutionForTest(env(), {
        pollMs: 20,
        resendMs: 200,
        requestTimeoutMs: 500,
        retryMs: 100,
        switchoverRetryMs: 50,
      }),
    );
    const servers = Array.from({ length: 8 }, (_, i) => `s-t${i}`);
    await connectServers(servers);
    const taskId = await startTask(servers, { staggerSeconds: 60 });
    await until(
      'three started',
      async () => (await rollout(taskId)).filter((e) => e.type === 'ServerUpdateDispatched').length >= 3,
    );
    const leader = apps.find((a) => executionRuntime(a).driver.isLeader)!;
    await leader.close();
    apps = apps.filter((a) => a !== leader);
    await until('rollout finished', finished(taskId), 30_000);
    const events = await rollout(taskId);
    const dispatched = events
      .filter((e) => e.type === 'ServerUpdateDispatched')
      .map((e) => (e.data as { serverId: string }).serverId);
    expect(dispatched.sort()).toEqual([...servers].sort());
    expect(events.at(-1)!.data).toMatchObject({ outcome: 'completed', completed: 8 });
    for (const id of servers) expect(agents.executed.get(id)).toHaveLength(1);
  }, 40_000);
});
