import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { AgentHello } from '@fleetwarden/inventory-contracts';
import { connectNats } from '@fleetwarden/messaging';
import { createClock } from '@fleetwarden/platform';
import {
  AgentKeepAlive,
  ConfigurePair,
  type AgentControlMessage,
  type AgentKeepAliveMessage,
} from '@fleetwarden/redundancy-contracts';
import { createTestNamespace, TEST_NATS_URL } from '@fleetwarden/testing';
import { AgentTraffic, MemoryLogger, waitFor } from '../testing/agent-test.helpers';
import type { SimControlReply } from './control/sim-actions';
import { FleetModel } from './fleet-data';
import { FleetSimulator } from './fleet-simulator';
import type { AgentControlReply } from './pair-member';
import type { SimPairView } from './sim-pairs';

const SEED = 5;
/** Keep-alive every 5 clock seconds: 250 ms real; replication takes 2-6 clock seconds: 100-300 ms. */
const SPEED = 20;
const KEEPALIVE_SEC = 5;
const INTERVAL_MS = (KEEPALIVE_SEC * 1000) / SPEED;
const A1 = 'srv-p0001a';
const B1 = 'srv-p0001b';
const A2 = 'srv-p0002a';
const B2 = 'srv-p0002b';
const MEMBERS = [A1, B1, A2, B2];

