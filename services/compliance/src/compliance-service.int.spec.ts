import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Subjects } from '@fleetwarden/contracts';
import { complianceStreamId, urgentUpdateStreamId } from '@fleetwarden/compliance-contracts';
import { createEventStore, type EventStore } from '@fleetwarden/eventstore';
import { JetStreamClientProxy, RemoteCommandError } from '@fleetwarden/messaging';
import { appendEventAs } from '@fleetwarden/platform';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  ManualClock,
  TEST_NATS_URL,
  type TestSchema,
  serverRegisteredData,
} from '@fleetwarden/testing';
import type { ComplianceRuntime } from './compliance-runtime';
import type { PatchJob } from './effects/patch-dispatcher';
import type { ComplianceNotification } from './reactions/compliance-notifications';
import { COMPLIANCE_VIEW_EVENTS, COMPLIANCE_VIEW_PROJECTION, complianceTables } from './view/compliance-view';
import { complianceRuntime, startComplianceForTest } from './testing/compliance-test.harness';

const DAY = 86_400_000;
/** Day 0 of the scenario: 11:00 in Vienna (winter time); the scenario crosses the change to summer time. */
const T0 = Date.parse('2026-01-15T10:00:00.000Z');
const day = (n: number, extraMs = 0): string => new Date(T0 + n * DAY + extraMs).toISOString();
const operator = { role: 'operator', actor: 'operator:olga' };
const reseller = (id: string) => ({ role: 'reseller', reseller: id, actor: `reseller:${id}` });

