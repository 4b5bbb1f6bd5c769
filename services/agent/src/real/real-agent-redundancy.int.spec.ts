import * as fs from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectNats } from '@fleetwarden/messaging';
import { AgentKeepAlive, type AgentKeepAliveMessage } from '@fleetwarden/redundancy-contracts';
import { createTestNamespace, TEST_NATS_URL } from '@fleetwarden/testing';
import { AgentTraffic, MemoryLogger, waitFor } from '../testing/agent-test.helpers';
import { parseAgentConfig } from './agent-config';
import type { AgentProbes } from './probes';
import { RealAgent } from './real-agent';

const MEMBER = 'srv-real-pair-a';
const LONER = 'srv-real-loner';

const probes: AgentProbes = {
  probe: async () => ({
    versions: { serverVersion: '9.0.0.200', webAppsVersion: null },
    config: { fqdn: 'pair-a.example.net', hostName: 'pair-a', publicIp: null, privateIp: '10.9.0.7' },
    files: [],
  }),
};

function config(dir: string, namespace: string, serverId: string, redundancy?: object) {
  return parseAgentConfig(
    {
      serverId,
      natsUrl: TEST_NATS_URL,
      namespace,
      heartbeatIntervalSec: 60,
      identity: {
        reseller: { id: 'reseller-9', name: 'Harbor Networks' },
        company: { id: 'company-9-1', name: 'Cedar Clinic Ltd' },
        address: '12 Mill Road, 55555 Dublin, IE',
        stage: 'production',
        hostingProvider: 'partner',
      },
      manifestPath: 'manifest.json',
      filesDir: 'bin',
      ...(redundancy ? { redundancy } : {}),
    },
    { baseDir: dir },
  );
}

