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

jest.setTimeout(600_000);

const SERVERS = 10_000;
const RESELLERS = 4;
const TIME_ZONE = 'Europe/Vienna';

interface Counts {
  total: number;
  ok: number;
  alerted: number;
  breached: number;
  buckets: { days0to29: number; days30to59: number; days60to89: number; days90to119: number; days120plus: number };
}

const COUNT_FIELDS = 'total ok alerted breached buckets { days0to29 days30to59 days60to89 days90to119 days120plus }';

/**
 * Local calendar date of an instant in `timeZone`, as days since 1970-01-01: written here with
 * `Intl` on purpose, independently of the compliance domain and of the gateway's SQL.
 */
function localDay(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(new Date(ms))
    .reduce<Record<string, string>>((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day)) / 86_400_000;
}

/** Counts per state and day bucket of operator-hosted servers, from raw events and `now`. */
function countFromEvents(
  servers: Map<string, { reseller: string; hosting: string; decommissioned: boolean }>,
  lastInstall: Map<string, number>,
  nowMs: number,
  reseller: string | null,
): Counts {
  const counts: Counts = {
    total: 0,
    ok: 0,
    alerted: 0,
    breached: 0,
    buckets: { days0to29: 0, days30to59: 0, days60to89: 0, days90to119: 0, days120plus: 0 },
  };
  const today = localDay(nowMs, TIME_ZONE);
  for (const [serverId, s] of servers) {
    if (s.hosting !== 'operator' || s.decommissioned || (reseller && s.reseller !== reseller)) continue;
    counts.total++;
    const installed = lastInstall.get(serverId);
    const days = installed === undefined ? null : today - localDay(installed, TIME_ZONE);
    if (days === null || days >= 120) {
      counts.breached++;
      counts.buckets.days120plus++;
    } else if (days >= 60) {
      counts.alerted++;
      if (days >= 90) counts.buckets.days90to119++;
      else counts.buckets.days60to89++;
    } else {
      counts.ok++;
      if (days >= 30) counts.buckets.days30to59++;
      else counts.buckets.days0to29++;
    }
  }
  return counts;
}

