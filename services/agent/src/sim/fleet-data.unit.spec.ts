import { AgentHello } from '@fleetwarden/inventory-contracts';
import { buildHello } from '../common/agent-publisher';
import { FleetModel, resellerIndexOf, serverIdOf, SIM_SERVER_VERSION } from './fleet-data';

const all = (fleet: FleetModel) => [...fleet.servers()];

describe('FleetModel', () => {
  describe('for one seed', () => {
    it('generates the same fleet every time', () => {
      const a = new FleetModel({ servers: 300, resellers: 4, seed: 7 });
      const b = new FleetModel({ servers: 300, resellers: 4, seed: 7 });
      expect(all(b)).toEqual(all(a));
      expect(b.resellers).toEqual(a.resellers);
    });

    it('keeps a server the same whatever the fleet size', () => {
      const small = new FleetModel({ servers: 20, resellers: 3, seed: 7 });
      const large = new FleetModel({ servers: 5000, resellers: 3, seed: 7 });
      for (let k = 1; k <= 20; k++) expect(large.server(k)).toEqual(small.server(k));
    });
  });

  it('generates a different fleet for a different seed', () => {
    const a = all(new FleetModel({ servers: 100, resellers: 3, seed: 1 }));
    const b = all(new FleetModel({ servers: 100, resellers: 3, seed: 2 }));
    const differing = a.filter((s, i) => JSON.stringify(s) !== JSON.stringify(b[i]));
    expect(differing.length).toBeGreaterThan(90);
    expect(new FleetModel({ servers: 1, resellers: 3, seed: 1 }).resellers).not.toEqual(
      new FleetModel({ servers: 1, resellers: 3, seed: 2 }).resellers,
    );
  });

  it('deals servers round-robin over the resellers: server k belongs to reseller ((k-1) % R) + 1', () => {
    const fleet = new FleetModel({ servers: 200, resellers: 3, seed: 5 });
    for (const server of fleet.servers()) {
      expect(server.reseller.id).toBe(`reseller-${((server.index - 1) % 3) + 1}`);
      expect(resellerIndexOf(server.index, 3)).toBe(((server.index - 1) % 3) + 1);
    }
    const counts = new Map<string, number>();
    for (const s of fleet.servers()) counts.set(s.reseller.id, (counts.get(s.reseller.id) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ 'reseller-1': 67, 'reseller-2': 67, 'reseller-3': 66 });
  });

  it('names the servers srv-00001 onwards and resolves the ids back', () => {
    const fleet = new FleetModel({ servers: 12, resellers: 2, seed: 1 });
    expect(fleet.server(1).serverId).toBe('srv-00001');
    expect(serverIdOf(123456)).toBe('srv-123456');
    expect(fleet.indexOf('srv-00012')).toBe(12);
    expect(fleet.indexOf('srv-00013')).toBeUndefined();
    expect(fleet.indexOf('srv-0001')).toBeUndefined();
    expect(fleet.indexOf('srv-000012')).toBeUndefined();
    expect(fleet.indexOf('other')).toBeUndefined();
  });

  it('puts each company, with its servers, under one reseller', () => {
    const fleet = new FleetModel({ servers: 600, resellers: 4, seed: 3 });
    const resellerOfCompany = new Map<string, string>();
    for (const s of fleet.servers()) {
      expect(resellerOfCompany.get(s.company.id) ?? s.reseller.id).toBe(s.reseller.id);
      resellerOfCompany.set(s.company.id, s.reseller.id);
      expect(s.company.id.startsWith(`company-${s.reseller.id.slice('reseller-'.length)}-`)).toBe(true);
    }
    expect(resellerOfCompany.size).toBeGreaterThan(60);
    expect(resellerOfCompany.size).toBeLessThan(400);
  });

  it('makes most servers operator-hosted production servers on the 9.0.0.200 image', () => {
    const servers = all(new FleetModel({ servers: 2000, resellers: 3, seed: 11 }));
    const share = (p: (s: (typeof servers)[number]) => boolean) => servers.filter(p).length / servers.length;
    expect(share((s) => s.stage === 'production')).toBeGreaterThan(0.75);
    expect(share((s) => s.stage === 'beta')).toBeGreaterThan(0);
    expect(share((s) => s.hostingProvider === 'operator')).toBeGreaterThan(0.7);
    expect(share((s) => s.hostingProvider === 'partner')).toBeGreaterThan(0.05);
    expect(share((s) => s.versions.serverVersion === SIM_SERVER_VERSION)).toBe(1);
    expect(share((s) => s.versions.webAppsVersion === null)).toBeGreaterThan(0.05);
  });

  it('gives every server a hello the contract accepts', () => {
    for (const s of new FleetModel({ servers: 500, resellers: 7, seed: 9 }).servers()) {
      const hello = buildHello({
        serverId: s.serverId,
        agentVersion: '0.1.0-sim',
        heartbeatIntervalSec: 10,
        sentAt: new Date(0),
        identity: s,
        snapshot: s,
      });
      expect(() => AgentHello.parse(hello)).not.toThrow();
      expect(s.files.length).toBeGreaterThanOrEqual(4);
    }
  });

  it('refuses a spec without servers or resellers', () => {
    expect(() => new FleetModel({ servers: 0, resellers: 1, seed: 1 })).toThrow('servers must be an integer >= 1');
    expect(() => new FleetModel({ servers: 1, resellers: 0, seed: 1 })).toThrow('resellers must be an integer >= 1');
    expect(() => new FleetModel({ servers: 1, resellers: 1, seed: 1, pairs: -1 })).toThrow(
      'pairs must be an integer >= 0',
    );
  });

  describe('with pairs', () => {
    const fleet = new FleetModel({ servers: 5, resellers: 2, seed: 4, pairs: 3 });

    it('adds two members per pair after the plain servers', () => {
      expect(fleet.size).toBe(11);
      expect([...fleet.servers()].map((s) => s.serverId)).toEqual([
        'srv-00001',
        'srv-00002',
        'srv-00003',
        'srv-00004',
        'srv-00005',
        'srv-p0001a',
        'srv-p0001b',
        'srv-p0002a',
        'srv-p0002b',
        'srv-p0003a',
        'srv-p0003b',
      ]);
      for (const s of fleet.servers()) expect(fleet.indexOf(s.serverId)).toBe(s.index);
      expect(fleet.indexOf('srv-p0004a')).toBeUndefined();
      expect(fleet.indexOf('srv-p0001c')).toBeUndefined();
      expect(fleet.indexOf('srv-p00001a')).toBeUndefined();
    });

    it('names the pairs and tells the pair and role of a member', () => {
      expect([...fleet.pairs()]).toEqual([1, 2, 3].map((n) => fleet.pair(n)));
      expect(fleet.pair(2)).toEqual({
        number: 2,
        pairId: 'pair-0002',
        primaryServerId: 'srv-p0002a',
        secondaryServerId: 'srv-p0002b',
      });
      expect(fleet.pairOf('srv-p0003b')).toEqual({ pair: fleet.pair(3), role: 'secondary' });
      expect(fleet.pairOf('srv-00001')).toBeUndefined();
      expect(fleet.pairOf('srv-p0004a')).toBeUndefined();
      expect(() => fleet.pair(4)).toThrow(RangeError);
    });

    it('puts both members of a pair under one reseller and company, each with its own host', () => {
      const a = fleet.server(fleet.indexOf('srv-p0002a') as number);
      const b = fleet.server(fleet.indexOf('srv-p0002b') as number);
      expect(a.reseller).toEqual({ id: 'reseller-2', name: fleet.resellers[1].name });
      expect(b.company).toEqual(a.company);
      expect(a.company.id).toBe('company-2-p2');
      expect(b.versions).toEqual(a.versions);
      expect(a.config.fqdn).not.toBe(b.config.fqdn);
      expect(a.config.privateIp).not.toBe(b.config.privateIp);
      const hello = (s: typeof a) =>
        buildHello({
          serverId: s.serverId,
          agentVersion: '0.1.0-sim',
          heartbeatIntervalSec: 10,
          sentAt: new Date(0),
          identity: s,
          snapshot: s,
        });
      expect(() => AgentHello.parse(hello(a))).not.toThrow();
      expect(() => AgentHello.parse(hello(b))).not.toThrow();
    });

    it('keeps the plain servers as they are without pairs, and the members whatever the server count', () => {
      const plain = new FleetModel({ servers: 5, resellers: 2, seed: 4 });
      for (let k = 1; k <= 5; k++) expect(fleet.server(k)).toEqual(plain.server(k));
      const onlyPairs = new FleetModel({ servers: 0, resellers: 2, seed: 4, pairs: 3 });
      expect(onlyPairs.size).toBe(6);
      const { index: _i, ...member } = fleet.server(fleet.indexOf('srv-p0003a') as number);
      const { index: _j, ...same } = onlyPairs.server(onlyPairs.indexOf('srv-p0003a') as number);
      expect(same).toEqual(member);
    });
  });
});
