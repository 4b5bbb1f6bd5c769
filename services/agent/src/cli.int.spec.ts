import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import { AgentHello } from '@fleetwarden/inventory-contracts';
import { connectNats } from '@fleetwarden/messaging';
import { createTestNamespace, TEST_NATS_URL } from '@fleetwarden/testing';
import { AgentTraffic, waitFor } from './testing/agent-test.helpers';

const ROOT = path.resolve(__dirname, '../../..');
/** Each test starts a process (about 1 s on an idle machine, several on a busy one). */
const PROCESS_TIMEOUT_MS = 20_000;
const WAIT_MS = 15_000;
const children = new Set<ChildProcess>();

jest.setTimeout(PROCESS_TIMEOUT_MS);

interface Cli {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function run(entry: 'fleet' | 'main', args: string[], env: Record<string, string> = {}): Cli {
  const cleanEnv = { ...process.env };
  delete cleanEnv['FLEETWARDEN_CLOCK_SPEED'];
  const child = spawn(process.execPath, ['tools/run.js', `services/agent/src/${entry}.ts`, ...args], {
    cwd: ROOT,
    env: { ...cleanEnv, NATS_URL: TEST_NATS_URL, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('command line', () => {
  const namespace = createTestNamespace('agentcli');
  let observer: NatsConnection;
  let traffic: AgentTraffic;
  let dir: string;

  beforeAll(async () => {
    observer = await connectNats({ url: TEST_NATS_URL, name: 'agent-cli-observer' });
    traffic = new AgentTraffic(observer, namespace);
    await observer.flush();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-cli-'));
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    traffic?.stop();
    await observer?.drain();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('npm run fleet: refuses a bad flag with exit code 2, naming the flag', async () => {
    const cli = run('fleet', ['--servers', '10', '--fail-rate', '2']);
    await expect(cli.exited).resolves.toBe(2);
    expect(cli.output()).toContain('fleet: --fail-rate must be a number between 0 and 1 (got "2")');
  });

  it('npm run fleet: runs the fleet, takes control messages, and stops on SIGTERM with exit code 0', async () => {
    const cli = run('fleet', ['--servers', '12', '--resellers', '2', '--speed', '50', '--seed', '3'], {
      FLEETWARDEN_NAMESPACE: namespace,
    });
    try {
      await waitFor(() => cli.output().includes('all 12 agents said hello'), 'the all-hello log line', WAIT_MS);
      await waitFor(() => traffic.serverIds().filter((id) => id.startsWith('srv-')).length === 12, 'all 12 hellos');
      expect(AgentHello.parse(traffic.messages('srv-00002', 'hello')[0].body).identity.reseller.id).toBe('reseller-2');
      const reply = await observer.request(
        `${namespace}.sim.control`,
        JSON.stringify({ action: 'stop', serverIds: ['srv-00001'] }),
        { timeout: 2000 },
      );
      expect(reply.json()).toEqual({ ok: true, action: 'stop', affected: 1 });
    } finally {
      cli.child.kill('SIGTERM');
    }
    await expect(cli.exited).resolves.toBe(0);
    expect(cli.output()).toContain('stopped 12 agents');
  });

  it('npm run agent: requires --config (exit code 2)', async () => {
    const cli = run('main', []);
    await expect(cli.exited).resolves.toBe(2);
    expect(cli.output()).toContain('agent: --config <file> is required');
  });

  it('npm run agent: stops at start-up with one line naming the invalid config field', async () => {
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ serverId: 'srv-x', natsUrl: TEST_NATS_URL, heartbeatIntervalSec: -1 }));
    const cli = run('main', ['--config', file]);
    await expect(cli.exited).resolves.toBe(1);
    expect(cli.output()).toContain(`Invalid agent config ${file}: heartbeatIntervalSec:`);
    expect(cli.output()).toContain('identity:');
  });

  it('npm run agent: runs a real agent from its config file until SIGTERM', async () => {
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ serverVersion: '9.0.0.200' }));
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin', 'CoreServer.exe'), 'core');
    const file = path.join(dir, 'agent.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        serverId: 'real-cli-1',
        natsUrl: TEST_NATS_URL,
        namespace,
        heartbeatIntervalSec: 0.2,
        identity: {
          reseller: { id: 'reseller-1', name: 'Northwind Telecom' },
          company: { id: 'company-1-1', name: 'Alder Dental Inc.' },
          address: '1 Main Street',
          stage: 'production',
          hostingProvider: 'operator',
        },
        manifestPath: 'manifest.json',
        filesDir: 'bin',
      }),
    );
    const cli = run('main', ['--config', file]);
    try {
      await waitFor(() => traffic.count('real-cli-1', 'heartbeat') >= 2, 'two heartbeats of the real agent', WAIT_MS);
      const hello = AgentHello.parse(traffic.messages('real-cli-1', 'hello')[0].body);
      expect(hello.files.map((f) => [f.name, f.version])).toEqual([['CoreServer.exe', 'unknown']]);
      expect(hello.heartbeatIntervalSec).toBe(0.2);
    } finally {
      cli.child.kill('SIGTERM');
    }
    await expect(cli.exited).resolves.toBe(0);
  });
});
