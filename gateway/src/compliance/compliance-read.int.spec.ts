import {
  complianceStreamId,
  patchAutomationStreamId,
  patchBatchStreamId,
  urgentUpdateStreamId,
} from '@fleetwarden/compliance-contracts';
import type { EventStore } from '@fleetwarden/eventstore';
import {
  TEST_NATS_URL,
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  type TestSchema,
} from '@fleetwarden/testing';
import { GraphQLWsClient } from '../testing/graphql-ws-client';
import {
  appendServer,
  event,
  serverRegistered,
  startGatewayTestKit,
  waitFor,
  type GatewayTestKit,
  type GraphQLBody,
} from '../testing/gateway-test-kit';
import { COMPLIANCE_TABLES, ComplianceProjection, rebuildComplianceReadModel } from './compliance.projection';
import { chargeRecorded, patchesInstalled, threshold } from './testing/compliance-events';

const TZ = 'Europe/Vienna';
/** The gateway's clock: Monday 30 March 2026, 12:00 in Vienna (CEST since Sunday 02:00). */
const NOW = '2026-03-30T10:00:00.000Z';
const CHARGE = { value: 70_050, currency: 'USD' };

/**
 * Installs, with the local (Vienna) day they fall on and the days since, worked out by hand:
 * `late` is on 29 March locally but 28 March in UTC; `alert` on 29 January locally, 28 in UTC.
 */
const INSTALLS = {
  today: '2026-03-30T06:00:00.000Z', // 30 Mar 08:00 CEST: 0 days
  late: '2026-03-28T23:30:00.000Z', // 29 Mar 00:30 CET: 1 day
  d59: '2026-01-30T22:59:00.000Z', // 30 Jan 23:59 CET: 59 days
  alert: '2026-01-28T23:10:00.000Z', // 29 Jan 00:10 CET: 60 days
  d95: '2025-12-25T12:00:00.000Z', // 25 Dec: 95 days
  breach: '2025-11-30T12:00:00.000Z', // 30 Nov: 120 days
  r2a: '2026-03-20T12:00:00.000Z', // 20 Mar: 10 days
  r2b: '2025-12-20T12:00:00.000Z', // 20 Dec: 100 days
};

/** [server, reseller, hosting provider, last install (null: none)] */
const SERVERS: Array<[string, string, 'operator' | 'partner', string | null]> = [
  ['s-today', 'r1', 'operator', INSTALLS.today],
  ['s-late', 'r1', 'operator', INSTALLS.late],
  ['s-59', 'r1', 'operator', INSTALLS.d59],
  ['s-alert', 'r1', 'operator', INSTALLS.alert],
  ['s-95', 'r1', 'operator', INSTALLS.d95],
  ['s-breach', 'r1', 'operator', INSTALLS.breach],
  ['s-never', 'r1', 'operator', null],
  ['s-partner', 'r1', 'partner', INSTALLS.breach],
  ['s-decom', 'r1', 'operator', INSTALLS.breach],
  ['s-r2a', 'r2', 'operator', INSTALLS.r2a],
  ['s-r2b', 'r2', 'operator', INSTALLS.r2b],
];

const SUMMARY = `{ total ok alerted breached
  buckets { days0to29 days30to59 days60to89 days90to119 days120plus }
  chargeForecast { days servers amount { value currency } } }`;
const COMPLIANCE = 'compliance { daysSinceLastUpdate dayCounter state lastInstalledAt reaches60At reaches120At }';

const forecast = (servers: [number, number, number]) =>
  [30, 60, 90].map((days, i) => ({
    days,
    servers: servers[i],
    amount: { value: servers[i] * CHARGE.value, currency: 'USD' },
  }));

async function tableRows(store: EventStore, schema: string): Promise<Record<string, unknown[]>> {
  const rows: Record<string, unknown[]> = {};
  for (const table of COMPLIANCE_TABLES) {
    const { rows: r } = await store.transaction((tx) =>
      tx.query(`SELECT to_jsonb(t) AS row FROM "${schema}".${table} t ORDER BY to_jsonb(t)::text`),
    );
    rows[table] = r.map((x) => (x as { row: unknown }).row);
  }
  return rows;
}

