import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Client } from 'pg';
import { Subjects } from '@fleetwarden/contracts';
import { connectNats } from '@fleetwarden/messaging';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  TEST_NATS_URL,
  type TestSchema,
} from '@fleetwarden/testing';
import { freePort, killIfRunning, pollUntil, runEntry, type Spawned } from './support/processes';
import { graphqlRequest, simControl, stackEnv, startReadyRunner, token } from './support/stack';

jest.setTimeout(300_000);

/** 180 s of clock pass in 0.45 s: the 100-server rollout (99 x 180 s) takes about 45 s. */
const SPEED = 400;
const SERVERS = 100;
const FAIL_RATE = 0.05;
const SEED = 7;
const STAGGER = 180;
/**
 * Clock seconds a start may deviate from `first + k x stagger`: 15 s (38 ms real at this speed)
 * for 95% of the servers, and never half a stagger (a process descheduled on a busy 2-core machine
 * was seen to start one server 170 ms late).
 */
const STAGGER_TOLERANCE_SEC = 15;
const STAGGER_MAX_DEVIATION_SEC = STAGGER / 2;

interface TaskServerRow {
  server: { id: string };
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  attempt: number;
  errorLog: string[];
}
interface TaskView {
  id: string;
  status: string;
  progress: { completed: number; failed: number; total: number };
  servers: TaskServerRow[];
}
interface SimJob {
  jobId: string;
}

const TASK_FIELDS = `id status progress { completed failed total }
  servers { server { id } status startedAt finishedAt attempt errorLog }`;

