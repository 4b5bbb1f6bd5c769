import type { AddressInfo } from 'node:net';
import { ConsoleLogger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NatsConnection } from '@nats-io/nats-core';
import { Client } from 'pg';
import { COMPLIANCE_TABLES, issueToken, startGatewayApp } from '@fleetwarden/gateway';
import { connectNats } from '@fleetwarden/messaging';
import { CLOCK, EVENT_STORE, appendEventAs, loadConfig, startServiceForTest } from '@fleetwarden/platform';
import {
  COMPLIANCE_SERVICE,
  COMPLIANCE_SERVICE_OPTIONS,
  ComplianceRuntime,
  type CompliancePassResult,
} from '@fleetwarden/service-compliance';
import type { Clock } from '@fleetwarden/shared-domain';
import type { EventStore } from '@fleetwarden/eventstore';
import {
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  ManualClock,
  serverRegisteredData,
  TEST_NATS_URL,
  type TestSchema,
} from '@fleetwarden/testing';
import { pollUntil } from './support/processes';
import { GraphqlError, graphqlRequest } from './support/stack';

jest.setTimeout(180_000);

const TIME_ZONE = 'Europe/Vienna';
const DAY = 86_400_000;
const RESELLER = 'reseller-1';
const PATCHES = ['openssl_3.0.13-0ubuntu3.4', 'KB5034441'];

/** Installs happen at 10:00 UTC (11:00 or 12:00 in Vienna): day n is `start + n days`. */
const START = Date.parse('2026-01-05T10:00:00Z');
const dayOf = (n: number, hour = 10) => new Date(START + n * DAY + (hour - 10) * 3_600_000).toISOString();

interface ServerCompliance {
  daysSinceLastUpdate: number | null;
  dayCounter: number | null;
  state: 'OK' | 'ALERTED' | 'BREACHED';
  lastInstalledAt: string | null;
  reaches60At: string | null;
  reaches120At: string | null;
}
const COMPLIANCE_FIELDS = 'daysSinceLastUpdate dayCounter state lastInstalledAt reaches60At reaches120At';

