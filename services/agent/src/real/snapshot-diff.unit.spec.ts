import type { AgentSnapshot } from '../common/agent-publisher';
import { canonicalJson, diffSnapshots } from './snapshot-diff';

const snapshot: AgentSnapshot = {
  versions: { serverVersion: '9.0.0.200', webAppsVersion: '9.0.1.15' },
  config: { fqdn: 'ucs1.example.net', hostName: 'ucs1', publicIp: '198.18.0.1', privateIp: '10.0.0.1' },
  files: [
    { name: 'CoreServer.exe', version: '9.0.0.200', size: 1000, lastModified: '2025-08-01T00:00:00.000Z' },
    { name: 'Licensing.dll', version: 'unknown', size: 50, lastModified: '2025-08-01T00:00:00.000Z' },
  ],
};

const copy = (): AgentSnapshot => JSON.parse(JSON.stringify(snapshot));

describe('diffSnapshots', () => {
  it('sees no change in an equal snapshot, whatever the key order', () => {
    const reordered = copy();
    reordered.config = { privateIp: '10.0.0.1', publicIp: '198.18.0.1', hostName: 'ucs1', fqdn: 'ucs1.example.net' };
    expect(diffSnapshots(snapshot, reordered)).toBeUndefined();
  });

  it('reports only the files when a file changed', () => {
    const next = copy();
    next.files[0] = { ...next.files[0], version: '9.0.0.210', size: 1200 };
    expect(diffSnapshots(snapshot, next)).toEqual({ files: next.files });
  });

  it('reports a file that appeared or disappeared', () => {
    const next = copy();
    next.files.pop();
    expect(diffSnapshots(snapshot, next)).toEqual({ files: next.files });
  });

  it('reports only the versions when the manifest changed', () => {
    const next = copy();
    next.versions.webAppsVersion = null;
    expect(diffSnapshots(snapshot, next)).toEqual({ versions: { serverVersion: '9.0.0.200', webAppsVersion: null } });
  });

  it('reports every part that changed', () => {
    const next = copy();
    next.config.publicIp = null;
    next.versions.serverVersion = '9.0.0.210';
    expect(Object.keys(diffSnapshots(snapshot, next) ?? {}).sort()).toEqual(['config', 'versions']);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});
