import { createServer, type AddressInfo, type Server } from 'node:net';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectNats } from '@fleetwarden/messaging';
import { AgentHaCheckReply, type AgentHaCheckMessage } from '@fleetwarden/redundancy-contracts';
import { createTestNamespace, TEST_NATS_URL } from '@fleetwarden/testing';
import { MemoryLogger } from '../testing/agent-test.helpers';
import { parseAgentConfig } from './agent-config';
import { answerHaCheck, timeTcpConnect } from './ha-check';
import { RealAgent } from './real-agent';

const SERVER_ID = 'srv-real-ha';
const clock = { now: () => new Date() };

describe('HA check of a real agent (TCP connect to each peer)', () => {
  const namespace = createTestNamespace('agentha');
  let listening: Server;
  let openPort: number;
  let closedPort: number;

  const request = (peers: Array<[string, string]>): AgentHaCheckMessage => ({
    type: 'ha-check',
    checkId: 'chk-1',
    clusterId: 'c-1',
    peers: peers.map(([serverId, address]) => ({ serverId, role: 'server', address })),
  });

  beforeAll(async () => {
    listening = createServer((socket) => socket.end());
    await new Promise<void>((r) => listening.listen(0, '127.0.0.1', r));
    openPort = (listening.address() as AddressInfo).port;
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
  });

  afterAll(async () => {
    await new Promise<void>((r) => listening.close(() => r()));
  });

  it('times a connect to a listening port', async () => {
    const result = await timeTcpConnect(`127.0.0.1:${openPort}`);
    expect(result).toEqual({ reachable: true, roundTripMs: expect.any(Number) });
    expect(result.roundTripMs).toBeLessThan(1000);
  });

  it('uses the default port when the address names none', async () => {
    await expect(timeTcpConnect('127.0.0.1', { defaultPort: openPort })).resolves.toMatchObject({ reachable: true });
  });

  it('reports a refused connect, a bad or missing address, and a timeout', async () => {
    await expect(timeTcpConnect(`127.0.0.1:${closedPort}`)).resolves.toEqual({
      reachable: false,
      roundTripMs: null,
      error: 'connect ECONNREFUSED',
    });
    await expect(timeTcpConnect('')).resolves.toMatchObject({ reachable: false, error: 'no address configured' });
    await expect(timeTcpConnect('not an address')).resolves.toMatchObject({
      reachable: false,
      error: 'invalid address: not an address',
    });
    // TEST-NET-1 is never routed: no answer (or no route) within the timeout.
    const started = Date.now();
    const silent = await timeTcpConnect('192.0.2.1:4222', { timeoutMs: 150 });
    expect(silent).toMatchObject({ reachable: false, roundTripMs: null });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('answers only ha-check requests, refusing an invalid one', async () => {
    const assume = { type: 'assume-control', pairId: 'p', switchId: null, reason: 'x' };
    await expect(answerHaCheck(JSON.stringify(assume), clock)).resolves.toBeUndefined();
    await expect(answerHaCheck('{nope', clock)).resolves.toBeUndefined();
    await expect(answerHaCheck(JSON.stringify({ type: 'ha-check', peers: [] }), clock)).resolves.toEqual({
      ok: false,
      error: expect.stringContaining('invalid ha-check request: checkId'),
    });
  });

  it('answers an ha-check on its control subject with its clock and a result per peer', async () => {
    const observer: NatsConnection = await connectNats({ url: TEST_NATS_URL, name: 'agent-real-ha-observer' });
    const config = parseAgentConfig(
      {
        serverId: SERVER_ID,
        natsUrl: TEST_NATS_URL,
        namespace,
        heartbeatIntervalSec: 60,
        identity: {
          reseller: { id: 'reseller-9', name: 'Harbor Networks' },
          company: { id: 'company-9-1', name: 'Cedar Clinic Ltd' },
          address: '12 Mill Road, 55555 Dublin, IE',
          stage: 'patch',
          hostingProvider: 'partner',
        },
        manifestPath: 'manifest.json',
        filesDir: 'bin',
        hostConfig: { fqdn: 'ha.example.net', hostName: 'ha', publicIp: null, privateIp: '10.9.0.9' },
      },
      { baseDir: '/nonexistent' },
    );
    const agent = new RealAgent({
      config,
      agentVersion: '0.0.0-test',
      logger: new MemoryLogger(),
      probes: {
        probe: async () => ({
          versions: { serverVersion: '9.0.0.200', webAppsVersion: null },
          config: { fqdn: 'ha.example.net', hostName: 'ha', publicIp: null, privateIp: '10.9.0.9' },
          files: [],
        }),
      },
    });
    await agent.start();
    try {
      const before = Date.now();
      const msg = await observer.request(
        `${namespace}.agent.${SERVER_ID}.control`,
        JSON.stringify(
          request([
            ['srv-up', `127.0.0.1:${openPort}`],
            ['srv-down', `127.0.0.1:${closedPort}`],
          ]),
        ),
        { timeout: 3000 },
      );
      const reply = AgentHaCheckReply.parse(msg.json());
      expect(reply).toEqual({
        ok: true,
        receivedAt: expect.any(String),
        sentAt: expect.any(String),
        results: [
          { peerId: 'srv-up', reachable: true, roundTripMs: expect.any(Number) },
          { peerId: 'srv-down', reachable: false, roundTripMs: null, error: 'connect ECONNREFUSED' },
        ],
      });
      expect(reply.ok && Date.parse(reply.receivedAt!)).toBeGreaterThanOrEqual(before - 5);
    } finally {
      await agent.stop();
      await observer.drain();
    }
  });
});
