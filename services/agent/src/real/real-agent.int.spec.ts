import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import { AgentHeartbeat, AgentHello, AgentReport } from '@fleetwarden/inventory-contracts';
import { connectNats } from '@fleetwarden/messaging';
import { createTestNamespace, TEST_NATS_URL } from '@fleetwarden/testing';
import { AgentTraffic, MemoryLogger, waitFor } from '../testing/agent-test.helpers';
import { parseAgentConfig, type AgentConfig } from './agent-config';
import { RealAgent } from './real-agent';

const SERVER_ID = 'srv-real-1';

function setUpServer(dir: string): void {
  fs.writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({ serverVersion: '9.0.0.200', webAppsVersion: null }),
  );
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'CoreServer.exe'), 'core-v200');
  fs.writeFileSync(path.join(bin, 'CoreServer.exe.version'), '9.0.0.200');
  fs.writeFileSync(path.join(bin, 'CallRouter.dll'), 'router');
  fs.writeFileSync(path.join(bin, 'Licensing.dll'), 'lic');
  fs.writeFileSync(path.join(bin, 'versions.json'), JSON.stringify({ 'CallRouter.dll': '9.0.0.187' }));
}

function agentConfig(dir: string, namespace: string, serverId = SERVER_ID): AgentConfig {
  return parseAgentConfig(
    {
      serverId,
      natsUrl: TEST_NATS_URL,
      namespace,
      heartbeatIntervalSec: 0.1,
      reprobeEveryHeartbeats: 1,
      identity: {
        reseller: { id: 'reseller-9', name: 'Harbor Networks' },
        company: { id: 'company-9-1', name: 'Cedar Clinic Ltd' },
        address: '12 Mill Road, 55555 Dublin, IE',
        stage: 'patch',
        hostingProvider: 'partner',
      },
      manifestPath: 'manifest.json',
      filesDir: 'bin',
      hostConfig: { fqdn: 'ucs9.cedar.example.net', hostName: 'ucs9', publicIp: null, privateIp: '10.9.0.1' },
    },
    { baseDir: dir },
  );
}

