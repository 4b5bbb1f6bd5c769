import type { NatsConnection } from '@nats-io/nats-core';
import { AgentHeartbeat, AgentHello } from '@fleetwarden/inventory-contracts';
import { connectNats } from '@fleetwarden/messaging';
import { createClock } from '@fleetwarden/platform';
import { createTestNamespace, TEST_NATS_URL } from '@fleetwarden/testing';
import { AgentTraffic, MemoryLogger, waitFor } from '../testing/agent-test.helpers';
import type { SimControlReply } from './control/sim-actions';
import { FleetModel } from './fleet-data';
import { FleetSimulator } from './fleet-simulator';

const SERVERS = 50;
const SPEED = 100;
const HEARTBEAT_SEC = 10;
/** Real milliseconds between heartbeats: 10 s of clock time at speed 100. */
const INTERVAL_MS = (HEARTBEAT_SEC * 1000) / SPEED;
const STOPPED = ['srv-00003', 'srv-00010', 'srv-00017', 'srv-00031', 'srv-00050'];

describe('FleetSimulator on NATS', () => {
  const namespace = createTestNamespace('agent');
  const fleet = new FleetModel({ servers: SERVERS, resellers: 3, seed: 7 });
  const logger = new MemoryLogger();
  let observer: NatsConnection;
  let simConnection: NatsConnection;
  let traffic: AgentTraffic;
  let sim: FleetSimulator;

  const control = async (message: unknown): Promise<SimControlReply> => {
    const payload = typeof message === 'string' ? message : JSON.stringify(message);
    const reply = await observer.request(`${namespace}.sim.control`, payload, { timeout: 2000 });
    return reply.json<SimControlReply>();
  };
  const heartbeats = (id: string) => traffic.count(id, 'heartbeat');
  const all = [...fleet.servers()].map((s) => s.serverId);
  const running = all.filter((id) => !STOPPED.includes(id));

  beforeAll(async () => {
    observer = await connectNats({ url: TEST_NATS_URL, name: 'agent-sim-observer' });
    traffic = new AgentTraffic(observer, namespace);
    await observer.flush();
    simConnection = await connectNats({
      url: TEST_NATS_URL,
      name: 'agent-sim',
      options: { reconnectTimeWait: 50 },
    });
    sim = new FleetSimulator({
      connection: simConnection,
      namespace,
      fleet,
      clock: createClock(SPEED, Date.now()),
      speed: SPEED,
      heartbeatSec: HEARTBEAT_SEC,
      agentVersion: '0.0.0-test',
      logger,
    });
    sim.start();
  });

  afterAll(async () => {
    await sim?.stop();
    await simConnection?.drain();
    traffic?.stop();
    await observer?.drain();
  });

  it('says a valid hello for every server, on its own subject, spread over one interval', async () => {
    await sim.whenAllGreeted();
    await waitFor(() => traffic.serverIds().length === SERVERS, `hellos of ${SERVERS} servers`);
    const firsts: number[] = [];
    for (const profile of fleet.servers()) {
      const [first] = traffic.messages(profile.serverId);
      expect(first.kind).toBe('hello');
      const hello = AgentHello.parse(first.body);
      expect(hello.serverId).toBe(profile.serverId);
      expect(hello.heartbeatIntervalSec).toBe(HEARTBEAT_SEC);
      expect(hello.identity.reseller.id).toBe(`reseller-${((profile.index - 1) % 3) + 1}`);
      expect(hello.identity.company).toEqual(profile.company);
      expect(hello.versions).toEqual({ serverVersion: '9.0.0.200', webAppsVersion: profile.versions.webAppsVersion });
      expect(hello.files).toEqual(profile.files);
      firsts.push(first.at);
    }
    expect(Math.max(...firsts) - Math.min(...firsts)).toBeGreaterThan(INTERVAL_MS / 4);
    expect(logger.lines.filter((l) => l.startsWith(`log all ${SERVERS} agents said hello in `))).toHaveLength(1);
  });

  it('sends heartbeats at the sped-up interval, numbered from 0 after the hello', async () => {
    await waitFor(() => all.every((id) => heartbeats(id) >= 6), 'six heartbeats from every server');
    for (const id of all) {
      const beats = traffic.messages(id, 'heartbeat');
      expect(beats.map((b) => AgentHeartbeat.parse(b.body).seq).slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5]);
      const gaps = beats.slice(1, 6).map((b, i) => b.at - beats[i].at);
      const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      // Beats keep their slots: after a stalled moment on a loaded machine the late ones go out
      // close together, so only the order of magnitude is asserted (1x real time would be far above).
      expect(mean).toBeGreaterThan(INTERVAL_MS * 0.3);
      expect(mean).toBeLessThan(INTERVAL_MS * 2);
    }
  });

  it('silences exactly the stopped servers', async () => {
    await expect(control({ action: 'stop', serverIds: STOPPED })).resolves.toEqual({
      ok: true,
      action: 'stop',
      affected: STOPPED.length,
    });
    // The reply travels on the simulator's connection after every message it sent before the stop.
    const before = new Map(all.map((id) => [id, traffic.count(id)]));
    await waitFor(
      () => running.every((id) => heartbeats(id) >= (before.get(id) ?? 0) + 5),
      'five more heartbeats from every running server',
    );
    for (const id of STOPPED) expect(traffic.since(id, before.get(id) ?? 0)).toEqual([]);
    expect(sim.stats().online).toBe(SERVERS - STOPPED.length);
  });

  it('start resumes the stopped servers with a new hello, then heartbeats', async () => {
    const before = new Map(all.map((id) => [id, traffic.count(id)]));
    await expect(control({ action: 'start', serverIds: [...STOPPED, 'srv-00001'] })).resolves.toEqual({
      ok: true,
      action: 'start',
      affected: STOPPED.length,
    });
    await waitFor(
      () => STOPPED.every((id) => traffic.since(id, before.get(id) ?? 0, 'heartbeat').length >= 2),
      'the restarted servers to beat again',
    );
    for (const id of STOPPED) {
      const after = traffic.since(id, before.get(id) ?? 0);
      expect(after[0].kind).toBe('hello');
      expect(AgentHello.parse(after[0].body).serverId).toBe(id);
      expect(
        after
          .filter((m) => m.kind === 'heartbeat')
          .map((m) => m.body.seq)
          .slice(0, 2),
      ).toEqual([0, 1]);
    }
    for (const id of running) expect(traffic.count(id, 'hello')).toBe(1);
  });

  it('answers bad control messages with the reason and carries on', async () => {
    await expect(control('{not json')).resolves.toMatchObject({
      ok: false,
      error: expect.stringContaining('not JSON'),
    });
    await expect(control({ action: 'explode', serverIds: ['srv-00001'] })).resolves.toEqual({
      ok: false,
      error:
        'unknown action "explode" (known: clock-skew, install-patches, jobs, keepalive-start, keepalive-stop, ' +
        'messaging-down, messaging-up, pairs, patch-history, replication, script-failures, service-down, ' +
        'service-up, start, stop)',
    });
    await expect(control({ action: 'stop', serverIds: 'srv-00001' })).resolves.toMatchObject({
      ok: false,
      error: expect.stringContaining('serverIds'),
    });
    await expect(control({ action: 'stop', serverIds: ['srv-99999'] })).resolves.toEqual({
      ok: true,
      action: 'stop',
      affected: 0,
      unknownServerIds: ['srv-99999'],
    });
    expect(logger.lines.filter((l) => l.startsWith('warn ignored control message'))).toHaveLength(3);
    const before = heartbeats('srv-00001');
    await waitFor(() => heartbeats('srv-00001') >= before + 2, 'srv-00001 to keep beating');
  });

  it('says hello again for every running server after the connection comes back', async () => {
    await control({ action: 'stop', serverIds: ['srv-00002'] });
    const before = new Map(all.map((id) => [id, traffic.count(id, 'hello')]));
    await simConnection.reconnect();
    const rest = all.filter((id) => id !== 'srv-00002');
    await waitFor(
      () => rest.every((id) => traffic.count(id, 'hello') > (before.get(id) ?? 0)),
      'a new hello from every running server',
    );
    expect(traffic.count('srv-00002', 'hello')).toBe(before.get('srv-00002'));
  });
});
