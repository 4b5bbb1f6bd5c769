import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  classifyAddresses,
  probeFiles,
  probeHostConfig,
  probeManifest,
  ProbeError,
  type HostProbeDeps,
} from './probes';

describe('probes', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-probes-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('probeManifest', () => {
    it('reads the product versions; web apps may be absent', async () => {
      const file = path.join(dir, 'manifest.json');
      fs.writeFileSync(file, JSON.stringify({ serverVersion: '9.0.0.200', webAppsVersion: '9.0.1.15' }));
      await expect(probeManifest(file)).resolves.toEqual({ serverVersion: '9.0.0.200', webAppsVersion: '9.0.1.15' });
      fs.writeFileSync(file, JSON.stringify({ serverVersion: '9.0.0.200' }));
      await expect(probeManifest(file)).resolves.toEqual({ serverVersion: '9.0.0.200', webAppsVersion: null });
    });

    it('names the field of an invalid manifest', async () => {
      const file = path.join(dir, 'manifest.json');
      fs.writeFileSync(file, JSON.stringify({ serverVersion: 'nine' }));
      await expect(probeManifest(file)).rejects.toThrow(/Invalid manifest .*: serverVersion: dot-separated numbers/);
    });

    it('names a missing manifest', async () => {
      await expect(probeManifest(path.join(dir, 'nope.json'))).rejects.toBeInstanceOf(ProbeError);
    });
  });

  describe('probeFiles', () => {
    it('reports each file with its version from the sidecar, else versions.json, else unknown', async () => {
      fs.writeFileSync(path.join(dir, 'CoreServer.exe'), 'x'.repeat(100));
      fs.writeFileSync(path.join(dir, 'CoreServer.exe.version'), '9.0.0.200\n');
      fs.writeFileSync(path.join(dir, 'CallRouter.dll'), 'x'.repeat(20));
      fs.writeFileSync(path.join(dir, 'Licensing.dll'), '');
      fs.writeFileSync(
        path.join(dir, 'versions.json'),
        JSON.stringify({ 'CallRouter.dll': '9.0.0.187', 'CoreServer.exe': '1' }),
      );
      fs.writeFileSync(path.join(dir, '.hidden'), 'x');
      fs.mkdirSync(path.join(dir, 'sub'));
      const mtime = new Date('2025-08-01T10:00:00.000Z');
      fs.utimesSync(path.join(dir, 'CoreServer.exe'), mtime, mtime);

      const files = await probeFiles(dir);
      expect(files).toEqual([
        expect.objectContaining({ name: 'CallRouter.dll', version: '9.0.0.187', size: 20 }),
        { name: 'CoreServer.exe', version: '9.0.0.200', size: 100, lastModified: '2025-08-01T10:00:00.000Z' },
        expect.objectContaining({ name: 'Licensing.dll', version: 'unknown', size: 0 }),
      ]);
    });

    it('names a files directory that does not exist', async () => {
      await expect(probeFiles(path.join(dir, 'missing'))).rejects.toThrow(/Cannot read the files directory/);
    });

    it('names a versions.json that is not a map', async () => {
      fs.writeFileSync(path.join(dir, 'versions.json'), '[1]');
      await expect(probeFiles(dir)).rejects.toThrow(/versions\.json must be a JSON object/);
    });
  });
});

describe('probeHostConfig', () => {
  const deps: HostProbeDeps = {
    hostname: () => 'ucs1',
    lookupFqdn: async () => 'ucs1.example.net',
    networkInterfaces: () => ({
      lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '', mac: '', cidr: null }],
      eth0: [
        { address: 'fe80::1%eth0', family: 'IPv6', internal: false, netmask: '', mac: '', cidr: null, scopeid: 2 },
        { address: '10.1.2.3', family: 'IPv4', internal: false, netmask: '', mac: '', cidr: null },
      ],
      eth1: [{ address: '203.0.113.7', family: 'IPv4', internal: false, netmask: '', mac: '', cidr: null }],
    }),
  };

  it('probes host name, FQDN and the public and private IP', async () => {
    await expect(probeHostConfig({}, deps)).resolves.toEqual({
      fqdn: 'ucs1.example.net',
      hostName: 'ucs1',
      publicIp: '203.0.113.7',
      privateIp: '10.1.2.3',
    });
  });

  it('lets the overrides win, and falls back to the host name when DNS knows no FQDN', async () => {
    const noDns = { ...deps, lookupFqdn: async () => undefined };
    await expect(probeHostConfig({ hostName: 'edge', publicIp: null }, noDns)).resolves.toEqual({
      fqdn: 'edge',
      hostName: 'edge',
      publicIp: null,
      privateIp: '10.1.2.3',
    });
  });

  it('classifies addresses: RFC 1918 and ULA are private, link-local and loopback are neither', () => {
    expect(
      classifyAddresses({
        a: [
          { address: '169.254.1.1', family: 'IPv4', internal: false, netmask: '', mac: '', cidr: null },
          { address: '192.168.1.4', family: 'IPv4', internal: false, netmask: '', mac: '', cidr: null },
          { address: '2001:db8::5', family: 'IPv6', internal: false, netmask: '', mac: '', cidr: null, scopeid: 0 },
        ],
      }),
    ).toEqual({ publicIp: '2001:db8::5', privateIp: '192.168.1.4' });
    expect(classifyAddresses({})).toEqual({ publicIp: null, privateIp: null });
  });
});