describe('RealAgent on NATS', () => {
  const namespace = createTestNamespace('agentreal');
  let dir: string;
  let observer: NatsConnection;
  let traffic: AgentTraffic;
  let agent: RealAgent;
  const logger = new MemoryLogger();
  const reports = () => traffic.messages(SERVER_ID, 'report').map((m) => AgentReport.parse(m.body));

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-real-'));
    setUpServer(dir);
    observer = await connectNats({ url: TEST_NATS_URL, name: 'agent-real-observer' });
    traffic = new AgentTraffic(observer, namespace);
    await observer.flush();
    agent = new RealAgent({ config: agentConfig(dir, namespace), agentVersion: '0.0.0-test', logger });
    await agent.start();
  });

  afterAll(async () => {
    await agent?.stop();
    traffic?.stop();
    await observer?.drain();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('says hello with its identity, versions, host config and files', async () => {
    await waitFor(() => traffic.count(SERVER_ID, 'hello') === 1, 'the hello');
    const hello = AgentHello.parse(traffic.messages(SERVER_ID, 'hello')[0].body);
    expect(hello).toMatchObject({
      serverId: SERVER_ID,
      agentVersion: '0.0.0-test',
      heartbeatIntervalSec: 0.1,
      identity: { reseller: { id: 'reseller-9' }, company: { id: 'company-9-1' }, stage: 'patch' },
      versions: { serverVersion: '9.0.0.200', webAppsVersion: null },
      config: { fqdn: 'ucs9.cedar.example.net', hostName: 'ucs9', publicIp: null, privateIp: '10.9.0.1' },
    });
    expect(hello.files.map(({ name, version, size }) => ({ name, version, size }))).toEqual([
      { name: 'CallRouter.dll', version: '9.0.0.187', size: 6 },
      { name: 'CoreServer.exe', version: '9.0.0.200', size: 9 },
      { name: 'Licensing.dll', version: 'unknown', size: 3 },
    ]);
  });

  it('sends numbered heartbeats and no report while nothing changes', async () => {
    await waitFor(() => traffic.count(SERVER_ID, 'heartbeat') >= 3, 'three heartbeats');
    const seqs = traffic.messages(SERVER_ID, 'heartbeat').map((m) => AgentHeartbeat.parse(m.body).seq);
    expect(seqs.slice(0, 3)).toEqual([0, 1, 2]);
    expect(reports()).toEqual([]);
  });

  it('reports only the files after a file changed', async () => {
    const bin = path.join(dir, 'bin');
    fs.writeFileSync(path.join(bin, 'CoreServer.exe.version'), '9.0.0.210');
    fs.writeFileSync(path.join(bin, 'CoreServer.exe'), 'core-v210-bigger');
    const updated = () =>
      reports().some((r) =>
        r.files?.some((f) => f.name === 'CoreServer.exe' && f.version === '9.0.0.210' && f.size === 16),
      );
    await waitFor(updated, 'a report of the new CoreServer.exe');
    for (const report of reports()) expect(Object.keys(report).sort()).toEqual(['files', 'sentAt', 'serverId']);
    const sent = reports().length;
    const beats = traffic.count(SERVER_ID, 'heartbeat');
    await waitFor(() => traffic.count(SERVER_ID, 'heartbeat') >= beats + 3, 'three more heartbeats');
    expect(reports()).toHaveLength(sent);
  });

  it('reports only the versions after the manifest changed', async () => {
    const sent = reports().length;
    fs.writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({ serverVersion: '9.0.0.210', webAppsVersion: '9.0.1.15' }),
    );
    await waitFor(() => reports().length > sent, 'a report of the new versions');
    expect(reports()[sent]).toEqual({
      serverId: SERVER_ID,
      sentAt: expect.any(String),
      versions: { serverVersion: '9.0.0.210', webAppsVersion: '9.0.1.15' },
    });
  });

  it('keeps beating and says nothing new when a probe fails', async () => {
    fs.writeFileSync(path.join(dir, 'manifest.json'), '{ broken');
    const sent = reports().length;
    await waitFor(() => logger.lines.some((l) => l.includes('probe failed')), 'the probe failure to be logged');
    const beats = traffic.count(SERVER_ID, 'heartbeat');
    await waitFor(() => traffic.count(SERVER_ID, 'heartbeat') >= beats + 2, 'two more heartbeats');
    expect(reports()).toHaveLength(sent);
    fs.writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({ serverVersion: '9.0.0.210', webAppsVersion: '9.0.1.15' }),
    );
  });

  it('says hello again, numbering heartbeats from 0, after the connection comes back', async () => {
    const connection = await connectNats({
      url: TEST_NATS_URL,
      name: 'agent-real-2',
      options: { reconnectTimeWait: 50 },
    });
    const second = new RealAgent({
      config: agentConfig(dir, namespace, 'srv-real-2'),
      agentVersion: '0.0.0-test',
      logger,
      connection,
    });
    try {
      await second.start();
      await waitFor(() => traffic.count('srv-real-2', 'heartbeat') >= 2, 'heartbeats of the second agent');
      const before = traffic.count('srv-real-2');
      await connection.reconnect();
      const later = () => traffic.since('srv-real-2', before);
      const helloAt = () => later().findIndex((m) => m.kind === 'hello');
      await waitFor(
        () =>
          helloAt() >= 0 &&
          later()
            .slice(helloAt() + 1)
            .some((m) => m.kind === 'heartbeat'),
        'a new hello and a heartbeat after it',
      );
      expect(AgentHello.parse(later()[helloAt()].body).serverId).toBe('srv-real-2');
      expect(
        later()
          .slice(helloAt() + 1)
          .find((m) => m.kind === 'heartbeat')?.body.seq,
      ).toBe(0);
    } finally {
      await second.stop();
      await connection.drain();
    }
  });
});