// issue 6, "Must show": 10,000 simulated servers with random patch histories; the gateway's counts
// per state equal a count computed independently from the raw events.
describe('patch compliance end to end: npm start + npm run fleet -- --servers 10000', () => {
  const namespace = createTestNamespace('e2ecmp');
  let schema: TestSchema;
  let runner: Spawned | undefined;
  let fleet: Spawned | undefined;
  let port: number;
  let nc: NatsConnection;
  let db: Client;
  let operator: string;

  const env = () => ({ ...stackEnv({ namespace, schema }), FLEETWARDEN_OPERATOR_TIME_ZONE: TIME_ZONE });

  async function rawEvents(): Promise<{
    servers: Map<string, { reseller: string; hosting: string; decommissioned: boolean }>;
    lastInstall: Map<string, number>;
    installs: number;
  }> {
    const { rows } = await db.query<{ type: string; data: Record<string, unknown> }>(
      `SELECT type, data FROM "${schema.schema}".events
        WHERE type IN ('ServerRegistered', 'ServerDecommissioned', 'PatchesInstalled') ORDER BY global_position`,
    );
    const servers = new Map<string, { reseller: string; hosting: string; decommissioned: boolean }>();
    const lastInstall = new Map<string, number>();
    let installs = 0;
    for (const { type, data } of rows) {
      const serverId = String(data.serverId);
      if (type === 'ServerRegistered') {
        servers.set(serverId, {
          reseller: (data.reseller as { id: string }).id,
          hosting: String(data.hostingProvider),
          decommissioned: false,
        });
      } else if (type === 'ServerDecommissioned') {
        const s = servers.get(serverId);
        if (s) s.decommissioned = true;
      } else {
        installs++;
        const at = Date.parse(String(data.installedAt));
        if (at > (lastInstall.get(serverId) ?? -Infinity)) lastInstall.set(serverId, at);
      }
    }
    return { servers, lastInstall, installs };
  }

  beforeAll(async () => {
    schema = await createTestSchema('e2ecmp');
    port = await freePort();
    nc = await connectNats({ url: TEST_NATS_URL, name: 'e2e-compliance' });
    db = new Client({ connectionString: schema.connectionString });
    await db.connect();
    runner = await startReadyRunner({ ...env(), PORT: String(port) });
    fleet = runEntry('services/agent/src/fleet.ts', env(), [
      '--servers',
      String(SERVERS),
      '--resellers',
      String(RESELLERS),
      '--seed',
      '606',
    ]);
    operator = await token(env(), '--role', 'operator');
  });

  afterAll(async () => {
    await killIfRunning(fleet);
    await killIfRunning(runner);
    await db?.end();
    await nc?.close();
    await deleteNamespaceStreams(namespace).catch(() => undefined);
    await schema?.drop();
  });

  it('counts every state and day bucket as the raw events say, for the operator and per reseller', async () => {
    const startedAt = Date.now();
    await pollUntil(
      `${SERVERS} servers registered and their patch histories recorded`,
      async () => {
        const { rows } = await db.query<{ registered: string; installs: string }>(
          `SELECT count(*) FILTER (WHERE type = 'ServerRegistered') AS registered,
                  count(DISTINCT stream_id) FILTER (WHERE type = 'PatchesInstalled') AS installs
             FROM "${schema.schema}".events WHERE type IN ('ServerRegistered', 'PatchesInstalled')`,
        );
        return Number(rows[0].registered) === SERVERS && Number(rows[0].installs) === SERVERS ? true : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 2000, abort: fleet!.exited },
    );
    console.log(`${SERVERS} servers registered with their patch histories after ${(Date.now() - startedAt) / 1000} s`);

    // The simulator's own record of what it reported agrees with the stored installs.
    const history: Array<{ serverId: string; lastInstalledAt: string; hostingProvider: string }> = [];
    for (let offset = 0; offset < SERVERS; offset += 2000) {
      const page = await simControl<{ patchHistory: typeof history }>(nc, namespace, {
        action: 'patch-history',
        offset,
        limit: 2000,
      });
      history.push(...page.patchHistory);
    }
    expect(history).toHaveLength(SERVERS);
    const raw = await rawEvents();
    for (const s of history) expect(raw.lastInstall.get(s.serverId)).toBe(Date.parse(s.lastInstalledAt));
    const ages = history.map((s) => (startedAt - Date.parse(s.lastInstalledAt)) / 86_400_000);
    expect(Math.max(...ages)).toBeLessThanOrEqual(151);
    expect(Math.min(...ages)).toBeGreaterThanOrEqual(-1);

    // Once the projections caught up, the gateway's counts equal those computed from the raw events.
    const compare = async (reseller: string | null) =>
      pollUntil(
        `gateway counts for ${reseller ?? 'the operator'} equal the raw-event counts`,
        async () => {
          const raw = await rawEvents();
          const before = countFromEvents(raw.servers, raw.lastInstall, Date.now(), reseller);
          const data = await graphqlRequest<{ compliance: Counts }>(
            port,
            operator,
            `query ($reseller: ID) { compliance(reseller: $reseller) { ${COUNT_FIELDS} } }`,
            { reseller },
          );
          const after = countFromEvents(raw.servers, raw.lastInstall, Date.now(), reseller);
          const equal = (c: Counts) => JSON.stringify(c) === JSON.stringify(data.compliance);
          return equal(before) || equal(after) ? { raw: before, gateway: data.compliance } : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 2000 },
      );
    const all = await compare(null);
    console.log(`compliance counts: ${JSON.stringify(all.gateway)}`);
    expect(all.gateway.total).toBeGreaterThan(SERVERS * 0.5);
    expect(all.gateway.ok + all.gateway.alerted + all.gateway.breached).toBe(all.gateway.total);
    // Random histories over 0-150 days give every state.
    expect(all.gateway.ok).toBeGreaterThan(0);
    expect(all.gateway.alerted).toBeGreaterThan(0);
    expect(all.gateway.breached).toBeGreaterThan(0);
    for (let r = 1; r <= RESELLERS; r++) {
      const one = await compare(`reseller-${r}`);
      expect(one.gateway.total).toBeGreaterThan(0);
    }
  });
});