describe('compliance read model and queries (PostgreSQL, NATS)', () => {
  let kit: GatewayTestKit;
  let schema: TestSchema;
  const namespace = createTestNamespace('gwcmp');
  const tokens: Record<string, string> = {};

  const gql = async (query: string, token?: string, variables?: Record<string, unknown>): Promise<GraphQLBody> =>
    (await kit.graphql(query, { token, variables })).body;

  beforeAll(async () => {
    schema = await createTestSchema('gwcmp');
    kit = await startGatewayTestKit({
      natsUrl: TEST_NATS_URL,
      databaseUrl: schema.connectionString,
      schema: schema.schema,
      namespace,
      config: { operatorTimeZone: TZ, breachCharge: { value: CHARGE.value, currency: 'USD' } },
    });
    kit.setNow(NOW);
    tokens.operator = await kit.token({ sub: 'alice', role: 'operator' });
    tokens.auditor = await kit.token({ sub: 'audrey', role: 'auditor' });
    tokens.r1 = await kit.token({ sub: 'bob', role: 'reseller', reseller: 'r1' });
    tokens.r2 = await kit.token({ sub: 'carol', role: 'reseller', reseller: 'r2' });

    for (const [id, reseller, hostingProvider, installedAt] of SERVERS) {
      await appendServer(kit.store, id, [
        serverRegistered(id, reseller, `${reseller}-c`, { hostingProvider }),
        ...(id === 's-decom' ? [event('ServerDecommissioned', { serverId: id, reason: 'retired' })] : []),
      ]);
      if (installedAt) {
        await kit.store.append(complianceStreamId(id), [
          patchesInstalled(id, reseller, '2025-06-01T10:00:00.000Z', { hostingProvider }),
          patchesInstalled(id, reseller, installedAt, { hostingProvider, startedBy: 'operations' }),
        ]);
      }
    }
    const s = complianceStreamId;
    await kit.store.append(s('s-never'), [threshold('ComplianceBreached', 's-never', 'r1', null, null, NOW)]);
    await kit.store.append(s('s-alert'), [threshold('ComplianceAlerted', 's-alert', 'r1', INSTALLS.alert, 60, NOW)]);
    await kit.store.append(s('s-breach'), [
      threshold('ComplianceAlerted', 's-breach', 'r1', INSTALLS.breach, 60, '2026-01-29T00:00:00.000Z'),
      threshold('ComplianceBreached', 's-breach', 'r1', INSTALLS.breach, 120, NOW),
      threshold('OperationsPatchScheduled', 's-breach', 'r1', INSTALLS.breach, 120, NOW),
      chargeRecorded('s-breach', 'r1', '2026-03-01T10:00:00.000Z'),
      chargeRecorded('s-breach', 'r1', '2026-03-20T10:00:00.000Z', { daysSinceLastUpdate: null }),
      chargeRecorded('s-breach', 'r1', '2026-03-21T00:00:00.000Z'),
    ]);
    await kit.store.append(s('s-r2b'), [chargeRecorded('s-r2b', 'r2', '2026-03-10T10:00:00.000Z')]);
    // An alert cycle ended by a later install.
    await kit.store.append(s('s-r2a'), [
      threshold('ComplianceAlerted', 's-r2a', 'r2', '2025-06-01T10:00:00.000Z', 60, '2025-07-31T00:00:00.000Z'),
      patchesInstalled('s-r2a', 'r2', '2026-03-21T12:00:00.000Z'),
      // Older than the latest: counts as an install, changes nothing else.
      patchesInstalled('s-r2a', 'r2', INSTALLS.r2a, { kind: 'urgent', urgentUpdateId: 'u-1' }),
    ]);
    await kit.store.append(urgentUpdateStreamId('u-1'), [
      event('UrgentUpdateDeclared', {
        urgentUpdateId: 'u-1',
        patches: ['openssl_3.0.13'],
        reason: 'remote code execution',
        resellers: [
          { reseller: 'r1', serverIds: ['s-today', 's-late'] },
          { reseller: 'r2', serverIds: ['s-r2a'] },
        ],
        by: 'operator:alice',
        at: '2026-03-19T08:00:00.000Z',
      }),
      ...[0, 1].map(() =>
        event('UrgentUpdateServerPatched', {
          urgentUpdateId: 'u-1',
          reseller: 'r1',
          serverId: 's-today',
          installedAt: INSTALLS.today,
          at: INSTALLS.today,
        }),
      ),
      event('UrgentUpdateServerPatched', {
        urgentUpdateId: 'u-1',
        reseller: 'r2',
        serverId: 's-r2a',
        installedAt: INSTALLS.r2a,
        at: INSTALLS.r2a,
      }),
      event('UrgentUpdateResellerCompleted', { urgentUpdateId: 'u-1', reseller: 'r2', at: INSTALLS.r2a }),
    ]);
    await kit.store.append(patchBatchStreamId('b-1'), [
      event('PatchBatchDownloaded', {
        batchId: 'b-1',
        patches: ['KB1', 'KB2'],
        by: 'system:cycle',
        at: '2026-03-01T06:00:00.000Z',
      }),
      event('PatchBatchPiloted', {
        batchId: 'b-1',
        internalServerIds: ['int-1'],
        watchEndsAt: '2026-03-16T06:00:00.000Z',
        by: 'operator:alice',
        at: '2026-03-02T06:00:00.000Z',
      }),
      event('PatchBatchApproved', {
        batchId: 'b-1',
        patches: ['KB1', 'KB2'],
        pilotedAt: '2026-03-02T06:00:00.000Z',
        watchEndsAt: '2026-03-16T06:00:00.000Z',
        by: 'operator:alice',
        at: '2026-03-17T06:00:00.000Z',
      }),
    ]);
    await kit.store.append(patchBatchStreamId('b-2'), [
      event('PatchBatchDownloaded', {
        batchId: 'b-2',
        patches: ['KB3'],
        by: 'system:cycle',
        at: '2026-03-15T06:00:00.000Z',
      }),
    ]);
    await kit.store.append(patchAutomationStreamId('r1'), [
      event('AutomatedUpdatesSet', {
        reseller: 'r1',
        enabled: true,
        schedule: { intervalDays: 7, window: { start: '22:00', end: '04:00', timeZone: TZ } },
        by: 'reseller:bob',
        at: '2026-03-01T06:00:00.000Z',
      }),
    ]);
    await waitFor('projected', async () => {
      const body = await gql(
        `{ compliance { total } patchBatches { id } server(id: "s-r2b") { id } }`,
        tokens.operator,
      );
      const all = body.data?.compliance as { total: number } | undefined;
      return all?.total === 9 && (body.data?.patchBatches as unknown[]).length === 2 ? true : undefined;
    });
    // The last events appended: once they show, every earlier one does.
    await waitFor('automation projected', async () => {
      const { rows } = await kit.store.transaction((tx) =>
        tx.query(`SELECT 1 FROM "${schema.schema}".rm_patch_automation`),
      );
      return rows.length === 1 ? true : undefined;
    });
  }, 30_000);

  afterAll(async () => {
    await kit?.close();
    await deleteNamespaceStreams(namespace).catch(() => undefined);
    await schema?.drop();
  });

  it("counts per state and bucket by local days in the operator's time zone, and forecasts the charges", async () => {
    const body = await gql(`{ r1: compliance(reseller: "r1") ${SUMMARY} all: compliance ${SUMMARY} }`, tokens.operator);
    expect(body.errors).toBeUndefined();
    expect(body.data!.r1).toEqual({
      total: 7,
      ok: 3,
      alerted: 2,
      breached: 2,
      buckets: { days0to29: 2, days30to59: 1, days60to89: 1, days90to119: 1, days120plus: 2 },
      chargeForecast: forecast([3, 4, 5]),
    });
    expect(body.data!.all).toEqual({
      total: 9,
      ok: 4,
      alerted: 3,
      breached: 2,
      buckets: { days0to29: 3, days30to59: 1, days60to89: 1, days90to119: 2, days120plus: 2 },
      chargeForecast: forecast([4, 5, 6]),
    });
  });

  it('shows each server’s counters, null for partner-hosted and decommissioned servers, breached when never installed', async () => {
    const ids = ['s-today', 's-late', 's-59', 's-alert', 's-95', 's-breach', 's-never', 's-partner', 's-decom'];
    const body = await gql(
      `{ ${ids.map((id) => `${id.replace('-', '_')}: server(id: "${id}") { ${COMPLIANCE} }`).join(' ')} }`,
      tokens.operator,
    );
    expect(body.errors).toBeUndefined();
    const c = (id: string) => (body.data![id.replace('-', '_')] as { compliance: unknown }).compliance;
    const counters = (days: number, state: string, installed: string, at60: string, at120: string) => ({
      daysSinceLastUpdate: days,
      dayCounter: days + 1,
      state,
      lastInstalledAt: installed,
      reaches60At: at60,
      reaches120At: at120,
    });
    // Local midnights as instants: CEST (UTC+2) from 29 March, CET (UTC+1) before.
    expect(c('s-today')).toEqual(
      counters(0, 'OK', INSTALLS.today, '2026-05-28T22:00:00.000Z', '2026-07-27T22:00:00.000Z'),
    );
    expect(c('s-late')).toEqual(
      counters(1, 'OK', INSTALLS.late, '2026-05-27T22:00:00.000Z', '2026-07-26T22:00:00.000Z'),
    );
    expect(c('s-59')).toEqual(counters(59, 'OK', INSTALLS.d59, '2026-03-30T22:00:00.000Z', '2026-05-29T22:00:00.000Z'));
    expect(c('s-alert')).toEqual(
      counters(60, 'ALERTED', INSTALLS.alert, '2026-03-29T22:00:00.000Z', '2026-05-28T22:00:00.000Z'),
    );
    expect(c('s-95')).toEqual(
      counters(95, 'ALERTED', INSTALLS.d95, '2026-02-22T23:00:00.000Z', '2026-04-23T22:00:00.000Z'),
    );
    expect(c('s-breach')).toEqual(
      counters(120, 'BREACHED', INSTALLS.breach, '2026-01-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z'),
    );
    expect(c('s-never')).toEqual({
      daysSinceLastUpdate: null,
      dayCounter: null,
      state: 'BREACHED',
      lastInstalledAt: null,
      reaches60At: null,
      reaches120At: null,
    });
    expect(c('s-partner')).toBeNull();
    expect(c('s-decom')).toBeNull();
  });

  it('changes day at local midnight, on the 23-hour and on the 25-hour day', async () => {
    const days = async (now: string) => {
      kit.setNow(now);
      const body = await gql(`{ server(id: "s-today") { compliance { daysSinceLastUpdate state } } }`, tokens.r1);
      return (body.data!.server as { compliance: { daysSinceLastUpdate: number; state: string } }).compliance;
    };
    try {
      expect(await days('2026-03-30T21:59:59.999Z')).toEqual({ daysSinceLastUpdate: 0, state: 'OK' });
      expect(await days('2026-03-30T22:00:00.000Z')).toEqual({ daysSinceLastUpdate: 1, state: 'OK' });
      // 25 October 2026: back to CET at 03:00, local midnight is 23:00 UTC.
      expect(await days('2026-10-25T22:59:59.999Z')).toEqual({ daysSinceLastUpdate: 209, state: 'BREACHED' });
      expect(await days('2026-10-25T23:00:00.000Z')).toEqual({ daysSinceLastUpdate: 210, state: 'BREACHED' });
    } finally {
      kit.setNow(NOW);
    }
  });

  it("shows a reseller its own servers and charges only; another reseller's is FORBIDDEN or null", async () => {
    const own = await gql(`{ compliance ${SUMMARY} }`, tokens.r2);
    expect(own.data!.compliance).toMatchObject({ total: 2, ok: 1, alerted: 1, breached: 0 });
    const other = await gql('{ compliance(reseller: "r1") { total } }', tokens.r2);
    expect(other.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    const server = await gql(`{ server(id: "s-today") { ${COMPLIANCE} } }`, tokens.r2);
    expect(server.data).toEqual({ server: null });
    const charges = await gql(
      '{ charges(from: "2026-01-01T00:00:00Z", to: "2026-04-01T00:00:00Z") { items { serverId reseller } } }',
      tokens.r2,
    );
    expect(charges.data!.charges).toEqual({ items: [{ serverId: 's-r2b', reseller: 'r2' }] });
    const otherCharges = await gql(
      '{ charges(reseller: "r1", from: "2026-01-01T00:00:00Z", to: "2026-04-01T00:00:00Z") { total { value } } }',
      tokens.r2,
    );
    expect(otherCharges.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    const auditor = await gql('{ compliance(reseller: "r2") { total } }', tokens.auditor);
    expect(auditor.data).toEqual({ compliance: { total: 2 } });
    const anonymous = await gql('{ compliance { total } }');
    expect(anonymous.errors![0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('lists the charges of a range, from inclusive and to exclusive, with their sum', async () => {
    const query = `query($reseller: ID, $from: DateTime!, $to: DateTime!) { charges(reseller: $reseller, from: $from, to: $to) {
      items { serverId reseller amount { value currency } reason daysSinceLastUpdate installedAt at } total { value currency } } }`;
    const body = await gql(query, tokens.operator, {
      from: '2026-03-01T10:00:00.000Z',
      to: '2026-03-21T00:00:00.000Z',
    });
    expect(body.errors).toBeUndefined();
    const list = body.data!.charges as { items: Array<Record<string, unknown>>; total: unknown };
    expect(list.items.map((i) => [i.serverId, i.at])).toEqual([
      ['s-breach', '2026-03-01T10:00:00.000Z'],
      ['s-r2b', '2026-03-10T10:00:00.000Z'],
      ['s-breach', '2026-03-20T10:00:00.000Z'],
    ]);
    expect(list.items[2]).toEqual({
      serverId: 's-breach',
      reseller: 'r1',
      amount: { value: 64_000, currency: 'USD' },
      reason: 'operations installed the OS updates of a breached server',
      daysSinceLastUpdate: null,
      installedAt: '2026-03-20T10:00:00.000Z',
      at: '2026-03-20T10:00:00.000Z',
    });
    expect(list.total).toEqual({ value: 192_000, currency: 'USD' });
    const r1 = await gql(query, tokens.operator, {
      reseller: 'r1',
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-03-22T00:00:00.000Z',
    });
    expect(r1.data!.charges).toMatchObject({ total: { value: 192_000, currency: 'USD' } });
    const none = await gql(query, tokens.operator, {
      from: '2025-01-01T00:00:00.000Z',
      to: '2025-02-01T00:00:00.000Z',
    });
    expect(none.data!.charges).toEqual({ items: [], total: { value: 0, currency: 'USD' } });
  });

  it('refuses a charge range that is empty, reversed or longer than 400 days, naming the argument', async () => {
    const query = '{ charges(from: "%F", to: "%T") { total { value } } }';
    const ask = (from: string, to: string) => gql(query.replace('%F', from).replace('%T', to), tokens.operator);
    for (const [from, to, message] of [
      ['2026-03-02T00:00:00Z', '2026-03-01T00:00:00Z', 'must be after "from"'],
      ['2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z', 'must be after "from"'],
      ['2025-01-01T00:00:00Z', '2026-02-05T00:00:01Z', 'at most 400 days'],
    ]) {
      const body = await ask(from, to);
      expect(body.data).toBeNull();
      expect(body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'to' });
      expect(body.errors![0].message).toContain(message);
    }
    expect((await ask('2025-01-01T00:00:00Z', '2026-02-05T00:00:00Z')).errors).toBeUndefined();
    const garbage = await ask('yesterday', '2026-03-01T00:00:00Z');
    expect(garbage.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'from' });
  });

  it('tracks urgent updates per reseller, each server once; a reseller sees its own progress only', async () => {
    const query =
      '{ urgentUpdates { id patches reason declaredAt resellers { reseller affected patched completed } completed } }';
    const operator = await gql(query, tokens.operator);
    expect(operator.data!.urgentUpdates).toEqual([
      {
        id: 'u-1',
        patches: ['openssl_3.0.13'],
        reason: 'remote code execution',
        declaredAt: '2026-03-19T08:00:00.000Z',
        resellers: [
          { reseller: 'r1', affected: 2, patched: 1, completed: false },
          { reseller: 'r2', affected: 1, patched: 1, completed: true },
        ],
        completed: false,
      },
    ]);
    const r1 = await gql('{ urgentUpdates { id resellers { reseller patched } } }', tokens.r1);
    expect(r1.data!.urgentUpdates).toEqual([{ id: 'u-1', resellers: [{ reseller: 'r1', patched: 1 }] }]);
  });

  it('lists patch batches newest first with their approval cycle', async () => {
    const body = await gql(
      '{ patchBatches { id state patches downloadedAt pilotedAt watchEndsAt approvedAt } }',
      tokens.r1,
    );
    expect(body.data!.patchBatches).toEqual([
      {
        id: 'b-2',
        state: 'DOWNLOADED',
        patches: ['KB3'],
        downloadedAt: '2026-03-15T06:00:00.000Z',
        pilotedAt: null,
        watchEndsAt: null,
        approvedAt: null,
      },
      {
        id: 'b-1',
        state: 'APPROVED',
        patches: ['KB1', 'KB2'],
        downloadedAt: '2026-03-01T06:00:00.000Z',
        pilotedAt: '2026-03-02T06:00:00.000Z',
        watchEndsAt: '2026-03-16T06:00:00.000Z',
        approvedAt: '2026-03-17T06:00:00.000Z',
      },
    ]);
  });

  it('shows where the 14-day download cycle stands by the gateway clock', async () => {
    const query = '{ patchCycle { cycleDays lastDownloadedAt nextDownloadDueAt overdue lastApprovedAt } }';
    // NOW is 15 days after the last download (2026-03-15T06:00Z).
    expect((await gql(query, tokens.operator)).data!.patchCycle).toEqual({
      cycleDays: 14,
      lastDownloadedAt: '2026-03-15T06:00:00.000Z',
      nextDownloadDueAt: '2026-03-29T06:00:00.000Z',
      overdue: true,
      lastApprovedAt: '2026-03-17T06:00:00.000Z',
    });
    kit.setNow('2026-03-20T00:00:00.000Z');
    try {
      expect((await gql(query, tokens.operator)).data!.patchCycle).toMatchObject({ overdue: false });
    } finally {
      kit.setNow(NOW);
    }
  });

  it("shows a reseller's automated updates to it and to operators; another reseller's is FORBIDDEN", async () => {
    const query = 'query ($r: ID!) { patchAutomation(reseller: $r) { reseller enabled schedule { intervalDays } } }';
    const own = await gql(query, tokens.r1, { r: 'r1' });
    expect(own.data!.patchAutomation).toEqual({ reseller: 'r1', enabled: true, schedule: { intervalDays: 7 } });
    expect((await gql(query, tokens.operator, { r: 'r2' })).data!.patchAutomation).toBeNull();
    const other = await gql(query, tokens.r2, { r: 'r1' });
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('keeps the latest install, its cycle flags and every install counted', async () => {
    const { rows } = await kit.store.transaction((tx) =>
      tx.query<Record<string, unknown>>(
        `SELECT server_id, last_installed_at, last_install_kind, install_count, alerted, breached, operations_scheduled
           FROM "${schema.schema}".rm_compliance_servers WHERE server_id IN ('s-r2a', 's-breach', 's-never')
          ORDER BY server_id`,
      ),
    );
    expect(rows).toEqual([
      {
        server_id: 's-breach',
        last_installed_at: new Date(INSTALLS.breach),
        last_install_kind: 'regular',
        install_count: 2,
        alerted: true,
        breached: true,
        operations_scheduled: true,
      },
      {
        server_id: 's-never',
        last_installed_at: null,
        last_install_kind: null,
        install_count: 0,
        alerted: true,
        breached: true,
        operations_scheduled: false,
      },
      {
        server_id: 's-r2a',
        last_installed_at: new Date('2026-03-21T12:00:00.000Z'),
        last_install_kind: 'regular',
        install_count: 4,
        alerted: false,
        breached: false,
        operations_scheduled: false,
      },
    ]);
  });

  it('pushes compliance events of visible servers after the projection committed them', async () => {
    const wsUrl = `${kit.baseUrl.replace('http', 'ws')}/graphql`;
    const r1 = await GraphQLWsClient.connect(wsUrl, { authorization: `Bearer ${tokens.r1}` });
    const operator = await GraphQLWsClient.connect(wsUrl, { authorization: `Bearer ${tokens.operator}` });
    const query =
      'subscription($reseller: ID) { complianceChanged(reseller: $reseller) { serverId reseller type at } }';
    try {
      for (const c of [r1, operator]) await c.next((m) => m.type === 'connection_ack');
      r1.subscribe('own', query, {});
      r1.subscribe('other', query, { reseller: 'r2' });
      operator.subscribe('r2', query, { reseller: 'r2' });
      const refused = await r1.next((m) => m.id === 'other');
      expect(refused.type).toBe('error');
      expect(JSON.stringify(refused.payload)).toContain('FORBIDDEN');

      let n = 0;
      await waitFor('subscription registered', async () => {
        n += 1;
        const at = new Date(Date.parse(NOW) - 3_600_000 + n * 1000).toISOString();
        await kit.store.append(complianceStreamId('s-r2b'), [patchesInstalled('s-r2b', 'r2', at)]);
        return operator
          .next((m) => m.id === 'r2', 1500)
          .then((m) => m)
          .catch(() => undefined);
      });
      await kit.store.append(complianceStreamId('s-r2a'), [
        threshold('ComplianceAlerted', 's-r2a', 'r2', INSTALLS.r2a, 60, '2026-03-30T10:00:00.000Z'),
      ]);
      expect((await operator.next((m) => m.id === 'r2')).payload).toEqual({
        data: {
          complianceChanged: {
            serverId: 's-r2a',
            reseller: 'r2',
            type: 'ComplianceAlerted',
            at: '2026-03-30T10:00:00.000Z',
          },
        },
      });
      await kit.store.append(complianceStreamId('s-today'), [
        threshold('ComplianceAlerted', 's-today', 'r1', INSTALLS.today, 60, '2026-03-30T10:00:01.000Z'),
      ]);
      // r2's changes came first: had they been delivered to r1, they would arrive before its own.
      const own = await r1.next((m) => m.id === 'own');
      expect(own.payload).toEqual({
        data: {
          complianceChanged: {
            serverId: 's-today',
            reseller: 'r1',
            type: 'ComplianceAlerted',
            at: '2026-03-30T10:00:01.000Z',
          },
        },
      });
      expect(operator.pending().filter((m) => JSON.stringify(m.payload).includes('s-today'))).toEqual([]);
    } finally {
      r1.close();
      operator.close();
    }
  });

  // Last: replays everything the tests above appended.
  it('rebuilds identical tables from the start of the event store', async () => {
    await waitFor('caught up', async () => {
      const body = await gql('{ server(id: "s-today") { compliance { lastInstalledAt } } }', tokens.operator);
      const { rows } = await kit.store.transaction((tx) =>
        tx.query(`SELECT 1 FROM "${schema.schema}".rm_compliance_servers WHERE server_id = 's-today' AND alerted`),
      );
      return body.data && rows.length === 1 ? true : undefined;
    });
    const before = await tableRows(kit.store, schema.schema);
    expect(before.rm_compliance_charges).toHaveLength(4);
    expect(before.rm_urgent_update_servers).toHaveLength(3);

    // A direct call is refused while the live projection holds its lock.
    await expect(rebuildComplianceReadModel(kit.store, schema.schema)).rejects.toThrow('running elsewhere');
    // Damage the read model: the rebuild must not keep anything of it.
    await kit.store.transaction(async (tx) => {
      await tx.query(`UPDATE "${schema.schema}".rm_compliance_servers SET install_count = 99, alerted = false`);
      await tx.query(`DELETE FROM "${schema.schema}".rm_compliance_charges WHERE reseller_id = 'r2'`);
      await tx.query(`INSERT INTO "${schema.schema}".rm_patch_automation VALUES ('ghost', true, null, 'x', now())`);
    });
    const changesBefore = await kit.store.transaction((tx) =>
      tx.query(`SELECT count(*)::int AS n FROM "${schema.schema}".rm_compliance_changes`),
    );
    const replayed = await kit.app.get(ComplianceProjection).rebuild();
    expect(replayed).toBeGreaterThan(30);
    expect(await tableRows(kit.store, schema.schema)).toEqual(before);
    // Replayed events are not pushed to subscribers again.
    const changesAfter = await kit.store.transaction((tx) =>
      tx.query(`SELECT count(*)::int AS n FROM "${schema.schema}".rm_compliance_changes`),
    );
    expect(changesAfter.rows).toEqual(changesBefore.rows);

    // The live projection runs again after the rebuild.
    await kit.store.append(complianceStreamId('s-never'), [patchesInstalled('s-never', 'r1', NOW)]);
    await waitFor('live again', async () => {
      const body = await gql('{ server(id: "s-never") { compliance { state dayCounter } } }', tokens.operator);
      const c = (body.data?.server as { compliance: { dayCounter: number | null } } | undefined)?.compliance;
      return c?.dayCounter === 1 ? c : undefined;
    });
  });
});