// issue 4, "Must show": the stack in separate processes (the runner with inventory and the
// gateway, scheduling and execution alone, the fleet simulator), on real NATS and PostgreSQL.
describe('update tasks end to end: staggered rollout, failures, cancel, kill -9, failure threshold', () => {
  const namespace = createTestNamespace('e2eupd');
  const subjects = new Subjects(namespace);
  const origin = new Date().toISOString();
  let schema: TestSchema;
  let runner: Spawned | undefined;
  let scheduling: Spawned | undefined;
  let execution: Spawned | undefined;
  let fleet: Spawned | undefined;
  let port: number;
  let nc: NatsConnection;
  let db: Client;
  let operator: string;
  let serverIds: string[] = [];

  const env = () => stackEnv({ namespace, schema, clockSpeed: SPEED, clockOrigin: origin });

  async function startService(name: 'scheduling' | 'execution'): Promise<Spawned> {
    const spawned = runEntry(`services/${name}/src/main.ts`, env());
    await pollUntil(
      `${name} service ready`,
      async () => (new RegExp(`${name} service ready`).test(spawned.stdout() + spawned.stderr()) ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 100, abort: spawned.exited },
    );
    return spawned;
  }

  const graphql = <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> =>
    graphqlRequest<T>(port, operator, query, variables);

  const task = async (id: string): Promise<TaskView> =>
    (await graphql<{ task: TaskView }>(`query ($id: ID!) { task(id: $id) { ${TASK_FIELDS} } }`, { id })).task;

  async function finishedTask(id: string, timeoutMs = 120_000): Promise<TaskView> {
    return pollUntil(
      `task ${id} finished`,
      async () => {
        const t = await task(id);
        const settled = t.servers.every((s) => !['PENDING', 'PROCESSING'].includes(s.status));
        return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(t.status) && settled ? t : undefined;
      },
      { timeoutMs, intervalMs: 250 },
    );
  }

  async function publish(version: string): Promise<void> {
    await graphql(
      `
        mutation ($input: PublishVersionInput!) {
          publishVersion(input: $input) {
            version
          }
        }
      `,
      { input: { component: 'SERVER_IMAGE', version, stage: 'PRODUCTION', schemaVersion: '9.1', notes: 'e2e' } },
    );
  }

  async function schedule(version: string, ids: string[], extra: Record<string, unknown> = {}): Promise<string> {
    const data = await graphql<{ scheduleUpdate: { id: string } }>(
      `
        mutation ($input: ScheduleUpdateInput!) {
          scheduleUpdate(input: $input) {
            id
          }
        }
      `,
      {
        input: {
          name: `upgrade to ${version}`,
          type: 'UPGRADE_IMAGE',
          targets: { serverIds: ids },
          versions: [{ component: 'SERVER_IMAGE', version }],
          staggerSeconds: STAGGER,
          ...extra,
        },
      },
    );
    return data.scheduleUpdate.id;
  }

  async function sim<T = Record<string, unknown>>(message: Record<string, unknown>): Promise<T> {
    const body = await simControl<T>(nc, namespace, message);
    expect(body.ok).toBe(true);
    return body;
  }

  /** Jobs each simulated server executed (a redelivered command is not executed again). */
  async function executedJobs(): Promise<Map<string, SimJob[]>> {
    const reply = await sim<{ jobs: Record<string, { executed: SimJob[] }> }>({ action: 'jobs' });
    return new Map(Object.entries(reply.jobs).map(([id, s]) => [id, s.executed]));
  }

  async function storedEvents(
    streamId: string,
  ): Promise<Array<{ event_id: string; type: string; data: { serverId?: string } }>> {
    const { rows } = await db.query<{ event_id: string; type: string; data: { serverId?: string } }>(
      `SELECT event_id, type, data FROM "${schema.schema}".events WHERE stream_id = $1 ORDER BY stream_version`,
      [streamId],
    );
    return rows;
  }

  /** Event ids of the messages on `<NS>_EVENTS` of the given subject filter. */
  async function publishedEventIds(filter: string): Promise<string[]> {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(subjects.eventsStream, { subjects_filter: filter });
    const expected = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
    if (expected === 0) return [];
    const consumer = await jetstream(nc).consumers.get(subjects.eventsStream, { filter_subjects: filter });
    const ids: string[] = [];
    const messages = await consumer.fetch({ max_messages: expected, expires: 5000 });
    for await (const m of messages) {
      ids.push(m.json<{ eventId: string }>().eventId);
      if (ids.length === expected) break;
    }
    return ids;
  }

  const startedOf = (t: TaskView) => t.servers.filter((s) => s.startedAt !== null).map((s) => s.server.id);

  beforeAll(async () => {
    schema = await createTestSchema('e2eupd');
    port = await freePort();
    nc = await connectNats({ url: TEST_NATS_URL, name: 'e2e-update-tasks' });
    db = new Client({ connectionString: schema.connectionString });
    await db.connect();
    runner = await startReadyRunner({ ...env(), PORT: String(port), FLEETWARDEN_RUNNER_SERVICES: 'inventory,gateway' });
    scheduling = await startService('scheduling');
    execution = await startService('execution');
    fleet = runEntry('services/agent/src/fleet.ts', env(), [
      '--servers',
      String(SERVERS),
      '--resellers',
      '2',
      '--seed',
      String(SEED),
      '--speed',
      String(SPEED),
      '--heartbeat',
      String(SPEED),
      '--fail-rate',
      String(FAIL_RATE),
    ]);
    operator = await token(env(), '--role', 'operator');
    serverIds = await pollUntil(
      `${SERVERS} connected servers`,
      async () => {
        const data = await graphql<{ servers: { edges: Array<{ node: { id: string; connected: boolean } }> } }>(`
          {
            servers(first: 500) {
              edges {
                node {
                  id
                  connected
                }
              }
            }
          }
        `);
        const nodes = data.servers.edges.map((e) => e.node);
        return nodes.length === SERVERS && nodes.every((n) => n.connected) ? nodes.map((n) => n.id).sort() : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, abort: fleet.exited },
    );
  });

  afterAll(async () => {
    await killIfRunning(fleet);
    await killIfRunning(execution);
    await killIfRunning(scheduling);
    await killIfRunning(runner);
    await db?.end();
    await nc?.close();
    await deleteNamespaceStreams(namespace).catch(() => undefined);
    await schema?.drop();
  });

  let failing: string[] = [];
  let healthy: string[] = [];
  let firstTaskId = '';

  it(`rolls out to ${SERVERS} servers a stagger apart; --fail-rate ${FAIL_RATE} fails 5 with their logs: Failed, 95 of 100`, async () => {
    await publish('9.1.0.10');
    const id = await schedule('9.1.0.10', serverIds);
    firstTaskId = id;
    const t = await finishedTask(id);

    expect(t.status).toBe('FAILED');
    expect(t.progress).toEqual({ completed: 95, failed: 5, total: 100 });
    const failed = t.servers.filter((s) => s.status === 'FAILED');
    failing = failed.map((s) => s.server.id).sort();
    healthy = serverIds.filter((s) => !failing.includes(s));
    expect(failing).toHaveLength(5);
    for (const s of failed) {
      expect(s.errorLog.length).toBeGreaterThan(0);
      expect(s.finishedAt).not.toBeNull();
    }
    expect(t.servers.filter((s) => s.status === 'COMPLETED')).toHaveLength(95);

    // Server k (in start order) starts k x 180 s after the first.
    const starts = t.servers.map((s) => Date.parse(s.startedAt!)).sort((a, b) => a - b);
    const deviations = starts.map((at, k) => Math.abs(at - starts[0] - k * STAGGER * 1000) / 1000);
    const sorted = [...deviations].sort((a, b) => a - b);
    const p95 = sorted[Math.ceil(sorted.length * 0.95) - 1];
    console.log(
      `stagger ${STAGGER} s: deviation of the starts p95 ${p95.toFixed(1)} s, max ${sorted.at(-1)!.toFixed(1)} s of clock`,
    );
    expect(p95).toBeLessThanOrEqual(STAGGER_TOLERANCE_SEC);
    expect(sorted.at(-1)).toBeLessThan(STAGGER_MAX_DEVIATION_SEC);
    const order = [...t.servers].sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!));
    expect(order.map((s) => s.server.id)).toEqual(serverIds);

    // The completed servers now report the new version to the inventory.
    await pollUntil(
      'new version in the inventory',
      async () => {
        const data = await graphql<{ server: { serverVersion: string } }>(
          `
            query ($id: ID!) {
              server(id: $id) {
                serverVersion
              }
            }
          `,
          { id: healthy[0] },
        );
        return data.server.serverVersion === '9.1.0.10' ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
  });

  it('retries the failed servers as a new task linked to it: attempt 2, each completed', async () => {
    const retried = await graphql<{ retryFailedServers: { id: string } }>(
      `
        mutation ($id: ID!) {
          retryFailedServers(id: $id) {
            id
          }
        }
      `,
      { id: firstTaskId },
    );
    const t = await finishedTask(retried.retryFailedServers.id);
    expect(t.status).toBe('COMPLETED');
    expect(t.servers.map((s) => s.server.id).sort()).toEqual(failing);
    expect(t.servers.map((s) => s.attempt)).toEqual(failing.map(() => 2));
  });

  it('a cancel mid-run stops every not-yet-started server and nothing else', async () => {
    await publish('9.1.0.20');
    const targets = healthy.slice(0, 20);
    const id = await schedule('9.1.0.20', targets);
    await pollUntil('three servers started', async () => (startedOf(await task(id)).length >= 3 ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    const cancelled = await graphql<{ cancelTask: { status: string } }>(
      `
        mutation ($id: ID!) {
          cancelTask(id: $id) {
            status
          }
        }
      `,
      { id },
    );
    expect(cancelled.cancelTask.status).toBe('CANCELLED');
    const t = await finishedTask(id);
    const started = startedOf(t);
    expect(started.length).toBeGreaterThanOrEqual(3);
    expect(started.length).toBeLessThan(20);
    for (const s of t.servers) {
      if (started.includes(s.server.id)) expect(s.status).toBe('COMPLETED');
      else expect(s.status).toBe('CANCELLED');
    }
    const jobs = await executedJobs();
    for (const serverId of targets) {
      const ran = (jobs.get(serverId) ?? []).filter((j) => j.jobId.startsWith(`${id}:`));
      expect(ran).toHaveLength(started.includes(serverId) ? 1 : 0);
    }
  });

  it('kill -9 of scheduling and execution mid-task, restart: the task finishes, no update twice, no event twice', async () => {
    await publish('9.1.0.30');
    const targets = healthy.slice(20, 50);
    const id = await schedule('9.1.0.30', targets);
    await pollUntil('eight servers started', async () => (startedOf(await task(id)).length >= 8 ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    scheduling!.child.kill('SIGKILL');
    execution!.child.kill('SIGKILL');
    await Promise.all([scheduling!.exited, execution!.exited]);
    await new Promise((r) => setTimeout(r, 1000));
    scheduling = await startService('scheduling');
    execution = await startService('execution');

    const t = await finishedTask(id);
    if (t.status !== 'COMPLETED') console.log(JSON.stringify(t.servers.filter((s) => s.status !== 'COMPLETED')));
    expect(t.status).toBe('COMPLETED');
    expect(t.progress).toEqual({ completed: 30, failed: 0, total: 30 });

    const jobs = await executedJobs();
    for (const serverId of targets) {
      expect((jobs.get(serverId) ?? []).filter((j) => j.jobId.startsWith(`${id}:`))).toHaveLength(1);
    }
    const rollout = await storedEvents(`rollout-${id}`);
    const dispatchedTo = rollout.filter((e) => e.type === 'ServerUpdateDispatched').map((e) => e.data.serverId);
    expect(dispatchedTo.sort()).toEqual([...targets].sort());
    expect(rollout.filter((e) => e.type === 'RolloutFinished')).toHaveLength(1);
    const taskEvents = await storedEvents(`task-${id}`);
    expect(taskEvents.map((e) => e.type)).toEqual(['UpdateTaskScheduled', 'UpdateTaskStarted', 'UpdateTaskCompleted']);

    // On the stream: every stored event once, nothing else.
    await pollUntil(
      'execution events published',
      async () => {
        const published = await publishedEventIds(`${namespace}.events.execution.>`);
        const ofTask = new Set(rollout.map((e) => e.event_id));
        const mine = published.filter((eventId) => ofTask.has(eventId));
        return mine.length >= ofTask.size ? mine : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    ).then((mine) => {
      expect(new Set(mine).size).toBe(mine.length);
      expect(mine).toHaveLength(rollout.length);
    });
    const all = await publishedEventIds(`${namespace}.events.>`);
    expect(new Set(all).size).toBe(all.length);
  });

  it('failure threshold 3 with 10 scripted failures: halts after the 3rd, the rest not started', async () => {
    await publish('9.1.0.40');
    const targets = healthy.slice(50, 60);
    await sim({ action: 'script-failures', serverIds: targets });
    const id = await schedule('9.1.0.40', targets, { staggerSeconds: 60, failureThreshold: 3 });
    const t = await finishedTask(id);
    expect(t.status).toBe('FAILED');
    const started = startedOf(t);
    const failed = t.servers.filter((s) => s.status === 'FAILED').map((s) => s.server.id);
    expect(failed.length).toBeGreaterThanOrEqual(3);
    expect(failed.sort()).toEqual([...started].sort());
    const notStarted = t.servers.filter((s) => s.status === 'NOT_STARTED');
    expect(notStarted).toHaveLength(10 - started.length);
    expect(t.progress).toEqual({ completed: 0, failed: failed.length, total: 10 });

    const rollout = await storedEvents(`rollout-${id}`);
    const haltAt = rollout.findIndex((e) => e.type === 'RolloutHalted');
    expect(haltAt).toBeGreaterThan(0);
    expect(rollout.slice(haltAt).filter((e) => e.type === 'ServerUpdateDispatched')).toHaveLength(0);
    expect(rollout.slice(0, haltAt).filter((e) => e.type === 'ServerUpdateFailed')).toHaveLength(3);
  });
});