// issue 6, "Must show": the patch policy over simulated time with a controlled clock, through the
// gateway and the compliance service on real NATS and PostgreSQL; replay equality; bad input.
describe('patch compliance over simulated days: alerts at 60, breach at 120, charges, urgent and emergency installs', () => {
  const namespace = createTestNamespace('e2epol');
  const clock = new ManualClock(dayOf(-20));
  let schema: TestSchema;
  let service: NestFastifyApplication | undefined;
  let gateway: NestFastifyApplication | undefined;
  let port: number;
  let operator: string;
  let jwtKey: Uint8Array;
  let nc: NatsConnection;
  let db: Client;
  let store: EventStore;
  const notifications: Array<Record<string, unknown>> = [];

  const serviceEnv = () => ({
    natsUrl: TEST_NATS_URL,
    databaseUrl: schema.connectionString,
    schema: schema.schema,
    namespace,
    extraEnv: { FLEETWARDEN_OPERATOR_TIME_ZONE: TIME_ZONE },
  });

  async function startService(): Promise<void> {
    service = await startServiceForTest(COMPLIANCE_SERVICE, serviceEnv(), [
      { token: COMPLIANCE_SERVICE_OPTIONS, value: { clock, evaluateMs: 3_600_000, pollMs: 50, retryMs: 500 } },
    ]);
    store = service.get<EventStore>(EVENT_STORE, { strict: false });
    await pollUntil('compliance leader', async () => (runtime().isLeader ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 50,
    });
  }

  async function startGateway(): Promise<void> {
    const secret = 'policy-e2e-secret-that-is-at-least-32-characters';
    jwtKey = new TextEncoder().encode(secret);
    const config = {
      ...loadConfig({
        NATS_URL: TEST_NATS_URL,
        DATABASE_URL: schema.connectionString,
        FLEETWARDEN_DB_SCHEMA: schema.schema,
        FLEETWARDEN_NAMESPACE: namespace,
        FLEETWARDEN_JWT_SECRET: secret,
        FLEETWARDEN_OPERATOR_TIME_ZONE: TIME_ZONE,
      }),
      port: 0,
    };
    gateway = await startGatewayApp({
      config,
      logger: new ConsoleLogger({ logLevels: ['error', 'fatal'] }),
      relay: false,
    });
    // The gateway reads the same controlled clock as the service.
    gateway.get<Clock>(CLOCK).now = () => clock.now();
    port = (gateway.getHttpServer().address() as AddressInfo).port;
    operator = await issueToken(jwtKey, { sub: 'ops', role: 'operator' }, { ttlSeconds: 3600 });
  }

  const runtime = () => service!.get(ComplianceRuntime, { strict: false });

  const graphql = <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> =>
    graphqlRequest<T>(port, operator, query, variables);

  async function failure(query: string, variables: Record<string, unknown>): Promise<GraphqlError> {
    try {
      await graphql(query, variables);
    } catch (err) {
      if (err instanceof GraphqlError) return err;
      throw err;
    }
    throw new Error('the request succeeded');
  }

  async function compliance(serverId: string): Promise<ServerCompliance | null> {
    const data = await graphql<{ server: { compliance: ServerCompliance | null } }>(
      `query ($id: ID!) { server(id: $id) { compliance { ${COMPLIANCE_FIELDS} } } }`,
      { id: serverId },
    );
    return data.server.compliance;
  }

  /** Waits until the gateway shows the server's last install at `installedAt`. */
  async function installShown(serverId: string, installedAt: string): Promise<ServerCompliance> {
    return pollUntil(
      `${serverId} installed at ${installedAt} in the read model`,
      async () => {
        const c = await compliance(serverId);
        return c?.lastInstalledAt && Date.parse(c.lastInstalledAt) === Date.parse(installedAt) ? c : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
  }

  async function events(serverId: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
    const { rows } = await db.query<{ type: string; data: Record<string, unknown> }>(
      `SELECT type, data FROM "${schema.schema}".events WHERE stream_id = $1 ORDER BY stream_version`,
      [`compliance-${serverId}`],
    );
    return rows;
  }

  const count = async (serverId: string, type: string) =>
    (await events(serverId)).filter((e) => e.type === type).length;

  async function totalEvents(): Promise<number> {
    const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema.schema}".events`);
    return Number(rows[0].n);
  }

  /** Moves the clock to day `n` and runs one evaluation pass, as the leader does every `evaluateMs`. */
  async function goToDay(n: number): Promise<CompliancePassResult> {
    clock.set(dayOf(n));
    return runtime().runEvaluationPass();
  }

  async function install(
    serverId: string,
    startedBy: 'RESELLER' | 'AUTOMATED' | 'OPERATIONS',
    kind: 'REGULAR' | 'URGENT' | 'EMERGENCY' = 'REGULAR',
    urgentUpdateId: string | null = null,
    patches: string[] = PATCHES,
  ): Promise<{ recorded: boolean; charge: { value: number; currency: string } | null; state: string | null }> {
    const data = await graphql<{
      recordPatchInstall: {
        recorded: boolean;
        charge: { value: number; currency: string } | null;
        state: string | null;
      };
    }>(
      `
        mutation (
          $serverId: ID!
          $installedAt: DateTime!
          $patches: [String!]!
          $startedBy: PatchInstallStarter!
          $kind: PatchInstallKind
          $urgentUpdateId: ID
        ) {
          recordPatchInstall(
            serverId: $serverId
            installedAt: $installedAt
            patches: $patches
            startedBy: $startedBy
            kind: $kind
            urgentUpdateId: $urgentUpdateId
          ) {
            recorded
            charge {
              value
              currency
            }
            state
          }
        }
      `,
      { serverId, installedAt: clock.now().toISOString(), patches, startedBy, kind, urgentUpdateId },
    );
    return data.recordPatchInstall;
  }

  beforeAll(async () => {
    schema = await createTestSchema('e2epol');
    db = new Client({ connectionString: schema.connectionString });
    await db.connect();
    nc = await connectNats({ url: TEST_NATS_URL, name: 'e2e-compliance-policy' });
    nc.subscribe(`${namespace}.notify.compliance.>`, {
      callback: (_err, msg) => {
        notifications.push(msg.json<Record<string, unknown>>());
      },
    });
    await startService();
    await startGateway();
    for (const [serverId, hostingProvider] of [
      ['srv-a', 'operator'],
      ['srv-b', 'operator'],
      ['srv-c', 'operator'],
      ['srv-d', 'operator'],
      ['srv-e', 'operator'],
      ['srv-p', 'partner'],
    ] as const) {
      await appendEventAs(
        store,
        `server-${serverId}`,
        'inventory',
        'ServerRegistered',
        serverRegisteredData(serverId, RESELLER, { hostingProvider }),
        RESELLER,
      );
    }
    // The approval cycle: downloaded, piloted on internal servers, watched 14 days, approved.
    await graphql(`mutation { recordPatchBatch(batchId: "batch-1", patches: ${JSON.stringify(PATCHES)}) { id } }`);
    await graphql(`
      mutation {
        pilotPatchBatch(batchId: "batch-1", internalServerIds: ["internal-1"]) {
          id
        }
      }
    `);
    const early = await failure(`mutation { approvePatchBatch(batchId: "batch-1") { id } }`, {});
    expect(early.code).toBe('CONFLICT');
    clock.set(dayOf(-5));
    const approved = await graphql<{ approvePatchBatch: { state: string; approvedAt: string } }>(`
      mutation {
        approvePatchBatch(batchId: "batch-1") {
          state
          approvedAt
        }
      }
    `);
    expect(approved.approvePatchBatch.state).toBe('APPROVED');
    // Day 0: every server is patched by its reseller.
    clock.set(dayOf(0));
    for (const serverId of ['srv-a', 'srv-b', 'srv-c', 'srv-d', 'srv-e', 'srv-p']) {
      expect((await install(serverId, 'RESELLER')).recorded).toBe(true);
    }
    await installShown('srv-a', dayOf(0));
  });

  afterAll(async () => {
    await gateway?.close();
    await service?.close();
    await db?.end();
    await nc?.close();
    await deleteNamespaceStreams(namespace).catch(() => undefined);
    await schema?.drop();
  });

  it('shows day 1 on the install day and null for a partner-hosted server', async () => {
    expect(await compliance('srv-a')).toMatchObject({ daysSinceLastUpdate: 0, dayCounter: 1, state: 'OK' });
    expect(await compliance('srv-p')).toBeNull();
    const a = (await compliance('srv-a'))!;
    // Local midnights in Vienna (UTC+1 in winter, UTC+2 from 29 March 2026).
    expect(a.reaches60At).toBe('2026-03-05T23:00:00.000Z');
    expect(a.reaches120At).toBe('2026-05-04T22:00:00.000Z');
  });

  it('resets to day 1 when the reseller installs on day 30', async () => {
    await goToDay(30);
    expect(await compliance('srv-e')).toMatchObject({ daysSinceLastUpdate: 30, dayCounter: 31 });
    const reply = await install('srv-e', 'RESELLER');
    expect(reply).toMatchObject({ recorded: true, charge: null, state: 'OK' });
    expect(await installShown('srv-e', dayOf(30))).toMatchObject({
      daysSinceLastUpdate: 0,
      dayCounter: 1,
      state: 'OK',
    });
  });

  it('alerts exactly once on day 60 (not on day 59), however many passes run', async () => {
    await goToDay(59);
    expect(await count('srv-a', 'ComplianceAlerted')).toBe(0);
    expect(await compliance('srv-a')).toMatchObject({ daysSinceLastUpdate: 59, dayCounter: 60, state: 'OK' });
    const pass = await goToDay(60);
    expect(pass.alerted).toBeGreaterThanOrEqual(1);
    await runtime().runEvaluationPass();
    clock.set(dayOf(60, 21));
    await runtime().runEvaluationPass();
    expect(await count('srv-a', 'ComplianceAlerted')).toBe(1);
    expect(await compliance('srv-a')).toMatchObject({ daysSinceLastUpdate: 60, state: 'ALERTED' });
    await pollUntil(
      'the reseller notified of the alert',
      async () =>
        notifications.some((n) => n.reseller === RESELLER && n.serverId === 'srv-a' && n.kind === 'alerted')
          ? true
          : undefined,
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    const summary = await graphql<{ compliance: { total: number; ok: number; alerted: number; breached: number } }>(`
      {
        compliance {
          total
          ok
          alerted
          breached
        }
      }
    `);
    // srv-e was patched on day 30; the other four operator-hosted servers are at day 60.
    expect(summary.compliance).toEqual({ total: 5, ok: 1, alerted: 4, breached: 0 });
  });

  it('resets an alerted server with an urgent install on day 100 and records no charge', async () => {
    await goToDay(100);
    const declared = await graphql<{ declareUrgentUpdate: { id: string } }>(`
      mutation {
        declareUrgentUpdate(patches: ["KB9999999"], reason: "actively exploited flaw") {
          id
        }
      }
    `);
    const urgentId = declared.declareUrgentUpdate.id;
    const reply = await install('srv-b', 'OPERATIONS', 'URGENT', urgentId);
    expect(reply).toMatchObject({ recorded: true, charge: null, state: 'OK' });
    expect(await installShown('srv-b', dayOf(100))).toMatchObject({ daysSinceLastUpdate: 0, dayCounter: 1 });
    expect(await count('srv-b', 'ChargeRecorded')).toBe(0);
    const urgent = await pollUntil(
      'the urgent update tracks srv-b as patched',
      async () => {
        const data = await graphql<{
          urgentUpdates: Array<{
            id: string;
            resellers: Array<{ reseller: string; affected: number; patched: number }>;
          }>;
        }>(`
          {
            urgentUpdates {
              id
              resellers {
                reseller
                affected
                patched
              }
            }
          }
        `);
        const u = data.urgentUpdates.find((x) => x.id === urgentId);
        return u && u.resellers[0]?.patched === 1 ? u : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    expect(urgent.resellers).toEqual([{ reseller: RESELLER, affected: 5, patched: 1 }]);
  });

  it('breaches on day 120 (one breach, one operations take-over) and charges $640 once for the operations patch on day 121', async () => {
    await goToDay(119);
    expect(await count('srv-a', 'ComplianceBreached')).toBe(0);
    expect(await compliance('srv-a')).toMatchObject({ daysSinceLastUpdate: 119, state: 'ALERTED' });
    await goToDay(120);
    await runtime().runEvaluationPass();
    expect(await count('srv-a', 'ComplianceBreached')).toBe(1);
    expect(await count('srv-a', 'OperationsPatchScheduled')).toBe(1);
    expect(await count('srv-a', 'ComplianceAlerted')).toBe(1);
    expect(await compliance('srv-a')).toMatchObject({ daysSinceLastUpdate: 120, dayCounter: 121, state: 'BREACHED' });

    await goToDay(121);
    const reply = await install('srv-a', 'OPERATIONS');
    expect(reply).toMatchObject({ recorded: true, charge: { value: 64_000, currency: 'USD' }, state: 'OK' });
    // The same report again (a redelivery) changes nothing.
    expect(await install('srv-a', 'OPERATIONS')).toMatchObject({ recorded: false, charge: null });
    const charges = (await events('srv-a')).filter((e) => e.type === 'ChargeRecorded');
    expect(charges).toHaveLength(1);
    expect(charges[0].data).toMatchObject({ reseller: RESELLER, amount: { value: 64_000, currency: 'USD' } });
    expect(await installShown('srv-a', dayOf(121))).toMatchObject({
      daysSinceLastUpdate: 0,
      dayCounter: 1,
      state: 'OK',
    });
    const list = await pollUntil(
      'the charge in the read model',
      async () => {
        const data = await graphql<{
          charges: {
            items: Array<{ serverId: string; amount: { value: number } }>;
            total: { value: number; currency: string };
          };
        }>(
          `
            query ($from: DateTime!, $to: DateTime!) {
              charges(from: $from, to: $to) {
                items {
                  serverId
                  amount {
                    value
                  }
                }
                total {
                  value
                  currency
                }
              }
            }
          `,
          {
            from: dayOf(0),
            to: dayOf(200),
          },
        );
        return data.charges.items.length > 0 ? data.charges : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    expect(list.items).toEqual([{ serverId: 'srv-a', amount: { value: 64_000 } }]);
    expect(list.total).toEqual({ value: 64_000, currency: 'USD' });
  });

  it('never charges an urgent install by operations on a breached server', async () => {
    await goToDay(125);
    expect(await compliance('srv-d')).toMatchObject({ state: 'BREACHED' });
    const declared = await graphql<{ declareUrgentUpdate: { id: string } }>(`
      mutation {
        declareUrgentUpdate(patches: ["KB8888888"], reason: "second flaw") {
          id
        }
      }
    `);
    const reply = await install('srv-d', 'OPERATIONS', 'URGENT', declared.declareUrgentUpdate.id);
    expect(reply).toMatchObject({ recorded: true, charge: null, state: 'OK' });
    expect(await count('srv-d', 'ChargeRecorded')).toBe(0);
  });

  it('records an emergency update without the reseller, notifies it, and charges nothing for its install', async () => {
    await goToDay(130);
    expect(await compliance('srv-c')).toMatchObject({ state: 'BREACHED' });
    // The hotfix is not approved for customer servers: only this emergency install may carry it.
    const hotfix = ['hotfix-spam-relay_1.0'];
    const emergency = await graphql<{ recordEmergencyUpdate: { id: string; reseller: string } }>(
      `mutation { recordEmergencyUpdate(serverId: "srv-c", patches: ${JSON.stringify(hotfix)}, reason: "sends spam to other customers") { id reseller } }`,
    );
    expect(emergency.recordEmergencyUpdate.reseller).toBe(RESELLER);
    const regular = await failure(
      `mutation ($at: DateTime!) { recordPatchInstall(serverId: "srv-c", installedAt: $at, patches: ${JSON.stringify(hotfix)}, startedBy: OPERATIONS) { recorded } }`,
      { at: clock.now().toISOString() },
    );
    expect(regular.code).toBe('BAD_USER_INPUT');
    const reply = await install('srv-c', 'OPERATIONS', 'EMERGENCY', null, hotfix);
    expect(reply).toMatchObject({ recorded: true, charge: null, state: 'OK' });
    expect(await count('srv-c', 'EmergencyUpdateRecorded')).toBe(1);
    expect(await count('srv-c', 'ChargeRecorded')).toBe(0);
    await pollUntil(
      'the reseller notified of the emergency update',
      async () =>
        notifications.some((n) => n.serverId === 'srv-c' && n.kind === 'emergency-update') ? true : undefined,
      { timeoutMs: 10_000, intervalMs: 50 },
    );
  });

  it('refuses bad input with clear errors and changes nothing', async () => {
    const before = await totalEvents();
    const future = await failure(
      `mutation ($at: DateTime!) { recordPatchInstall(serverId: "srv-a", installedAt: $at, patches: ["KB5034441"], startedBy: RESELLER) { recorded } }`,
      { at: new Date(clock.now().getTime() + DAY).toISOString() },
    );
    expect(future.code).toBe('BAD_USER_INPUT');
    expect(future.message).toMatch(/future/i);
    const unknown = await failure(
      `mutation ($at: DateTime!) { recordPatchInstall(serverId: "srv-nope", installedAt: $at, patches: ["KB5034441"], startedBy: RESELLER) { recorded } }`,
      { at: clock.now().toISOString() },
    );
    expect(unknown.code).toBe('NOT_FOUND');
    expect(unknown.message).toMatch(/srv-nope/);
    const batch = await failure(`mutation { approvePatchBatch(batchId: "batch-nope") { id } }`, {});
    expect(batch.code).toBe('NOT_FOUND');
    expect(batch.message).toMatch(/batch-nope/);
    const unapproved = await failure(
      `mutation ($at: DateTime!) { recordPatchInstall(serverId: "srv-a", installedAt: $at, patches: ["not-approved_1.0"], startedBy: RESELLER) { recorded } }`,
      { at: clock.now().toISOString() },
    );
    expect(unapproved.code).toBe('BAD_USER_INPUT');
    expect(unapproved.message).toMatch(/not-approved_1\.0/);
    // A malformed agent report and one from the future are dropped by the service, which stays up.
    const droppedBefore = runtime().intake.stats.dropped;
    const js = (await import('@nats-io/jetstream')).jetstream(nc);
    await js.publish(`${namespace}.agent.srv-a.patches`, JSON.stringify({ serverId: 'srv-a', patches: 'all' }));
    await js.publish(
      `${namespace}.agent.srv-a.patches`,
      JSON.stringify({
        serverId: 'srv-a',
        installedAt: new Date(clock.now().getTime() + DAY).toISOString(),
        patches: PATCHES,
        startedBy: 'reseller',
        taskId: null,
        sentAt: clock.now().toISOString(),
      }),
    );
    await pollUntil(
      'both bad reports taken and dropped',
      async () => {
        return runtime().intake.stats.dropped >= droppedBefore + 2 ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    expect(await totalEvents()).toBe(before);
    expect(await compliance('srv-a')).toMatchObject({ state: 'OK' });
  });

  it('rebuilds the same counters, states and charges when the history is replayed from zero', async () => {
    const s = `"${schema.schema}"`;
    const snapshot = async () => {
      const tables: Record<string, unknown[]> = {};
      for (const table of COMPLIANCE_TABLES) {
        tables[table] = (await db.query(`SELECT * FROM ${s}.${table} ORDER BY 1, 2`)).rows;
      }
      tables.compliance_servers = (await db.query(`SELECT * FROM ${s}.compliance_servers ORDER BY server_id`)).rows;
      const read = await graphql<Record<string, unknown>>(`{
        compliance { total ok alerted breached buckets { days0to29 days30to59 days60to89 days90to119 days120plus }
                     chargeForecast { days servers amount { value currency } } }
        charges(from: "${dayOf(-30)}", to: "${dayOf(300)}") { items { serverId reseller amount { value currency } daysSinceLastUpdate installedAt at } total { value currency } }
        a: server(id: "srv-a") { compliance { ${COMPLIANCE_FIELDS} } }
        b: server(id: "srv-b") { compliance { ${COMPLIANCE_FIELDS} } }
        c: server(id: "srv-c") { compliance { ${COMPLIANCE_FIELDS} } }
        d: server(id: "srv-d") { compliance { ${COMPLIANCE_FIELDS} } }
        e: server(id: "srv-e") { compliance { ${COMPLIANCE_FIELDS} } }
        p: server(id: "srv-p") { compliance { ${COMPLIANCE_FIELDS} } }
      }`);
      return { tables, read };
    };
    await goToDay(140);
    const before = await snapshot();
    expect(before.tables.rm_compliance_charges).toHaveLength(1);

    // Stop both, forget every compliance read model and checkpoint, start again: all from the events.
    await gateway!.close();
    await service!.close();
    for (const table of COMPLIANCE_TABLES) await db.query(`DELETE FROM ${s}.${table}`);
    await db.query(`DELETE FROM ${s}.compliance_servers`);
    await db.query(`DELETE FROM ${s}.checkpoints WHERE name IN ('gateway.compliance', 'compliance-view')`);
    expect((await db.query(`SELECT count(*)::int AS n FROM ${s}.rm_compliance_servers`)).rows[0].n).toBe(0);
    await startService();
    await startGateway();
    const after = await pollUntil(
      'the replayed read models',
      async () => {
        const snap = await snapshot();
        return JSON.stringify(snap) === JSON.stringify(before) ? snap : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    ).catch(async () => snapshot());
    expect(after).toEqual(before);
  });
});
