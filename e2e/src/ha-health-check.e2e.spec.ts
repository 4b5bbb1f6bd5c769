import type { NatsConnection } from '@nats-io/nats-core';
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

const SPEED = 10;

interface Report {
  clusterId: string;
  source: string;
  messaging: Array<{
    from: { id: string };
    to: { id: string };
    result: string;
    transferTimeMs: number | null;
    recommendation: string | null;
  }>;
  clocks: Array<{ server: { id: string }; skewMs: number | null; result: string; recommendation: string | null }>;
}
const REPORT = `clusterId source
  messaging { from { id } to { id } result transferTimeMs recommendation }
  clocks { server { id } skewMs result recommendation }`;

// issue 5, item 5: the HA health check through the gateway, the redundancy service and simulated agents.
describe('HA health check end to end: simulated components, skew, messaging down, a stopped component, a pair', () => {
  const namespace = createTestNamespace('e2eha');
  const origin = new Date().toISOString();
  let schema: TestSchema;
  let runner: Spawned | undefined;
  let fleet: Spawned | undefined;
  let port: number;
  let nc: NatsConnection;
  let operator: string;

  const env = () => stackEnv({ namespace, schema, clockSpeed: SPEED, clockOrigin: origin });

  const graphql = <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> =>
    graphqlRequest<T>(port, operator, query, variables);

  const check = async (clusterId: string): Promise<Report> =>
    (
      await graphql<{ haHealthCheck: Report }>(`query ($id: ID!) { haHealthCheck(clusterId: $id) { ${REPORT} } }`, {
        id: clusterId,
      })
    ).haHealthCheck;
  const rows = (r: Report) => r.messaging.map((m) => `${m.from.id}>${m.to.id} ${m.result}`);
  const clocks = (r: Report) => r.clocks.map((c) => `${c.server.id} ${c.result}`);

  async function sim(message: Record<string, unknown>): Promise<void> {
    expect(await simControl(nc, namespace, message)).toMatchObject({ ok: true });
  }

  beforeAll(async () => {
    schema = await createTestSchema('e2eha');
    port = await freePort();
    nc = await connectNats({ url: TEST_NATS_URL, name: 'e2e-ha' });
    runner = await startReadyRunner({ ...env(), PORT: String(port) });
    fleet = runEntry('services/agent/src/fleet.ts', env(), [
      '--servers',
      '3',
      '--pairs',
      '1',
      '--seed',
      '11',
      '--speed',
      String(SPEED),
    ]);
    operator = await token(env(), '--role', 'operator');
    await pollUntil(
      'the HA cluster configured (its servers registered)',
      async () => {
        try {
          await graphql(
            `
              mutation ($input: ConfigureHaClusterInput!) {
                configureHaCluster(input: $input) {
                  id
                }
              }
            `,
            {
              input: {
                id: 'ha-1',
                components: [
                  { serverId: 'srv-00001', role: 'SERVER', address: '10.0.0.1' },
                  { serverId: 'srv-00002', role: 'SERVER', address: '10.0.0.2' },
                  { serverId: 'srv-00003', role: 'LOAD_BALANCER', address: '10.0.0.3:4222' },
                ],
              },
            },
          );
          return true;
        } catch (err) {
          if (/Unknown servers/.test((err as Error).message)) return undefined;
          throw err;
        }
      },
      { timeoutMs: 60_000, intervalMs: 250, abort: fleet.exited },
    );
  });

  afterAll(async () => {
    await killIfRunning(fleet);
    await killIfRunning(runner);
    await nc?.close();
    await deleteNamespaceStreams(namespace).catch(() => undefined);
    await schema?.drop();
  });

  it('reports every pair of components OK with the simulated transfer times and every clock OK', async () => {
    const report = await check('ha-1');
    expect(rows(report)).toEqual([
      'srv-00001>srv-00002 OK',
      'srv-00001>srv-00003 OK',
      'srv-00002>srv-00001 OK',
      'srv-00002>srv-00003 OK',
      'srv-00003>srv-00001 OK',
      'srv-00003>srv-00002 OK',
    ]);
    for (const m of report.messaging) {
      expect(m.transferTimeMs).toBeGreaterThanOrEqual(5);
      expect(m.transferTimeMs).toBeLessThanOrEqual(60);
    }
    expect(report.messaging[0].transferTimeMs).toBe(report.messaging[2].transferTimeMs);
    expect(clocks(report)).toEqual(['srv-00001 CLOCK_OK', 'srv-00002 CLOCK_OK', 'srv-00003 CLOCK_OK']);
  });

  it('reports a clock set 90 s ahead, and messaging cut from and to a load balancer', async () => {
    await sim({ action: 'clock-skew', serverIds: ['srv-00002'], skewSec: 90 });
    await sim({ action: 'messaging-down', serverIds: ['srv-00003'] });
    const report = await check('ha-1');
    expect(clocks(report)).toEqual(['srv-00001 CLOCK_OK', 'srv-00002 CLOCK_SKEW', 'srv-00003 CLOCK_OK']);
    expect(report.clocks[1].recommendation).toBe(
      'Set the time on srv-00002 (it differs by 90 s); restart its HA services after a manual time change.',
    );
    expect(rows(report)).toEqual([
      'srv-00001>srv-00002 OK',
      'srv-00001>srv-00003 NO_CONNECTION',
      'srv-00002>srv-00001 OK',
      'srv-00002>srv-00003 NO_CONNECTION',
      'srv-00003>srv-00001 NO_CONNECTION',
      'srv-00003>srv-00002 NO_CONNECTION',
    ]);
    await sim({ action: 'clock-skew', serverIds: ['srv-00002'], skewSec: 0 });
    await sim({ action: 'messaging-up', serverIds: ['srv-00003'] });
  });

  it('reports the rows of a stopped component as COMPONENT_DOWN', async () => {
    await sim({ action: 'stop', serverIds: ['srv-00001'] });
    const report = await check('ha-1');
    expect(rows(report).filter((r) => r.endsWith('COMPONENT_DOWN'))).toEqual([
      'srv-00001>srv-00002 COMPONENT_DOWN',
      'srv-00001>srv-00003 COMPONENT_DOWN',
      'srv-00002>srv-00001 COMPONENT_DOWN',
      'srv-00003>srv-00001 COMPONENT_DOWN',
    ]);
    expect(report.messaging[0].recommendation).toMatch(/Check that srv-00001 runs/);
    await sim({ action: 'start', serverIds: ['srv-00001'] });
  });

  it("checks a simulated pair's members by the pair's id", async () => {
    await pollUntil(
      'pair-0001 configured by the simulator',
      async () =>
        (await graphql<{ redundancyPair: { id: string } | null }>('{ redundancyPair(id: "pair-0001") { id } }'))
          .redundancyPair ?? undefined,
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const report = await check('pair-0001');
    expect(report.source).toBe('PAIR');
    expect(rows(report)).toEqual(['srv-p0001a>srv-p0001b OK', 'srv-p0001b>srv-p0001a OK']);
  });
});