describe('compliance service (NATS, PostgreSQL, manual clock)', () => {
  let schema: TestSchema;
  let namespace: string;
  let subjects: Subjects;
  let store: EventStore;
  let app: NestFastifyApplication;
  let runtime: ComplianceRuntime;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let client: JetStreamClientProxy;
  let notifications: Subscription;
  const notified: ComplianceNotification[] = [];
  /** The install jobs the service queued for the agents, oldest first (the dispatcher's own table). */
  const jobs = async (): Promise<PatchJob[]> => {
    const { rows } = await store.transaction((tx) =>
      tx.query<{ job: PatchJob }>(`SELECT job FROM ${schema.schema}.compliance_patch_jobs ORDER BY created_at, job_id`),
    );
    return rows.map((r) => r.job);
  };
  const clock = new ManualClock(day(-30));

  const send = <R = Record<string, unknown>>(
    command: string,
    data: unknown,
    meta: Record<string, unknown> = operator,
  ) => client.command<R>(subjects.command('compliance', command), data, { meta });
  const failure = async (command: string, data: unknown, meta: Record<string, unknown> = operator) => {
    try {
      await send(command, data, meta);
    } catch (err) {
      if (err instanceof RemoteCommandError) return { code: err.code, message: err.message };
      throw err;
    }
    throw new Error(`${command} succeeded`);
  };
  const until = async (what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  /** Every event committed so far (the table itself: reads hold back events behind a running transaction). */
  const eventCount = async () => {
    const { rows } = await store.transaction((tx) =>
      tx.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema.schema}.events`),
    );
    return Number(rows[0].n);
  };
  const types = async (serverId: string) => (await store.readStream(complianceStreamId(serverId))).map((e) => e.type);
  const count = async (serverId: string, type: string) => (await types(serverId)).filter((t) => t === type).length;
  /** Waits until the service's view has applied every event of its types committed so far. */
  const viewSettled = () =>
    until('view settled', async () => {
      const { rows } = await store.transaction((tx) =>
        tx.query<{ behind: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM ${schema.schema}.events e
             WHERE e.type = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM ${schema.schema}.checkpoints c
               WHERE c.name = $2 AND (e.transaction_id, e.global_position) <= (c.transaction_id, c.global_position))
           ) AS behind`,
          [COMPLIANCE_VIEW_EVENTS, COMPLIANCE_VIEW_PROJECTION],
        ),
      );
      return !rows[0].behind;
    });
  const pass = async (n: number) => {
    clock.set(day(n));
    await viewSettled();
    return runtime.runEvaluationPass();
  };
  const install = (
    serverId: string,
    at: string,
    extra: Record<string, unknown> = {},
    meta: Record<string, unknown> = operator,
  ) =>
    send<{ recorded: boolean; charge: unknown; unapprovedPatches: string[]; state: string | null }>(
      'RecordPatchInstall',
      { serverId, installedAt: at, patches: ['kb-1'], startedBy: 'reseller', ...extra },
      meta,
    );

  async function register(serverId: string, resellerId: string, hostingProvider = 'operator'): Promise<void> {
    await appendEventAs(
      store,
      `server-${serverId}`,
      'inventory',
      'ServerRegistered',
      serverRegisteredData(serverId, resellerId, { hostingProvider }),
    );
  }

  beforeAll(async () => {
    schema = await createTestSchema('compl_svc');
    namespace = createTestNamespace('complsvc');
    subjects = new Subjects(namespace);
    store = await createEventStore({ databaseUrl: schema.connectionString, schema: schema.schema, poolSize: 4 });
    await store.migrate();
    app = await startComplianceForTest(
      {
        natsUrl: TEST_NATS_URL,
        databaseUrl: schema.connectionString,
        schema: schema.schema,
        namespace,
        extraEnv: { FLEETWARDEN_OPERATOR_TIME_ZONE: 'Europe/Vienna', FLEETWARDEN_BREACH_CHARGE: '640.00 USD' },
      },
      { clock, evaluateMs: 3_600_000, pollMs: 20, retryMs: 200, unknownServerDeliveries: 2 },
    );
    runtime = complianceRuntime(app);
    nc = await connect({ servers: TEST_NATS_URL, name: 'compliance-test' });
    js = jetstream(nc);
    notifications = nc.subscribe(`${namespace}.notify.compliance.>`, {
      callback: (_err, msg) => {
        notified.push(msg.json<ComplianceNotification>());
      },
    });
    client = new JetStreamClientProxy({ connection: { url: TEST_NATS_URL, name: 'compliance-test-client' } });
    await register('s-1', 'r1');
    await register('s-2', 'r1');
    await register('s-3', 'r2');
    await register('s-4', 'r2');
    await register('s-p', 'r2', 'partner');
    await register('s-d', 'r1');
    await appendEventAs(store, 'server-s-d', 'inventory', 'ServerDecommissioned', { serverId: 's-d', reason: null });
    await until('leader', () => runtime.isLeader);
  }, 30_000);

  afterAll(async () => {
    notifications?.unsubscribe();
    await app?.close();
    await client?.close();
    await nc?.drain();
    await store?.close();
    await deleteNamespaceStreams(namespace);
    await schema?.drop();
  }, 30_000);

  it('runs the approval cycle of a patch batch and refuses an unknown batch', async () => {
    await send('RecordPatchBatchDownload', { batchId: 'b-1', patches: ['kb-1', 'kb-2'] });
    clock.set(day(-29));
    await expect(send('RecordPatchBatchPilot', { batchId: 'b-1', internalServerIds: ['int-1'] })).resolves.toEqual({
      batchId: 'b-1',
      watchEndsAt: day(-15),
    });
    clock.set(day(-20));
    expect(await failure('ApprovePatchBatch', { batchId: 'b-1' })).toMatchObject({ code: 'COMPLIANCE.WATCH_NOT_OVER' });
    const before = await eventCount();
    expect(await failure('ApprovePatchBatch', { batchId: 'b-nope' })).toMatchObject({
      code: 'COMPLIANCE.UNKNOWN_BATCH',
    });
    expect(await failure('ApprovePatchBatch', { batchId: 'b-1' }, reseller('r1'))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await eventCount()).toBe(before);
    clock.set(day(-15));
    await expect(send('ApprovePatchBatch', { batchId: 'b-1' })).resolves.toEqual({
      batchId: 'b-1',
      patches: ['kb-1', 'kb-2'],
      approvedAt: day(-15),
    });
  });

  it('records the first installs; refuses bad ones with clear errors and appends nothing', async () => {
    clock.set(day(0));
    await viewSettled();
    for (const [serverId, r] of [
      ['s-1', 'r1'],
      ['s-2', 'r1'],
      ['s-3', 'r2'],
      ['s-4', 'r2'],
    ]) {
      await expect(install(serverId, day(0), {}, reseller(r))).resolves.toEqual({
        serverId,
        recorded: true,
        charge: null,
        unapprovedPatches: [],
        state: 'ok',
      });
    }
    await expect(install('s-p', day(0), {}, reseller('r2'))).resolves.toMatchObject({ recorded: true, state: null });

    clock.set(day(0, 60_000));
    const before = await eventCount();
    expect(
      await failure('RecordPatchInstall', {
        serverId: 's-1',
        installedAt: day(0, 120_000),
        patches: ['kb-1'],
        startedBy: 'reseller',
      }),
    ).toMatchObject({
      code: 'COMPLIANCE.FUTURE_INSTALL',
    });
    expect(
      (
        await failure('RecordPatchInstall', {
          serverId: 's-nope',
          installedAt: day(0),
          patches: ['kb-1'],
          startedBy: 'reseller',
        })
      ).code,
    ).toBe('COMPLIANCE.UNKNOWN_SERVER');
    // another reseller's server and a decommissioned one are unknown
    expect(
      (
        await failure(
          'RecordPatchInstall',
          { serverId: 's-3', installedAt: day(0), patches: ['kb-1'], startedBy: 'reseller' },
          reseller('r1'),
        )
      ).code,
    ).toBe('COMPLIANCE.UNKNOWN_SERVER');
    expect(
      (
        await failure('RecordPatchInstall', {
          serverId: 's-d',
          installedAt: day(0),
          patches: ['kb-1'],
          startedBy: 'reseller',
        })
      ).code,
    ).toBe('COMPLIANCE.UNKNOWN_SERVER');
    const unapproved = await failure('RecordPatchInstall', {
      serverId: 's-1',
      installedAt: day(0, 30_000),
      patches: ['kb-1', 'kb-evil'],
      startedBy: 'automated',
      source: 'system',
    });
    expect(unapproved.code).toBe('COMPLIANCE.UNAPPROVED_PATCH');
    expect(unapproved.message).toContain('kb-evil');
    expect(
      (
        await failure(
          'RecordPatchInstall',
          { serverId: 's-1', installedAt: day(0), patches: ['kb-1'], startedBy: 'operations' },
          reseller('r1'),
        )
      ).code,
    ).toBe('FORBIDDEN');
    expect(
      (
        await failure('RecordPatchInstall', {
          serverId: 's-1',
          installedAt: 'yesterday',
          patches: ['kb-1'],
          startedBy: 'reseller',
        })
      ).message,
    ).toMatch(/installedAt/);
    expect(
      (await failure('DeclareUrgentUpdate', { urgentUpdateId: 'u-x', patches: ['kb-9'], reason: 'r' }, reseller('r1')))
        .code,
    ).toBe('FORBIDDEN');
    expect((await failure('SetAutomatedUpdates', { reseller: 'r2', enabled: false }, reseller('r1'))).code).toBe(
      'FORBIDDEN',
    );
    expect(await eventCount()).toBe(before);
  });

  it('alerts on day 60 exactly once; a reseller install on day 30 restarts the counter at day 1', async () => {
    await pass(59);
    expect(await count('s-1', 'ComplianceAlerted')).toBe(0);
    expect(await runtime.statusOf('s-1')).toMatchObject({ daysSinceLastUpdate: 59, dayCounter: 60, state: 'ok' });

    clock.set(day(30));
    await expect(install('s-4', day(30), {}, reseller('r2'))).resolves.toMatchObject({ recorded: true, state: 'ok' });
    await viewSettled();
    expect(await runtime.statusOf('s-4')).toMatchObject({ daysSinceLastUpdate: 0, dayCounter: 1, state: 'ok' });

    expect(await pass(60)).toMatchObject({ alerted: 3, breached: 0, operationsScheduled: 0, failed: 0 }); // s-1, s-2, s-3
    expect(await pass(60)).toMatchObject({ alerted: 0, breached: 0, operationsScheduled: 0 });
    await pass(61);
    expect(await count('s-1', 'ComplianceAlerted')).toBe(1);
    expect(await count('s-4', 'ComplianceAlerted')).toBe(0);
    expect(await types('s-p')).toEqual(['PatchesInstalled']);
    await until('alert notified', () => notified.some((n) => n.kind === 'alerted' && n.serverId === 's-1'));
    expect(notified.filter((n) => n.kind === 'alerted' && n.serverId === 's-1')).toEqual([
      expect.objectContaining({ reseller: 'r1', daysSinceLastUpdate: 60, at: day(60) }),
    ]);
  }, 20_000);

  it('an urgent install on day 100 resets the counter without a charge and counts for the urgent update', async () => {
    clock.set(day(90));
    await viewSettled();
    await expect(
      send('DeclareUrgentUpdate', { urgentUpdateId: 'u-1', patches: ['kb-zero-day'], reason: 'exploited in the wild' }),
    ).resolves.toEqual({ urgentUpdateId: 'u-1', resellerCount: 2, serverCount: 4 });
    await until('urgent notified', () => notified.filter((n) => n.kind === 'urgent-update-declared').length === 2);
    expect(
      notified
        .filter((n) => n.kind === 'urgent-update-declared')
        .map((n) => [n.reseller, n.serverIds])
        .sort(),
    ).toEqual([
      ['r1', ['s-1', 's-2']],
      ['r2', ['s-3', 's-4']],
    ]);
    await viewSettled();
    clock.set(day(100));
    // s-2, alerted since day 60, installs the urgent update by operations: not charged
    await expect(
      install('s-2', day(100), {
        patches: ['kb-zero-day'],
        startedBy: 'operations',
        kind: 'urgent',
        urgentUpdateId: 'u-1',
        source: 'system',
      }),
    ).resolves.toEqual({ serverId: 's-2', recorded: true, charge: null, unapprovedPatches: [], state: 'ok' });
    await until('urgent progress', async () =>
      (await store.readStream(urgentUpdateStreamId('u-1'))).some((e) => e.type === 'UrgentUpdateServerPatched'),
    );
    const progress = (await store.readStream(urgentUpdateStreamId('u-1'))).map((e) => [
      e.type,
      (e.data as { serverId?: string }).serverId,
    ]);
    expect(progress).toEqual([
      ['UrgentUpdateDeclared', undefined],
      ['UrgentUpdateServerPatched', 's-2'],
    ]);
    // The urgent progress is a reaction: count once it is in, so that only the refusal is measured.
    const before = await eventCount();
    expect(
      (
        await failure('RecordPatchInstall', {
          serverId: 's-2',
          installedAt: day(100),
          patches: ['kb-zero-day'],
          startedBy: 'reseller',
          kind: 'urgent',
          urgentUpdateId: 'u-nope',
        })
      ).code,
    ).toBe('COMPLIANCE.UNKNOWN_URGENT_UPDATE');
    expect(await eventCount()).toBe(before);
    expect(await count('s-2', 'ChargeRecorded')).toBe(0);
    await viewSettled();
    expect(await runtime.statusOf('s-2')).toMatchObject({ daysSinceLastUpdate: 0, dayCounter: 1 });
  }, 20_000);

  it('breaches and hands over to operations on day 120 once; the operations install on day 121 is charged once', async () => {
    await pass(119);
    expect(await count('s-1', 'ComplianceBreached')).toBe(0);
    expect(await pass(120)).toMatchObject({ alerted: 0, breached: 2, operationsScheduled: 2, failed: 0 }); // s-1, s-3
    expect(await pass(120)).toMatchObject({ alerted: 0, breached: 0, operationsScheduled: 0 });
    expect(await count('s-1', 'ComplianceAlerted')).toBe(1);
    expect(await count('s-1', 'ComplianceBreached')).toBe(1);
    expect(await count('s-1', 'OperationsPatchScheduled')).toBe(1);
    expect(await count('s-2', 'ComplianceBreached')).toBe(0);
    await until('operations job', async () =>
      (await jobs()).some((j) => j.serverId === 's-1' && j.startedBy === 'operations'),
    );
    expect((await jobs()).filter((j) => j.serverId === 's-1')).toEqual([
      expect.objectContaining({
        startedBy: 'operations',
        kind: 'regular',
        patches: ['kb-1', 'kb-2'],
        urgentUpdateId: null,
        jobId: expect.stringMatching(/^ops-/),
      }),
    ]);
    await until('breach notified', () => notified.some((n) => n.kind === 'breached' && n.serverId === 's-1'));

    clock.set(day(121));
    const job = (await jobs()).find((j) => j.serverId === 's-1')!;
    const installed = { startedBy: 'operations', kind: 'regular', source: 'system', patches: job.patches };
    await expect(install('s-1', day(121), installed)).resolves.toEqual({
      serverId: 's-1',
      recorded: true,
      charge: { value: 64_000, currency: 'USD' },
      unapprovedPatches: [],
      state: 'ok',
    });
    await expect(install('s-1', day(121), installed)).resolves.toMatchObject({ recorded: false, charge: null });
    const charges = (await store.readStream(complianceStreamId('s-1'))).filter((e) => e.type === 'ChargeRecorded');
    expect(charges).toHaveLength(1);
    expect(charges[0].data).toMatchObject({
      reseller: 'r1',
      amount: { value: 64_000, currency: 'USD' },
      daysSinceLastUpdate: 121,
    });
    await until('charge notified', () => notified.some((n) => n.kind === 'charged' && n.serverId === 's-1'));
    await pass(122);
    expect(await count('s-1', 'ComplianceAlerted')).toBe(1);
    expect(await count('s-1', 'ComplianceBreached')).toBe(1);
  }, 20_000);

  it('sends an emergency update at once; its install on a breached server is not charged', async () => {
    clock.set(day(125));
    expect(await count('s-3', 'ComplianceBreached')).toBe(1);
    const emergency = { serverId: 's-3', emergencyUpdateId: 'em-1', patches: ['kb-2'], reason: 'sends spam' };
    await expect(send('RecordEmergencyUpdate', emergency)).resolves.toEqual({
      serverId: 's-3',
      emergencyUpdateId: 'em-1',
      reseller: 'r2',
    });
    await send('RecordEmergencyUpdate', emergency);
    expect(await count('s-3', 'EmergencyUpdateRecorded')).toBe(1);
    expect(
      (await failure('RecordEmergencyUpdate', { ...emergency, emergencyUpdateId: 'em-2' }, reseller('r2'))).code,
    ).toBe('FORBIDDEN');
    await until('emergency job', async () => (await jobs()).some((j) => j.kind === 'emergency'));
    expect((await jobs()).filter((j) => j.kind === 'emergency')).toEqual([
      expect.objectContaining({ serverId: 's-3', startedBy: 'operations', patches: ['kb-2'], urgentUpdateId: null }),
    ]);
    await until('emergency notified', () => notified.some((n) => n.kind === 'emergency-update' && n.reseller === 'r2'));
    await expect(
      install('s-3', day(125), { patches: ['kb-2'], startedBy: 'operations', kind: 'emergency', source: 'system' }),
    ).resolves.toMatchObject({ recorded: true, charge: null, state: 'ok' });
    expect(await count('s-3', 'ChargeRecorded')).toBe(0);
  });

  it('records agent reports from JetStream; drops malformed and refused ones without events', async () => {
    clock.set(day(126));
    const publish = (serverId: string, body: unknown, id: string) =>
      js.publish(subjects.agent(serverId, 'patches'), JSON.stringify(body), { msgID: id });
    const report = (serverId: string, extra: Record<string, unknown> = {}) => ({
      serverId,
      installedAt: day(126, -3_600_000),
      patches: ['kb-1'],
      startedBy: 'reseller',
      sentAt: day(126),
      ...extra,
    });
    const dropped = runtime.intake.stats.dropped;
    const before = await eventCount();
    await publish('s-4', { serverId: 's-4', patches: 'all' }, 'bad-1');
    await js.publish(subjects.agent('s-4', 'patches'), 'not json', { msgID: 'bad-2' });
    await publish('s-4', report('s-3'), 'bad-3'); // subject and body disagree
    await publish('s-4', report('s-4', { installedAt: day(127) }), 'bad-4'); // future
    await publish('s-nope', report('s-nope'), 'bad-5');
    await publish('s-4', report('s-4', { patches: ['kb-evil'], taskId: 'job-1', startedBy: 'automated' }), 'bad-6');
    await until('bad reports dropped', () => runtime.intake.stats.dropped - dropped === 6);
    expect(await eventCount()).toBe(before);

    // A report that arrives before the server's registration waits for it.
    await publish('s-late', report('s-late'), 'late-1');
    await until('the report put back', () => runtime.intake.stats.waiting > 0);
    await register('s-late', 'r-late');
    await until('late report recorded', async () => (await count('s-late', 'PatchesInstalled')) === 1);

    await publish('s-4', report('s-4', { patches: ['kb-7'] }), 'good-1');
    await until('report recorded', async () => (await count('s-4', 'PatchesInstalled')) === 3);
    const events = await store.readStream(complianceStreamId('s-4'));
    expect(events.slice(-2).map((e) => [e.type, e.data])).toEqual([
      [
        'PatchesInstalled',
        expect.objectContaining({ installedAt: day(126, -3_600_000), source: 'outside', outsideApproval: true }),
      ],
      ['UnapprovedPatchFlagged', expect.objectContaining({ patches: ['kb-7'] })],
    ]);
  });

  it('sends automated updates inside the maintenance window, once per interval', async () => {
    // 12:00 local in Vienna (summer time): inside 11:00-13:00
    clock.set(day(126));
    await send(
      'SetAutomatedUpdates',
      {
        reseller: 'r1',
        enabled: true,
        schedule: { intervalDays: 7, window: { start: '11:00', end: '13:00', timeZone: 'Europe/Vienna' } },
      },
      reseller('r1'),
    );
    await viewSettled();
    const auto = async () => (await jobs()).filter((j) => j.startedBy === 'automated');
    clock.set(day(126, 3 * 3_600_000)); // 15:00 local: outside the window
    await viewSettled();
    expect((await runtime.runEvaluationPass()).automated).toBe(0);
    clock.set(day(127)); // s-1 last installed on day 121 (6 days ago), s-2 on day 100
    const first = await runtime.runEvaluationPass();
    expect((await auto()).map((j) => j.serverId)).toEqual(['s-2']);
    expect(first.automated).toBe(1);
    clock.set(day(128)); // s-1: 7 days; s-2 was sent a job yesterday
    expect((await runtime.runEvaluationPass()).automated).toBe(1);
    expect(await auto()).toEqual([
      expect.objectContaining({
        serverId: 's-2',
        kind: 'regular',
        patches: ['kb-1', 'kb-2'],
        jobId: 'auto-s-2-20260522',
      }),
      expect.objectContaining({
        serverId: 's-1',
        kind: 'regular',
        patches: ['kb-1', 'kb-2'],
        jobId: 'auto-s-1-20260523',
      }),
    ]);
    expect((await runtime.runEvaluationPass()).automated).toBe(0);
    clock.set(day(133));
    expect((await runtime.runEvaluationPass()).automated).toBe(0);
    clock.set(day(134)); // 7 days after s-2's job (no install came)
    expect((await runtime.runEvaluationPass()).automated).toBe(1);
  });

  it('absorbs a burst of agent reports in batches', async () => {
    const n = Number(process.env.COMPLIANCE_REPORTS_N ?? 2000);
    const ids = Array.from({ length: n }, (_, i) => `burst-${i}`);
    const t = complianceTables(schema.schema);
    for (let i = 0; i < n; i += 200)
      await Promise.all(ids.slice(i, i + 200).map((id) => register(id, 'r9', 'partner')));
    await until(
      'burst servers in view',
      async () => {
        const { rows } = await store.transaction((tx) =>
          tx.query<{ n: string }>(`SELECT count(*) AS n FROM ${t.servers} WHERE reseller_id = 'r9'`),
        );
        return Number(rows[0].n) === n;
      },
      30_000,
    );
    const recorded = runtime.intake.stats.recorded;
    const started = performance.now();
    await Promise.all(
      ids.map((id) =>
        js.publish(
          subjects.agent(id, 'patches'),
          JSON.stringify({
            serverId: id,
            installedAt: day(126),
            patches: ['kb-1'],
            startedBy: 'automated',
            sentAt: day(126),
          }),
          { msgID: `burst:${id}` },
        ),
      ),
    );
    await until('burst recorded', () => runtime.intake.stats.recorded - recorded === n, 40_000);
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `compliance: ${n} agent patch reports recorded in ${seconds.toFixed(2)} s (${Math.round(n / seconds)}/s)\n`,
    );
    expect(await types(ids[n - 1])).toEqual(['PatchesInstalled']);
  }, 60_000);
});