describe('RealAgent in a redundancy pair (shell probes, NATS)', () => {
  const namespace = createTestNamespace('agentpair');
  const logger = new MemoryLogger();
  let dir: string;
  let peer: Server;
  let observer: NatsConnection;
  let traffic: AgentTraffic;
  let member: RealAgent;
  let loner: RealAgent;

  const keepAlives = (serverId = MEMBER): AgentKeepAliveMessage[] =>
    traffic.messages(serverId, 'keepalive').map((m) => AgentKeepAlive.parse(m.body));
  const control = async (serverId: string, body: unknown) => {
    const msg = await observer.request(
      `${namespace}.agent.${serverId}.control`,
      typeof body === 'string' ? body : JSON.stringify(body),
      { timeout: 3000 },
    );
    return msg.json<{ ok: boolean; error?: string }>();
  };
  /** The first keep-alive that arrives after now. */
  const nextKeepAlive = async (): Promise<AgentKeepAliveMessage> => {
    const seen = traffic.count(MEMBER, 'keepalive');
    await waitFor(() => traffic.count(MEMBER, 'keepalive') > seen, 'the next keep-alive', 3000);
    return keepAlives()[seen];
  };
  const assume = { type: 'assume-control', pairId: 'pair-0009', switchId: 'sw-1', reason: 'manual switchover' };
  const release = { ...assume, type: 'release-control' };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-pair-'));
    peer = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    observer = await connectNats({ url: TEST_NATS_URL, name: 'agent-pair-observer' });
    traffic = new AgentTraffic(observer, namespace);
    await observer.flush();
    member = new RealAgent({
      config: config(dir, namespace, MEMBER, {
        keepAliveIntervalSec: 0.2,
        probeTimeoutSec: 1,
        controlTimeoutSec: 2,
        probes: {
          switching: 'true',
          ipPhone: 'test ! -f ipphone-down',
          keepAlive: 'true',
          inControl: 'test -f active',
          replication: 'echo checking >&2; cat replication 2>/dev/null || echo updated',
          peer: `127.0.0.1:${(peer.address() as AddressInfo).port}`,
        },
        assumeControl:
          'if [ -f refuse ]; then echo "switch busy" >&2; exit 3; fi; printf %s "$FLEETWARDEN_PAIR_ID" > active; echo took over',
        releaseControl: 'sleep 0.3; echo "$FLEETWARDEN_REASON" >> releases; rm -f active',
      }),
      agentVersion: '0.0.0-test',
      logger,
      probes,
    });
    loner = new RealAgent({
      config: config(dir, namespace, LONER),
      agentVersion: '0.0.0-test',
      logger: new MemoryLogger(),
      probes,
    });
    await Promise.all([member.start(), loner.start()]);
  });

  afterAll(async () => {
    await Promise.all([member?.stop(), loner?.stop()]);
    traffic?.stop();
    await observer?.drain();
    await new Promise<void>((resolve) => peer?.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends a keep-alive with what the probes see every interval', async () => {
    await waitFor(() => traffic.count(MEMBER, 'keepalive') >= 6, 'six keep-alives', 5000);
    const received = traffic.messages(MEMBER, 'keepalive');
    const gaps = received.slice(1).map((m, i) => m.at - received[i].at);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).toBeGreaterThan(150);
    expect(mean).toBeLessThan(350);
    expect(keepAlives()[0]).toEqual({
      serverId: MEMBER,
      sentAt: expect.any(String),
      inControl: false,
      switchingService: 'up',
      ipPhoneService: 'up',
      keepAliveService: 'up',
      replicationStatus: 'updated',
      peerReachable: true,
    });
  });

  it('reports a failing probe down, and a replication it cannot read as synchronizing', async () => {
    fs.writeFileSync(path.join(dir, 'ipphone-down'), '');
    fs.writeFileSync(path.join(dir, 'replication'), 'lagging\n');
    try {
      await waitFor(() => keepAlives().at(-1)?.ipPhoneService === 'down', 'ip-phone down', 3000);
      expect(await nextKeepAlive()).toMatchObject({
        ipPhoneService: 'down',
        switchingService: 'up',
        replicationStatus: 'synchronizing',
      });
      expect(logger.lines).toContainEqual(
        expect.stringMatching(/ipPhone: exited with code 1; replication: printed "lagging", not monitoring/),
      );
      fs.writeFileSync(path.join(dir, 'replication'), 'monitoring\n');
      await waitFor(() => keepAlives().at(-1)?.replicationStatus === 'monitoring', 'replication monitoring', 3000);
    } finally {
      fs.rmSync(path.join(dir, 'ipphone-down'), { force: true });
      fs.rmSync(path.join(dir, 'replication'), { force: true });
    }
    await waitFor(() => keepAlives().at(-1)?.ipPhoneService === 'up', 'ip-phone up again', 3000);
  });

  it('assume-control runs its command, confirms it, and the next keep-alive is in control', async () => {
    expect(keepAlives().at(-1)?.inControl).toBe(false);
    await expect(control(MEMBER, assume)).resolves.toEqual({ ok: true });
    expect(fs.readFileSync(path.join(dir, 'active'), 'utf8')).toBe('pair-0009');
    expect(await nextKeepAlive()).toMatchObject({ serverId: MEMBER, inControl: true });
    expect(logger.lines).toContainEqual(expect.stringContaining('assume-control: took over'));
  });

  it('release-control runs its command once for requests that come while it runs', async () => {
    const replies = await Promise.all([
      control(MEMBER, release),
      control(MEMBER, { ...release, reason: 'the control plane has the other member in control' }),
    ]);
    expect(replies).toEqual([{ ok: true }, { ok: true }]);
    expect(fs.readFileSync(path.join(dir, 'releases'), 'utf8')).toBe('manual switchover\n');
    expect(fs.existsSync(path.join(dir, 'active'))).toBe(false);
    expect(await nextKeepAlive()).toMatchObject({ inControl: false });
  });

  it('replies ok: false with the reason when the command fails, and stays as it was', async () => {
    fs.writeFileSync(path.join(dir, 'refuse'), '');
    try {
      await expect(control(MEMBER, assume)).resolves.toEqual({
        ok: false,
        error: 'assume-control command exited with code 3: switch busy',
      });
      expect(await nextKeepAlive()).toMatchObject({ inControl: false });
    } finally {
      fs.rmSync(path.join(dir, 'refuse'), { force: true });
    }
  });

  it.each([
    ['{nope', 'control request is not JSON'],
    [JSON.stringify({ ...assume, pairId: '' }), 'invalid assume-control request: pairId:'],
    [JSON.stringify({ ...release, switchId: 7 }), 'invalid release-control request: switchId:'],
    [JSON.stringify({ type: 'reboot' }), 'type: must be assume-control, release-control or ha-check'],
  ])('refuses the request %s naming the fault', async (body, error) => {
    await expect(control(MEMBER, body)).resolves.toEqual({ ok: false, error: expect.stringContaining(error) });
  });

  it('without a redundancy section: no keep-alives, and assume/release are refused', async () => {
    await expect(control(LONER, assume)).resolves.toEqual({ ok: false, error: 'this agent is in no redundancy pair' });
    await expect(control(LONER, release)).resolves.toEqual({
      ok: false,
      error: 'this agent is in no redundancy pair',
    });
    expect(traffic.count(LONER, 'hello')).toBe(1);
    expect(traffic.count(LONER, 'keepalive')).toBe(0);
  });
});
