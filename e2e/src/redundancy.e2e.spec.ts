import type { NatsConnection } from '@nats-io/nats-core';
import { Client } from 'pg';
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

/** Clock seconds pass 10 times faster: a 5 s keep-alive every 0.5 s, the 15 s threshold in 1.5 s. */
const SPEED = 10;
const KEEPALIVE_SEC = 5;
const THRESHOLD_SEC = 15;
const HOLD_DOWN_SEC = 300;
const PAIRS = 14;

interface MemberView {
  server: { id: string } | null;
  inControl: boolean;
  claimsControl: boolean;
  replicationStatus: string | null;
  lastKeepAliveAt: string | null;
}
interface PairView {
  id: string;
  activeSystem: 'PRIMARY' | 'SECONDARY';
  lastSwitchoverAt: string | null;
  lastSwitchoverReason: string | null;
  autoFailover: boolean;
  primary: MemberView;
  secondary: MemberView;
  notifications: Array<{ delivered: boolean; attempt: number }>;
}
const MEMBER = 'server { id } inControl claimsControl replicationStatus lastKeepAliveAt';
const PAIR_FIELDS = `id activeSystem lastSwitchoverAt lastSwitchoverReason autoFailover
  primary { ${MEMBER} } secondary { ${MEMBER} } notifications { delivered attempt }`;

const pairId = (n: number) => `pair-${String(n).padStart(4, '0')}`;
const member = (n: number, role: 'a' | 'b') => `srv-p${String(n).padStart(4, '0')}${role}`;