describe('FleetSimulator with redundancy pairs on NATS', () => {
  const namespace = createTestNamespace('t_simpairs_');
  const fleet = new FleetModel({ servers: 2, resellers: 2, seed: SEED, pairs: 2 });
  const logger = new MemoryLogger();
  let observer: NatsConnection;
  let simConnection: NatsConnection;
  let traffic: AgentTraffic;
  let sim: FleetSimulator;
  let responder: Subscription | undefined;
  const configureRequests: unknown[] = [];

  const control = async (message: unknown): Promise<SimControlReply> =>
    (await observer.request(`${namespace}.sim.control`, JSON.stringify(message), { timeout: 2000 })).json();
  const pairs = async (): Promise<Record<string, SimPairView>> => {
    const reply = await control({ action: 'pairs' });
    if (!reply.ok || !reply.pairs) throw new Error(`pairs failed: ${JSON.stringify(reply)}`);
    return reply.pairs;
  };
  const sendControl = async (serverId: string, body: unknown, timeout = 2000): Promise<AgentControlReply> => {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    return (await observer.request(`${namespace}.agent.${serverId}.control`, payload, { timeout })).json();
  };
  const request = (serverId: string, type: AgentControlMessage['type']): AgentControlMessage => ({
    type,
    pairId: fleet.pairOf(serverId)?.pair.pairId ?? 'none',
    switchId: 'switch-1',
    reason: 'test',
  });
  const keepAlives = (serverId: string, skip = 0): AgentKeepAliveMessage[] =>
    traffic
      .messages(serverId, 'keepalive')
      .slice(skip)
      .map((m) => AgentKeepAlive.parse(m.body));
  const count = (serverId: string) => traffic.count(serverId, 'keepalive');
  /** Waits for a keep-alive of `serverId` sent after the first `skip` that matches `expected`. */
  const keepAliveMatching = async (serverId: string, skip: number, expected: Partial<AgentKeepAliveMessage>) => {
    const matches = (k: AgentKeepAliveMessage) =>
      Object.entries(expected).every(([key, value]) => k[key as keyof AgentKeepAliveMessage] === value);
    await waitFor(
      () => keepAlives(serverId, skip).some(matches),
      `a keep-alive of ${serverId} with ${JSON.stringify(expected)}`,
      3000,
    );
    return keepAlives(serverId, skip).find(matches) as AgentKeepAliveMessage;
  };

  beforeAll(async () => {
    observer = await connectNats({ url: TEST_NATS_URL, name: 'agent-sim-pairs-observer' });
    traffic = new AgentTraffic(observer, namespace);
    await observer.flush();
    simConnection = await connectNats({ url: TEST_NATS_URL, name: 'agent-sim-pairs' });
    sim = new FleetSimulator({
      connection: simConnection,
      namespace,
      fleet,
      clock: createClock(SPEED, Date.now()),
      speed: SPEED,
      heartbeatSec: 10,
      keepAliveSec: KEEPALIVE_SEC,
      configure: { retryInitialMs: 30, retryMaxMs: 150, timeoutMs: 500 },
      agentVersion: '0.0.0-test',
      logger,
    });
    sim.start();
  });

  afterAll(async () => {
    responder?.unsubscribe();
    await sim?.stop();
    await simConnection?.drain();
    traffic?.stop();
    await observer?.drain();
  });

  it('retries ConfigurePair while no redundancy service answers, without crashing', async () => {
    await sim.whenAllGreeted();
    await waitFor(
      () => logger.lines.some((l) => l.startsWith('warn') && l.includes('COMMAND.NO_RESPONDERS')),
      'a warning about the missing redundancy service',
    );
    const view = await pairs();
    expect(Object.keys(view)).toEqual(['pair-0001', 'pair-0002']);
    await waitFor(() => sim.pairs().pairs['pair-0002'].configuration.attempts >= 3, 'three attempts for pair-0002');
    expect(view['pair-0001'].configuration).toMatchObject({
      state: 'configuring',
      lastError: expect.stringContaining('COMMAND.NO_RESPONDERS'),
    });
  });

  it('configures each pair once a service answers, retrying while the servers are not registered', async () => {
    const refusedOnce = new Set<string>();
    responder = observer.subscribe(`${namespace}.cmd.redundancy.ConfigurePair`, {
      callback: (err, msg) => {
        if (err) return;
        const body = msg.json<unknown>();
        configureRequests.push(body);
        const { data } = ConfigurePair.parseRequest(body);
        if (!refusedOnce.has(data.pairId)) {
          refusedOnce.add(data.pairId);
          msg.respond(
            JSON.stringify({
              ok: false,
              error: { code: 'PAIR.UNKNOWN_SERVERS', message: `Unknown servers: ${data.primaryServerId}` },
            }),
          );
          return;
        }
        msg.respond(JSON.stringify({ ok: true, data: { pairId: data.pairId } }));
      },
    });
    await observer.flush();
    await waitFor(
      () => Object.values(sim.pairs().pairs).every((p) => p.configuration.state === 'configured'),
      'both pairs configured',
    );
    await sim.whenPairsSettled();
    const requests = configureRequests.map((r) => ConfigurePair.parseRequest(r));
    for (const pairId of ['pair-0001', 'pair-0002']) {
      const mine = requests.filter((r) => r.data.pairId === pairId);
      expect(mine).toHaveLength(2);
      expect(mine[1].data).toEqual(mine[0].data);
    }
    const [first] = requests.filter((r) => r.data.pairId === 'pair-0001');
    expect(first.meta).toEqual({ role: 'operator', actor: 'operator:fleet-simulator' });
    expect(first.data).toMatchObject({
      primaryServerId: A1,
      secondaryServerId: B1,
      redundancyKey: `sim-key-${SEED}-pair-0001`,
      autoFailover: true,
      keepAliveIntervalSec: KEEPALIVE_SEC,
      failoverThresholdSec: 15,
      holdDownSec: 300,
    });
    expect(logger.lines).toContain('log configured 2 pair(s) through ' + `${namespace}.cmd.redundancy.ConfigurePair`);
    expect(sim.stats().pairs).toMatchObject({ pairs: 2, configured: 2 });
  });

  it('sends valid keep-alives on each member subject, after its hello, with the starting states', async () => {
    await waitFor(() => MEMBERS.every((id) => count(id) >= 4), 'four keep-alives of every member');
    for (const id of MEMBERS) {
      const [first] = traffic.messages(id);
      expect(AgentHello.parse(first.body).serverId).toBe(id);
      const messages = traffic.messages(id, 'keepalive');
      for (const m of messages) expect(AgentKeepAlive.parse(m.body).serverId).toBe(id);
      const gaps = messages.slice(1, 4).map((m, i) => m.at - messages[i].at);
      const mean = gaps.reduce((x, y) => x + y, 0) / gaps.length;
      expect(mean).toBeGreaterThan(INTERVAL_MS * 0.5);
      expect(mean).toBeLessThan(INTERVAL_MS * 2);
    }
    for (const id of [A1, A2]) {
      expect(keepAlives(id)[0]).toMatchObject({
        inControl: true,
        replicationStatus: 'monitoring',
        switchingService: 'up',
        ipPhoneService: 'up',
        keepAliveService: 'up',
      });
    }
    for (const id of [B1, B2]) {
      const states = keepAlives(id).map((k) => k.replicationStatus);
      expect(keepAlives(id).every((k) => !k.inControl)).toBe(true);
      expect(states.at(-1)).toBe('updated');
      expect(states.filter((s) => s !== 'updated').every((s) => s === 'synchronizing')).toBe(true);
    }
    expect(
      keepAlives(A1)
        .slice(1)
        .every((k) => k.peerReachable),
    ).toBe(true);
    expect(count('srv-00001')).toBe(0);
    expect(count('srv-00002')).toBe(0);
  });

  it('follows control requests: assume-control makes the peer the destination', async () => {
    const [skipA, skipB] = [count(A1), count(B1)];
    await expect(sendControl(B1, request(B1, 'assume-control'))).resolves.toEqual({ ok: true });
    // Replication takes at least 2 clock seconds (100 ms here): the destination is still synchronizing.
    expect(sim.pairs(['pair-0001']).pairs['pair-0001'].primary).toMatchObject({
      inControl: false,
      replicationStatus: 'synchronizing',
    });
    await keepAliveMatching(B1, skipB, { inControl: true, replicationStatus: 'monitoring' });
    await keepAliveMatching(A1, skipA, { inControl: false, replicationStatus: 'updated' });
    expect(keepAlives(A1, skipA).every((k) => !k.inControl && k.replicationStatus !== 'monitoring')).toBe(true);

    const skip = count(B1);
    await expect(sendControl(B1, request(B1, 'release-control'))).resolves.toEqual({ ok: true });
    await keepAliveMatching(B1, skip, { inControl: false, replicationStatus: 'synchronizing' });
    await expect(sendControl(A1, request(A1, 'assume-control'))).resolves.toEqual({ ok: true });
    await keepAliveMatching(A1, count(A1), { inControl: true, replicationStatus: 'monitoring' });
  });

  it('refuses an invalid control request naming the field, records every request, and carries on', async () => {
    await expect(sendControl(A2, { ...request(A2, 'assume-control'), type: 'take-over' })).resolves.toMatchObject({
      ok: false,
      error: expect.stringContaining('type:'),
    });
    await expect(sendControl(A2, '{nope')).resolves.toMatchObject({
      ok: false,
      error: expect.stringContaining('not JSON'),
    });
    await expect(sendControl(A2, request(B1, 'assume-control'))).resolves.toMatchObject({
      ok: false,
      error: expect.stringContaining('pairId:'),
    });
    await expect(sendControl('srv-00001', request(A1, 'assume-control'))).resolves.toEqual({
      ok: false,
      error: 'srv-00001 is in no redundancy pair',
    });
    const view = await pairs();
    expect(view['pair-0002'].primary.controlRequests.map((r) => [r.request?.type ?? null, r.reply.ok])).toEqual([
      [null, false],
      [null, false],
      [null, false],
    ]);
    expect(view['pair-0001'].secondary.controlRequests.map((r) => r.request?.type)).toEqual([
      'assume-control',
      'release-control',
    ]);
    expect(view['pair-0001'].primary.controlRequests.map((r) => r.request?.type)).toEqual(['assume-control']);
    expect(view['pair-0001'].primary).toMatchObject({
      serverId: A1,
      role: 'primary',
      online: true,
      sendingKeepAlives: true,
      inControl: true,
      replicationStatus: 'monitoring',
      peerReachable: true,
    });
    const skip = count(A2);
    await keepAliveMatching(A2, skip, { inControl: true });
  });

  it('keepalive-stop silences a member keep-alive service; its peer reports it unreachable until keepalive-start', async () => {
    await expect(control({ action: 'keepalive-stop', serverIds: [B2, 'srv-00001'] })).resolves.toEqual({
      ok: true,
      action: 'keepalive-stop',
      affected: 1,
      notPairMembers: ['srv-00001'],
    });
    const skipB = count(B2);
    await keepAliveMatching(A2, count(A2), { peerReachable: false });
    await keepAliveMatching(A2, count(A2), { peerReachable: false });
    expect(count(B2)).toBe(skipB);
    expect(traffic.count(B2, 'heartbeat')).toBeGreaterThan(0);

    await expect(control({ action: 'keepalive-start', serverIds: [B2] })).resolves.toMatchObject({ affected: 1 });
    await keepAliveMatching(B2, skipB, { inControl: false });
    await keepAliveMatching(A2, count(A2), { peerReachable: true });
  });

  it('service-down and service-up change the reported services; keep-alive down stops the keep-alives', async () => {
    await expect(control({ action: 'service-down', serverIds: [A2], service: 'switching' })).resolves.toEqual({
      ok: true,
      action: 'service-down',
      affected: 1,
    });
    await control({ action: 'service-down', serverIds: [A2], service: 'ip-phone' });
    await keepAliveMatching(A2, count(A2), { switchingService: 'down', ipPhoneService: 'down' });

    await control({ action: 'service-down', serverIds: [A2], service: 'keep-alive' });
    const skipA = count(A2);
    await keepAliveMatching(B2, count(B2), { peerReachable: false });
    await keepAliveMatching(B2, count(B2), { peerReachable: false });
    expect(count(A2)).toBe(skipA);

    for (const service of ['switching', 'ip-phone', 'keep-alive']) {
      await expect(control({ action: 'service-up', serverIds: [A2], service })).resolves.toMatchObject({ affected: 1 });
    }
    await keepAliveMatching(A2, skipA, { switchingService: 'up', ipPhoneService: 'up', keepAliveService: 'up' });
    await keepAliveMatching(B2, count(B2), { peerReachable: true });
  });

  it('replication forces the reported state until the next control request', async () => {
    await expect(control({ action: 'replication', serverIds: [B2], state: 'synchronizing' })).resolves.toEqual({
      ok: true,
      action: 'replication',
      affected: 1,
    });
    await keepAliveMatching(B2, count(B2), { replicationStatus: 'synchronizing' });
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 2));
    expect(keepAlives(B2).at(-1)?.replicationStatus).toBe('synchronizing');
    expect((await pairs())['pair-0002'].secondary).toMatchObject({
      replicationStatus: 'synchronizing',
      replicationForced: true,
    });
    await expect(control({ action: 'replication', serverIds: [B2], state: 'bogus' })).resolves.toMatchObject({
      ok: false,
      error: expect.stringContaining('state:'),
    });

    await expect(sendControl(B2, request(B2, 'release-control'))).resolves.toEqual({ ok: true });
    await keepAliveMatching(B2, count(B2), { replicationStatus: 'updated' });
  });

  it('a stopped member sends nothing and does not answer control requests; start brings it back', async () => {
    await expect(control({ action: 'stop', serverIds: [A1] })).resolves.toMatchObject({ affected: 1 });
    const skip = traffic.count(A1);
    await expect(sendControl(A1, request(A1, 'release-control'), 300)).rejects.toThrow();
    await keepAliveMatching(B1, count(B1), { peerReachable: false });
    expect(traffic.since(A1, skip).filter((m) => m.kind !== 'control')).toEqual([]);
    expect((await pairs())['pair-0001'].primary).toMatchObject({
      online: false,
      sendingKeepAlives: false,
      inControl: true,
    });
    expect((await pairs())['pair-0001'].primary.controlRequests).toHaveLength(1);

    // Failover while the primary is away: the secondary leads; the primary still believes it does.
    await expect(sendControl(B1, request(B1, 'assume-control'))).resolves.toEqual({ ok: true });
    await control({ action: 'start', serverIds: [A1] });
    await waitFor(() => count(A1) > 0 && traffic.since(A1, skip, 'keepalive').length > 0, 'keep-alives of A1 again');
    const back = traffic.since(A1, skip).filter((m) => m.kind !== 'control');
    expect(back[0].kind).toBe('hello');
    expect(AgentKeepAlive.parse(traffic.since(A1, skip, 'keepalive')[0].body)).toMatchObject({ inControl: true });
    await keepAliveMatching(B1, count(B1), { inControl: true, peerReachable: true });

    await expect(sendControl(A1, request(A1, 'release-control'))).resolves.toEqual({ ok: true });
    await keepAliveMatching(A1, count(A1), { inControl: false, replicationStatus: 'updated' });
  });

  it('lists only the pairs asked for', async () => {
    const reply = await control({ action: 'pairs', pairIds: ['pair-0002', 'pair-0003'] });
    expect(reply).toMatchObject({ ok: true, action: 'pairs', affected: 1, unknownPairIds: ['pair-0003'] });
    expect(reply.ok && Object.keys(reply.pairs ?? {})).toEqual(['pair-0002']);
  });
});
