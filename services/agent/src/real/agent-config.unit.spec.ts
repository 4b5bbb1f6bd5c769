import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AGENT_CONFIG_DEFAULTS, AgentConfigError, loadAgentConfigFile, parseAgentConfig } from './agent-config';

const minimal = {
  serverId: 'srv-00042',
  natsUrl: 'nats://127.0.0.1:4222',
  identity: {
    reseller: { id: 'reseller-1', name: 'Northwind Telecom' },
    company: { id: 'company-1-1', name: 'Alder Dental Inc.' },
    address: '1 Main Street, 10001 Seattle, US',
    stage: 'production',
    hostingProvider: 'operator',
  },
  manifestPath: 'manifest.json',
  filesDir: './bin',
};

function problem(value: unknown): string {
  try {
    parseAgentConfig(value, { baseDir: '/etc/agent', source: 'agent config /etc/agent/agent.json' });
  } catch (err) {
    expect(err).toBeInstanceOf(AgentConfigError);
    return (err as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('parseAgentConfig', () => {
  it('fills in the defaults and resolves paths against the config directory', () => {
    expect(parseAgentConfig(minimal, { baseDir: '/etc/agent' })).toEqual({
      serverId: 'srv-00042',
      natsUrl: 'nats://127.0.0.1:4222',
      credentials: undefined,
      namespace: AGENT_CONFIG_DEFAULTS.namespace,
      heartbeatIntervalSec: 10,
      reprobeEveryHeartbeats: AGENT_CONFIG_DEFAULTS.reprobeEveryHeartbeats,
      identity: minimal.identity,
      manifestPath: '/etc/agent/manifest.json',
      filesDir: '/etc/agent/bin',
      hostConfig: {},
    });
  });

  it('takes the namespace from the file, else the default given', () => {
    expect(parseAgentConfig(minimal, { baseDir: '/', defaultNamespace: 'demo' }).namespace).toBe('demo');
    expect(
      parseAgentConfig({ ...minimal, namespace: 'other' }, { baseDir: '/', defaultNamespace: 'demo' }).namespace,
    ).toBe('other');
  });

  it.each([
    [
      { user: 'agent', pass: 'secret' },
      { user: 'agent', pass: 'secret' },
    ],
    [{ token: 't0k3n' }, { token: 't0k3n' }],
    [{ credsFile: 'agent.creds' }, { credsFile: '/etc/agent/agent.creds' }],
  ])('accepts the credentials %j', (credentials, expected) => {
    expect(parseAgentConfig({ ...minimal, credentials }, { baseDir: '/etc/agent' }).credentials).toEqual(expected);
  });

  it('accepts host config overrides, null IPs included', () => {
    const hostConfig = { fqdn: 'ucs1.example.net', hostName: 'ucs1', publicIp: null, privateIp: '10.0.0.5' };
    expect(parseAgentConfig({ ...minimal, hostConfig }, { baseDir: '/' }).hostConfig).toEqual(hostConfig);
  });

  it('takes update commands per component, run in the config directory', () => {
    const update = {
      'server-image': {
        download: 'fetch-image',
        install: 'install-image',
        restart: 'systemctl restart product',
        validate: 'check',
      },
      'web-apps': { install: 'install-web', validate: 'check-web' },
    };
    expect(parseAgentConfig({ ...minimal, update }, { baseDir: '/etc/agent' }).update).toEqual({
      workDir: '/etc/agent',
      components: update,
    });
    expect(parseAgentConfig(minimal, { baseDir: '/etc/agent' }).update).toBeUndefined();
  });

  it.each([
    [{ serverId: 'srv 1' }, 'serverId: letters, digits'],
    [{ serverId: undefined }, 'serverId:'],
    [{ natsUrl: 'http://x' }, 'natsUrl: must be a nats:// or tls:// URL'],
    [{ heartbeatIntervalSec: 0 }, 'heartbeatIntervalSec:'],
    [{ heartbeatIntervalSec: '10' }, 'heartbeatIntervalSec:'],
    [{ reprobeEveryHeartbeats: 1.5 }, 'reprobeEveryHeartbeats:'],
    [{ namespace: 'Fleet' }, 'namespace: must be 1-32 lowercase'],
    [{ identity: { ...minimal.identity, company: { id: 'c', name: '' } } }, 'identity.company.name:'],
    [{ identity: { ...minimal.identity, stage: 'alpha' } }, 'identity.stage:'],
    [{ identity: { ...minimal.identity, hostingProvider: 'cloud' } }, 'identity.hostingProvider:'],
    [{ manifestPath: '' }, 'manifestPath:'],
    [{ hostConfig: { publicIp: '300.1.1.1' } }, 'hostConfig.publicIp:'],
    [{ credentials: { user: 'a' } }, 'credentials.pass: user needs pass'],
    [{ credentials: { token: 't', credsFile: 'x' } }, 'credentials: give exactly one of'],
    [{ credentials: {} }, 'credentials: give exactly one of'],
    [{ colour: 'blue' }, 'colour'],
    [{ update: { 'server-image': { validate: 'check' } } }, 'update.server-image.install:'],
    [{ update: { 'server-image': { install: 'x' } } }, 'update.server-image.validate:'],
    [
      { update: { 'web-apps': { install: '  ', validate: 'v' } } },
      'update.web-apps.install: must be a non-empty shell command',
    ],
    [{ update: { 'client-apps': { install: 'x', validate: 'v', rollback: 'y' } } }, 'rollback'],
    [{ update: { 'client-apps': { install: 3, validate: 'v' } } }, 'update.client-apps.install:'],
    [{ update: { firmware: { install: 'x', validate: 'v' } } }, 'firmware'],
  ])('rejects %j naming the field', (change, message) => {
    const text = problem({ ...minimal, ...change });
    expect(text).toContain('Invalid agent config /etc/agent/agent.json: ');
    expect(text).toContain(message);
  });
});

describe('loadAgentConfigFile', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-config-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a file and resolves its paths against its own directory', () => {
    const file = path.join(dir, 'agent.json');
    fs.writeFileSync(file, JSON.stringify(minimal));
    expect(loadAgentConfigFile(file).manifestPath).toBe(path.join(dir, 'manifest.json'));
  });

  it('names a missing file', () => {
    expect(() => loadAgentConfigFile(path.join(dir, 'missing.json'))).toThrow(
      /Cannot read agent config .*missing\.json/,
    );
  });

  it('names a file that is not JSON', () => {
    const file = path.join(dir, 'broken.json');
    fs.writeFileSync(file, '{ serverId: ');
    expect(() => loadAgentConfigFile(file)).toThrow(/Agent config .*broken\.json is not valid JSON/);
  });
});
