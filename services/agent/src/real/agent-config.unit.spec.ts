import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AGENT_CONFIG_DEFAULTS, AgentConfigError, loadAgentConfigFile, parseAgentConfig } from './agent-config';
import { REDUNDANCY_CONFIG_DEFAULTS } from './redundancy-config';

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

  it('takes the patch install argv, run in the config directory, with a default timeout', () => {
    const config = parseAgentConfig(
      { ...minimal, patches: { installCommand: ['/usr/bin/apt-get', 'install', '-y'] } },
      { baseDir: '/etc/agent' },
    );
    expect(config.patches).toEqual({
      workDir: '/etc/agent',
      installCommand: ['/usr/bin/apt-get', 'install', '-y'],
      timeoutSec: 3600,
    });
    expect(parseAgentConfig(minimal, { baseDir: '/' }).patches).toBeUndefined();
    expect(problem({ ...minimal, patches: { installCommand: [] } })).toContain(
      'patches.installCommand: must give the program',
    );
    expect(problem({ ...minimal, patches: { installCommand: 'apt-get install' } })).toContain(
      'patches.installCommand:',
    );
    expect(problem({ ...minimal, patches: { installCommand: ['x'], timeoutSec: 0 } })).toContain('patches.timeoutSec:');
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

describe('parseAgentConfig: redundancy', () => {
  const redundancy = {
    keepAliveIntervalSec: 5,
    probes: {
      switching: 'systemctl is-active switchd',
      ipPhone: 'systemctl is-active ipphone',
      keepAlive: 'systemctl is-active keepalived',
      inControl: 'test -f /var/run/fleet/active',
      replication: '/usr/local/bin/replication-state',
      peer: '10.0.0.2:4222',
    },
    assumeControl: '/usr/local/bin/take-over',
    releaseControl: '/usr/local/bin/stand-by',
  };

  it('is absent unless the file has the section', () => {
    expect(parseAgentConfig(minimal, { baseDir: '/etc/agent' }).redundancy).toBeUndefined();
  });

  it('takes the probes and commands, run in the config directory, with default timeouts', () => {
    expect(parseAgentConfig({ ...minimal, redundancy }, { baseDir: '/etc/agent' }).redundancy).toEqual({
      workDir: '/etc/agent',
      keepAliveIntervalSec: 5,
      probeTimeoutSec: REDUNDANCY_CONFIG_DEFAULTS.probeTimeoutSec,
      controlTimeoutSec: REDUNDANCY_CONFIG_DEFAULTS.controlTimeoutSec,
      probes: redundancy.probes,
      assumeControl: '/usr/local/bin/take-over',
      releaseControl: '/usr/local/bin/stand-by',
    });
  });

  it('defaults the interval and takes the timeouts given', () => {
    const { keepAliveIntervalSec: _interval, ...rest } = redundancy;
    const parsed = parseAgentConfig(
      { ...minimal, redundancy: { ...rest, probeTimeoutSec: 0.5, controlTimeoutSec: 120 } },
      { baseDir: '/' },
    ).redundancy;
    expect(parsed).toMatchObject({
      keepAliveIntervalSec: REDUNDANCY_CONFIG_DEFAULTS.keepAliveIntervalSec,
      probeTimeoutSec: 0.5,
      controlTimeoutSec: 120,
    });
  });

  it.each(['[fd00::2]:4222', 'peer.example.net:7000', '127.0.0.1:1'])('accepts the peer %s', (peer) => {
    const config = { ...minimal, redundancy: { ...redundancy, probes: { ...redundancy.probes, peer } } };
    expect(parseAgentConfig(config, { baseDir: '/' }).redundancy?.probes.peer).toBe(peer);
  });

  it.each([
    ['redundancy.probes.peer: must be host:port', { probes: { peer: '10.0.0.2' } }],
    ['redundancy.probes.peer: must be host:port', { probes: { peer: '10.0.0.2:0' } }],
    ['redundancy.probes.peer: must be host:port', { probes: { peer: 'fd00::2:4222' } }],
    ['redundancy.probes.peer:', { probes: { peer: 4222 } }],
    ['redundancy.probes.replication: must be a non-empty shell command', { probes: { replication: ' ' } }],
    ['redundancy.probes.ipPhone:', { probes: { ipPhone: undefined } }],
    ['database', { probes: { database: 'true' } }],
    ['redundancy.keepAliveIntervalSec:', { keepAliveIntervalSec: 0 }],
    ['redundancy.keepAliveIntervalSec:', { keepAliveIntervalSec: '5' }],
    ['redundancy.probeTimeoutSec:', { probeTimeoutSec: -1 }],
    ['redundancy.controlTimeoutSec:', { controlTimeoutSec: 0 }],
    ['redundancy.assumeControl:', { assumeControl: '' }],
    ['redundancy.releaseControl:', { releaseControl: undefined }],
    ['pairId', { pairId: 'pair-1' }],
    ['redundancy.probes:', { probes: undefined }],
  ])('rejects a section with a bad field: %s', (message, change) => {
    const { probes, ...rest } = change as { probes?: Record<string, unknown> };
    const section =
      'probes' in change && probes === undefined
        ? { ...redundancy, probes: undefined }
        : { ...redundancy, ...rest, probes: { ...redundancy.probes, ...probes } };
    const text = problem({ ...minimal, redundancy: section });
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