// issue 5, "Must show": the stack, and simulated pairs configured through ConfigurePair, in separate
// processes on real NATS and PostgreSQL.
describe('redundancy end to end: failover, flapping, switchover, split view, updates of pairs, bad input', () => {
  const namespace = createTestNamespace('e2ered');
  const origin = new Date().toISOString();
  let schema: TestSchema;
  let runner: Spawned | undefined;
  let fleet: Spawned | undefined;
  let port: number;
  let nc: NatsConnection;
  let db: Client;
  let operator: string;

  const env = () => stackEnv({ namespace, schema, clockSpeed: SPEED, clockOrigin: origin });

  const graphql = <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> =>
    graphqlRequest<T>(port, operator, query, variables);

  const pair = async (id: string): Promise<PairView> =>
    (
      await graphql<{ redundancyPair: PairView }>(`query ($id: ID!) { redundancyPair(id: $id) { ${PAIR_FIELDS} } }`, {
        id,
      })
    ).redundancyPair;

  async function sim(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    const body = await simControl<Record<string, unknown>>(nc, namespace, message);
    expect(body).toMatchObject({ ok: true });
    return body;
  }

  async function events(streamId: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
    const { rows } = await db.query<{ type: string; data: Record<string, unknown> }>(
      `SELECT type, data FROM "${schema.schema}".events WHERE stream_id = $1 ORDER BY stream_version`,
      [streamId],
    );
    return rows;
  }

  async function failure(
    query: string,
    variables: Record<string, unknown>,
  ): Promise<{ code?: string; message: string }> {
    try {
      await graphql(query, variables);
    } catch (err) {
      return { code: (err as { code?: string }).code, message: (err as Error).message };
    }
    throw new Error('succeeded');
  }

  beforeAll(async () => {
    schema = await createTestSchema('e2ered');
    port = await freePort();
    nc = await connectNats({ url: TEST_NATS_URL, name: 'e2e-redundancy' });
    db = new Client({ connectionString: schema.connectionString });
    await db.connect();
    runner = await startReadyRunner({ ...env(), PORT: String(port) });
    fleet = runEntry('services/agent/src/fleet.ts', env(), [
      '--servers',
      '2',
      '--pairs',
      String(PAIRS),
      '--seed',
      '11',
      '--speed',
      String(SPEED),
      '--keepalive',
      String(KEEPALIVE_SEC),
    ]);
    operator = await token(env(), '--role', 'operator');
    await pollUntil(
      `${PAIRS} pairs configured and reporting`,
      async () => {
        const data = await graphql<{ redundancyPairs: PairView[] }>(`{ redundancyPairs { ${PAIR_FIELDS} } }`);
        const ready = data.redundancyPairs.filter(
          (p) =>
            p.primary.lastKeepAliveAt && p.secondary.lastKeepAliveAt && p.secondary.replicationStatus === 'UPDATED',
        );
        return ready.length === PAIRS ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, abort: fleet.exited },
    );
  });

  afterAll(async () => {
    await killIfRunning(fleet);
    await killIfRunning(runner);
    await db?.end();
    await nc?.close();
    await deleteNamespaceStreams(namespace).catch(() => undefined);
    await schema?.drop();
  });

  it('fails over exactly once when the primary keep-alive stops: within the threshold plus one interval, reason recorded, notification delivered', async () => {
    const id = pairId(1);
    const alerts: unknown[] = [];
    const sub = nc.subscribe(`${namespace}_alerts.switch`, {
      callback: (_e, m) => {
        alerts.push(m.json());
      },
    });
    await graphql(
      `
        mutation ($input: ConfigurePairInput!) {
          configurePair(input: $input) {
            id
          }
        }
      `,
      {
        input: {
          id,
          primaryServerId: member(1, 'a'),
          secondaryServerId: member(1, 'b'),
          redundancyKey: 'sim-key-11-pair-0001',
          keepAliveIntervalSec: KEEPALIVE_SEC,
          failoverThresholdSec: THRESHOLD_SEC,
          holdDownSec: HOLD_DOWN_SEC,
          notificationTargets: [{ kind: 'SUBJECT', subject: `${namespace}_alerts.switch` }],
        },
      },
    );
    const stoppedAt = Date.now();
    await sim({ action: 'keepalive-stop', serverIds: [member(1, 'a')] });
    const switched = await pollUntil(
      'failover',
      async () => {
        const p = await pair(id);
        return p.activeSystem === 'SECONDARY' ? p : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    const elapsedClockSec = ((Date.now() - stoppedAt) * SPEED) / 1000;
    console.log(
      `failover after ${elapsedClockSec.toFixed(1)} s of clock (threshold ${THRESHOLD_SEC} s + interval ${KEEPALIVE_SEC} s)`,
    );
    expect(elapsedClockSec).toBeLessThanOrEqual(THRESHOLD_SEC + KEEPALIVE_SEC);
    expect(switched.lastSwitchoverReason).toMatch(/keep-alive of the primary missed/);
    expect(switched.secondary.inControl).toBe(true);
    expect(switched.primary.inControl).toBe(false);
    await pollUntil(
      'notification delivered',
      async () => ((await pair(id)).notifications.some((n) => n.delivered) ? true : undefined),
      {
        timeoutMs: 10_000,
        intervalMs: 100,
      },
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ pairId: id, kind: 'failover', from: 'primary', to: 'secondary' });
    await new Promise((r) => setTimeout(r, (THRESHOLD_SEC * 1000) / SPEED));
    expect((await events(`pair-${id}`)).filter((e) => e.type === 'ControlSwitched')).toHaveLength(1);
    sub.unsubscribe();
  });

  it('a flapping primary (down and up every half threshold) causes no failover storm: at most one switch per hold-down', async () => {
    const id = pairId(2);
    const halfThresholdMs = (THRESHOLD_SEC * 1000) / SPEED / 2;
    for (let i = 0; i < 12; i++) {
      await sim({ action: i % 2 === 0 ? 'keepalive-stop' : 'keepalive-start', serverIds: [member(2, 'a')] });
      await new Promise((r) => setTimeout(r, halfThresholdMs));
    }
    await sim({ action: 'keepalive-start', serverIds: [member(2, 'a')] });
    const switches = (await events(`pair-${id}`)).filter((e) => e.type === 'ControlSwitched');
    console.log(
      `flapping over ${(12 * halfThresholdMs * SPEED) / 1000} s of clock: ${switches.length} switch(es); hold-down ${HOLD_DOWN_SEC} s`,
    );
    expect(switches.length).toBeLessThanOrEqual(1);
  });

  it('refuses a manual switchover while the standby synchronizes, accepts it when updated', async () => {
    const id = pairId(3);
    await sim({ action: 'replication', serverIds: [member(3, 'b')], state: 'synchronizing' });
    await pollUntil(
      'synchronizing seen',
      async () => ((await pair(id)).secondary.replicationStatus === 'SYNCHRONIZING' ? true : undefined),
      {
        timeoutMs: 10_000,
        intervalMs: 100,
      },
    );
    const refused = await failure(`mutation ($id: ID!) { manualSwitchover(id: $id, reason: "e2e") { id } }`, { id });
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toMatch(/synchroniz/);
    expect((await events(`pair-${id}`)).filter((e) => e.type === 'ControlSwitched')).toHaveLength(0);

    await sim({ action: 'replication', serverIds: [member(3, 'b')], state: 'updated' });
    await pollUntil(
      'updated seen',
      async () => ((await pair(id)).secondary.replicationStatus === 'UPDATED' ? true : undefined),
      {
        timeoutMs: 10_000,
        intervalMs: 100,
      },
    );
    const done = await graphql<{ manualSwitchover: PairView }>(
      `mutation ($id: ID!) { manualSwitchover(id: $id, reason: "maintenance window") { ${PAIR_FIELDS} } }`,
      { id },
    );
    expect(done.manualSwitchover.activeSystem).toBe('SECONDARY');
    expect(done.manualSwitchover.lastSwitchoverReason).toBe('maintenance window');
  });

  it('a split view (both members claim control, the control plane sees both) never shows two members in control', async () => {
    const id = pairId(4);
    const b = member(4, 'b');
    const seen: Array<[boolean, boolean]> = [];
    let claimedBoth = false;
    for (let i = 0; i < 20; i++) {
      // The secondary believes the primary is dead and claims control.
      nc.publish(
        `${namespace}.agent.${b}.keepalive`,
        JSON.stringify({
          serverId: b,
          sentAt: new Date(Date.parse(origin) + (Date.now() - Date.parse(origin)) * SPEED).toISOString(),
          inControl: true,
          switchingService: 'up',
          ipPhoneService: 'up',
          keepAliveService: 'up',
          replicationStatus: 'monitoring',
          peerReachable: false,
        }),
      );
      const p = await pair(id);
      seen.push([p.primary.inControl, p.secondary.inControl]);
      if (p.primary.claimsControl && p.secondary.claimsControl) claimedBoth = true;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(claimedBoth).toBe(true);
    for (const [primary, secondary] of seen) expect(primary && secondary).toBe(false);
    expect((await pair(id)).activeSystem).toBe('PRIMARY');
    const state = (await sim({ action: 'pairs', pairIds: [id] })) as {
      pairs: Record<string, { secondary: { controlRequests: Array<{ request: { type: string } | null }> } }>;
    };
    expect(state.pairs[id].secondary.controlRequests.some((r) => r.request?.type === 'release-control')).toBe(true);
  });

  it('an update task over 10 pairs updates the standbys first and never both members of a pair at once', async () => {
    await graphql(
      `
        mutation ($input: PublishVersionInput!) {
          publishVersion(input: $input) {
            version
          }
        }
      `,
      {
        input: {
          component: 'SERVER_IMAGE',
          version: '9.1.0.10',
          stage: 'PRODUCTION',
          schemaVersion: '9.1',
          notes: 'e2e',
        },
      },
    );
    const pairs = Array.from({ length: 10 }, (_, i) => i + 5);
    const targets = pairs.flatMap((n) => [member(n, 'a'), member(n, 'b')]);
    const task = await graphql<{ scheduleUpdate: { id: string } }>(
      `
        mutation ($input: ScheduleUpdateInput!) {
          scheduleUpdate(input: $input) {
            id
          }
        }
      `,
      {
        input: {
          name: 'pairs to 9.1.0.10',
          type: 'UPGRADE_IMAGE',
          targets: { serverIds: targets },
          versions: [{ component: 'SERVER_IMAGE', version: '9.1.0.10' }],
          staggerSeconds: 10,
        },
      },
    );
    const taskId = task.scheduleUpdate.id;
    const finished = await pollUntil(
      'task finished',
      async () => {
        const t = await graphql<{ task: { status: string; progress: { completed: number; total: number } } }>(
          `
            query ($id: ID!) {
              task(id: $id) {
                status
                progress {
                  completed
                  total
                }
              }
            }
          `,
          { id: taskId },
        );
        return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(t.task.status) ? t.task : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    expect(finished).toMatchObject({ status: 'COMPLETED', progress: { completed: 20, total: 20 } });

    const history = await events(`rollout-${taskId}`);
    const inFlight = new Set<string>();
    const order: string[] = [];
    for (const e of history) {
      const serverId = e.data.serverId as string | undefined;
      if (e.type === 'ServerUpdateDispatched') {
        const n = Number(serverId!.slice(5, 9));
        const peer = serverId!.endsWith('a') ? member(n, 'b') : member(n, 'a');
        expect(inFlight.has(peer)).toBe(false);
        inFlight.add(serverId!);
        order.push(serverId!);
      }
      if (e.type === 'ServerUpdateCompleted' || e.type === 'ServerUpdateFailed') inFlight.delete(serverId!);
    }
    for (const n of pairs) {
      // Each primary was active: its secondary (the standby) was updated first.
      expect(order.indexOf(member(n, 'b'))).toBeLessThan(order.indexOf(member(n, 'a')));
      const switches = (await events(`pair-${pairId(n)}`)).filter((e) => e.type === 'ControlSwitched');
      expect(switches.map((s) => s.data.kind)).toEqual(['switchover']);
    }
    expect(history.filter((e) => e.type === 'SwitchoverRequested')).toHaveLength(10);
  });

  it('bad input: the same server twice, unknown servers, a keep-alive from a server in no pair, a switchover of an unknown pair', async () => {
    const configure = `mutation ($input: ConfigurePairInput!) { configurePair(input: $input) { id } }`;
    const base = { id: 'pair-bad', redundancyKey: 'a-long-enough-key', primaryServerId: 'srv-00001' };
    const twice = await failure(configure, { input: { ...base, secondaryServerId: 'srv-00001' } });
    expect(twice.code).toBe('BAD_USER_INPUT');
    const unknown = await failure(configure, { input: { ...base, secondaryServerId: 'srv-nope' } });
    expect(unknown.code).toBe('BAD_USER_INPUT');
    expect(unknown.message).toMatch(/srv-nope/);
    const notFound = await failure(`mutation { manualSwitchover(id: "pair-unknown") { id } }`, {});
    expect(notFound.code).toBe('NOT_FOUND');

    nc.publish(
      `${namespace}.agent.srv-00002.keepalive`,
      JSON.stringify({
        serverId: 'srv-00002',
        sentAt: new Date().toISOString(),
        inControl: true,
        switchingService: 'up',
        ipPhoneService: 'up',
        keepAliveService: 'up',
        replicationStatus: 'monitoring',
        peerReachable: true,
      }),
    );
    await new Promise((r) => setTimeout(r, 500));
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM "${schema.schema}".events WHERE stream_id IN ('pair-pair-bad', 'pair-pair-unknown')
          OR (category = 'pair' AND data->>'serverId' = 'srv-00002')`,
    );
    expect(rows[0].n).toBe(0);
    expect(runner!.stdout() + runner!.stderr()).toMatch(
      /keep-alive from srv-00002 refused: the server is in no redundancy pair/,
    );
  });
});
