import type { NatsConnection } from '@nats-io/nats-core';
import { connectNats } from '@fleetwarden/messaging';
import { createClock } from '@fleetwarden/platform';
import {
  AgentControl,
  AgentHaCheckReply,
  type AgentHaCheckMessage,
  type AgentHaCheckReplyMessage,
} from '@fleetwarden/redundancy-contracts';
import { createTestNamespace, TEST_NATS_URL } from '@fleetwarden/testing';
import { MemoryLogger } from '../testing/agent-test.helpers';
import type { SimControlReply } from './control/sim-actions';
import { FleetModel } from './fleet-data';
import { FleetSimulator } from './fleet-simulator';
import { simHaRoundTripMs } from './sim-ha-check';

const SEED = 11;
const A = 'srv-00001';
const B = 'srv-00002';
const C = 'srv-00003';

describe('FleetSimulator answering HA checks on NATS', () => {
  const namespace = createTestNamespace('t_simha_');
  const fleet = new FleetModel({ servers: 3, resellers: 1, seed: SEED });
  let observer: NatsConnection;
  let simConnection: NatsConnection;
  let sim: FleetSimulator;

  const control = async (message: unknown): Promise<SimControlReply> =>
    (await observer.request(`${namespace}.sim.control`, JSON.stringify(message), { timeout: 2000 })).json();
  const haCheck = async (serverId: string, timeout = 1000): Promise<AgentHaCheckReplyMessage> => {
    const request: AgentHaCheckMessage = {
      type: 'ha-check',
      checkId: 'chk-1',
      clusterId: 'c-1',
      peers: [A, B, C]
        .filter((id) => id !== serverId)
        .map((id) => ({ serverId: id, role: id === C ? 'load-balancer' : 'server', address: `${id}:4222` })),
    };
    const reply = await observer.request(
      `${namespace}.agent.${serverId}.control`,
      JSON.stringify(AgentControl.parse(request)),
      { timeout },
    );
    return AgentHaCheckReply.parse(reply.json());
  };
  const reachable = async (serverId: string) => {
    const reply = await haCheck(serverId);
    if (!reply.ok) throw new Error(reply.error);
    return reply.results.map((r) => `${r.peerId}:${r.reachable}`);
  };

  beforeAll(async () => {
    observer = await connectNats({ url: TEST_NATS_URL, name: 'agent-sim-ha-observer' });
    simConnection = await connectNats({ url: TEST_NATS_URL, name: 'agent-sim-ha' });
    sim = new FleetSimulator({
      connection: simConnection,
      namespace,
      fleet,
      clock: createClock(1, Date.now()),
      speed: 1,
      heartbeatSec: 60,
      agentVersion: '0.0.0-test',
      logger: new MemoryLogger(),
    });
    sim.start();
    await simConnection.flush();
  });

  afterAll(async () => {
    await sim?.stop();
    await simConnection?.drain();
    await observer?.drain();
  });

  it('answers with the round trip to each peer and its clock', async () => {
    const before = Date.now();
    const reply = await haCheck(A);
    expect(reply).toMatchObject({
      ok: true,
      results: [
        { peerId: B, reachable: true, roundTripMs: simHaRoundTripMs(SEED, A, B) },
        { peerId: C, reachable: true, roundTripMs: simHaRoundTripMs(SEED, A, C) },
      ],
    });
    if (!reply.ok) return;
    expect(Date.parse(reply.sentAt)).toBeGreaterThanOrEqual(before - 5);
    expect(Date.parse(reply.sentAt)).toBeLessThanOrEqual(Date.now() + 5);
  });

  it('reports a skewed clock after clock-skew', async () => {
    expect(await control({ action: 'clock-skew', serverIds: [B], skewSec: 90 })).toEqual({
      ok: true,
      action: 'clock-skew',
      affected: 1,
    });
    const reply = await haCheck(B);
    expect(reply.ok && Date.parse(reply.sentAt) - Date.now()).toBeGreaterThan(89_000);
    await control({ action: 'clock-skew', serverIds: [B], skewSec: 0 });
  });

  it('cuts messaging from and to a server after messaging-down, until messaging-up', async () => {
    expect(await control({ action: 'messaging-down', serverIds: [C] })).toMatchObject({ ok: true, affected: 1 });
    expect(await reachable(A)).toEqual([`${B}:true`, `${C}:false`]);
    expect(await reachable(C)).toEqual([`${A}:false`, `${B}:false`]);
    expect(await control({ action: 'messaging-up', serverIds: [C] })).toMatchObject({ ok: true, affected: 1 });
    expect(await reachable(C)).toEqual([`${A}:true`, `${B}:true`]);
  });

  it('does not answer for a stopped server, whose peers cannot reach it', async () => {
    await control({ action: 'stop', serverIds: [B] });
    await expect(haCheck(B, 300)).rejects.toThrow();
    expect(await reachable(A)).toEqual([`${B}:false`, `${C}:true`]);
    await control({ action: 'start', serverIds: [B] });
    expect(await reachable(A)).toEqual([`${B}:true`, `${C}:true`]);
  });
});
