import { randomBytes } from 'node:crypto';
import { groupStreamId } from '@fleetwarden/inventory-contracts';
import type { TokenClaims } from '../auth/jwt-tokens';
import { issueToken } from '../auth/jwt-tokens';
import {
  TEST_NATS_URL,
  createTestNamespace,
  createTestSchema,
  deleteNamespaceStreams,
  type TestSchema,
} from '@fleetwarden/testing';
import { GraphQLWsClient } from '../testing/graphql-ws-client';
import {
  appendServer,
  event,
  serverRegistered,
  startGatewayTestKit,
  waitFor,
  type GatewayTestKit,
  type GraphQLBody,
} from '../testing/gateway-test-kit';

const RESELLERS: Record<string, number> = { r1: 60, r2: 40, r3: 20 };
const serverId = (n: number) => `srv-${String(n).padStart(3, '0')}`;
const T0 = Date.parse('2026-11-20T08:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

interface Fixture {
  id: string;
  reseller: string;
  company: string;
  version: string;
  stage: string;
  connected: boolean | null;
  lastSeen: number | null;
}

/** 120 servers: r1 has 60, r2 40, r3 20 (the last of them decommissioned); varied versions, stages and presence. */
function fixtures(): Fixture[] {
  const list: Fixture[] = [];
  let n = 0;
  for (const [reseller, count] of Object.entries(RESELLERS)) {
    for (let i = 0; i < count; i++) {
      n++;
      list.push({
        id: serverId(n),
        reseller,
        company: `${reseller}-c${i % 3}`,
        version: ['9.0.0.200', '9.0.1.5', '9.1.0.10', '10.0.0.1', '9.0.0.99'][n % 5],
        stage: ['beta', 'production', 'patch'][n % 3],
        connected: n % 4 === 0 ? null : n % 4 !== 1,
        lastSeen: n % 4 === 0 ? null : T0 + ((n * 7919) % 1000) * 1000,
      });
    }
  }
  return list;
}

type Edge = { cursor: string; node: Record<string, unknown> };
type Page = { totalCount?: number; edges: Edge[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

describe('inventory read models and queries (PostgreSQL, NATS)', () => {
  let kit: GatewayTestKit;
  let schema: TestSchema;
  const namespace = createTestNamespace('gwread');
  const all = fixtures();
  const live = all.filter((s) => s.id !== serverId(120));
  const tokens: Record<string, string> = {};

  const gql = async (query: string, token?: string, variables?: Record<string, unknown>): Promise<GraphQLBody> =>
    (await kit.graphql(query, { token, variables })).body;

  async function collect(token: string, order: string, pageSize: number, filter = '{}'): Promise<Edge[]> {
    const edges: Edge[] = [];
    let after: string | null = null;
    for (let page = 0; page < 200; page++) {
      const body = await gql(
        `query($after: String) { servers(orderBy: ${order}, first: ${pageSize}, after: $after, filter: ${filter}) {
           edges { cursor node { id company { name } serverVersion lastSeenAt } } pageInfo { hasNextPage endCursor } } }`,
        token,
        { after },
      );
      expect(body.errors).toBeUndefined();
      const result = body.data!.servers as Page;
      edges.push(...result.edges);
      if (!result.pageInfo.hasNextPage) return edges;
      after = result.pageInfo.endCursor;
    }
    throw new Error('too many pages');
  }

  beforeAll(async () => {
    schema = await createTestSchema('gwread');
    kit = await startGatewayTestKit({
      natsUrl: TEST_NATS_URL,
      databaseUrl: schema.connectionString,
      schema: schema.schema,
      namespace,
    });
    for (const s of all) {
      const events = [
        serverRegistered(s.id, s.reseller, s.company, {
          serverVersion: s.version,
          stage: s.stage,
          company: { id: s.company, name: `Company ${s.company}` },
        }),
      ];
      if (s.connected !== null) {
        events.push(event('ServerConnected', { serverId: s.id, at: iso(T0), heartbeatIntervalSec: 10 }, s.reseller));
      }
      if (s.connected === false) {
        events.push(
          event('ServerDisconnected', { serverId: s.id, at: iso(s.lastSeen! + 30_000), lastSeenAt: iso(s.lastSeen!) }),
        );
      }
      if (s.connected === true && s.lastSeen! > T0) {
        // a later heartbeat, known only to the inventory service's presence table
        await kit.store.transaction((tx) =>
          tx.query(
            `INSERT INTO "${kit.config.dbSchema}".inventory_presence (server_id, last_seen_at, heartbeat_interval_sec)
             VALUES ($1, $2, 10)`,
            [s.id, iso(s.lastSeen!)],
          ),
        );
      }
      await appendServer(kit.store, s.id, events);
    }
    await appendServer(kit.store, serverId(7), [
      event('ServerConfigReported', {
        serverId: serverId(7),
        config: { fqdn: 'Edge-07.Example.NET', hostName: 'edge-07', publicIp: '203.0.113.7', privateIp: '10.0.0.7' },
      }),
      event('ServerFilesReported', {
        serverId: serverId(7),
        files: [{ name: 'ums.exe', version: '9.0.0.200', size: 5_000_000_000, lastModified: '2026-11-01T10:00:00Z' }],
      }),
    ]);
    await appendServer(kit.store, serverId(120), [
      event('ServerDecommissioned', { serverId: serverId(120), reason: 'hardware retired' }),
    ]);
    await kit.store.append(groupStreamId('g-ops'), [
      event('GroupCreated', {
        groupId: 'g-ops',
        name: 'Ops wave 1',
        reseller: null,
        serverIds: [serverId(1), serverId(70)],
      }),
    ]);
    await kit.store.append(groupStreamId('g-r1'), [
      event('GroupCreated', { groupId: 'g-r1', name: 'R1 pilot', reseller: 'r1', serverIds: [serverId(1)] }),
      event('ServersAddedToGroup', { groupId: 'g-r1', serverIds: [serverId(2), serverId(3)] }),
      event('ServersRemovedFromGroup', { groupId: 'g-r1', serverIds: [serverId(3)] }),
      event('GroupRenamed', { groupId: 'g-r1', name: 'R1 pilot servers', previousName: 'R1 pilot' }),
    ]);
    await kit.store.append(groupStreamId('g-gone'), [
      event('GroupCreated', { groupId: 'g-gone', name: 'Gone', reseller: null, serverIds: [serverId(5)] }),
      event('GroupRemoved', { groupId: 'g-gone' }),
    ]);
    for (const [role, reseller] of [
      ['operator', undefined],
      ['auditor', undefined],
      ['reseller', 'r1'],
      ['reseller', 'r2'],
      ['reseller', 'r3'],
    ] as const) {
      tokens[reseller ?? role] = await kit.token({ sub: 'tester', role, reseller } as TokenClaims);
    }
    await waitFor('projections caught up', async () => {
      const body = await gql('{ servers(first: 1) { totalCount } groups { id name } }', tokens.operator);
      const data = body.data as { servers: { totalCount: number }; groups: Array<{ name: string }> } | null;
      return data?.servers.totalCount === live.length && data.groups.some((g) => g.name === 'R1 pilot servers')
        ? true
        : undefined;
    });
  }, 30_000);

  afterAll(async () => {
    await kit?.close();
    await deleteNamespaceStreams(namespace).catch(() => undefined);
    await schema?.drop();
  });

  describe('tenancy', () => {
    it('shows an operator and an auditor every live server', async () => {
      for (const who of ['operator', 'auditor']) {
        const edges = await collect(tokens[who], 'ID_ASC', 500);
        expect(edges.map((e) => e.node.id)).toEqual(live.map((s) => s.id));
      }
    });

    it("shows each reseller exactly its own customers' servers", async () => {
      for (const reseller of ['r1', 'r2', 'r3']) {
        const body = await gql(
          '{ servers(first: 500) { totalCount edges { node { id reseller { id } } } } }',
          tokens[reseller],
        );
        const page = body.data!.servers as Page;
        const expected = live.filter((s) => s.reseller === reseller).map((s) => s.id);
        expect(page.edges.map((e) => e.node.id)).toEqual(expected);
        expect(page.totalCount).toBe(expected.length);
      }
    });

    it("answers a reseller's server(id) of another tenant with null, and a filter on another reseller with nothing", async () => {
      const other = await gql(`{ server(id: "${serverId(70)}") { id address } }`, tokens.r1);
      expect(other).toEqual({ data: { server: null } });
      const own = await gql(`{ server(id: "${serverId(1)}") { id } }`, tokens.r1);
      expect(own.data).toEqual({ server: { id: serverId(1) } });
      const filtered = await gql('{ servers(filter: { reseller: "r2" }) { totalCount } }', tokens.r1);
      expect(filtered.data).toEqual({ servers: { totalCount: 0 } });
    });

    it('keeps groups within the tenant', async () => {
      const ops = await gql('{ groups { id name reseller { id } serverCount serverIds } }', tokens.operator);
      expect(ops.data!.groups).toEqual([
        { id: 'g-ops', name: 'Ops wave 1', reseller: null, serverCount: 2, serverIds: [serverId(1), serverId(70)] },
        {
          id: 'g-r1',
          name: 'R1 pilot servers',
          reseller: { id: 'r1' },
          serverCount: 2,
          serverIds: [serverId(1), serverId(2)],
        },
      ]);
      const r1 = await gql(
        '{ groups { id } group(id: "g-r1") { servers(first: 1) { totalCount edges { node { id } } } } }',
        tokens.r1,
      );
      expect(r1.data).toEqual({
        groups: [{ id: 'g-r1' }],
        group: { servers: { totalCount: 2, edges: [{ node: { id: serverId(1) } }] } },
      });
      const r2 = await gql('{ groups { id } group(id: "g-r1") { id } }', tokens.r2);
      expect(r2.data).toEqual({ groups: [], group: null });
      const groupsOfServer = await gql(`{ server(id: "${serverId(1)}") { groups { id } } }`, tokens.r1);
      expect(groupsOfServer.data).toEqual({ server: { groups: [{ id: 'g-r1' }] } });
    });
  });

  describe('the Server page', () => {
    it('shows config, files, groups and the presence table as last seen', async () => {
      const body = await gql(
        `{ server(id: "${serverId(7)}") { id reseller { id name } company { id name } address serverVersion webAppsVersion
           stage connected lastSeenAt hostingProvider config { fqdn hostName publicIp privateIp }
           files { name version size lastModified } groups { id name } decommissioned } }`,
        tokens.operator,
      );
      const s7 = all[6];
      expect(body.errors).toBeUndefined();
      expect(body.data!.server).toEqual({
        id: serverId(7),
        reseller: { id: 'r1', name: 'Reseller r1' },
        company: { id: s7.company, name: `Company ${s7.company}` },
        address: `${serverId(7)} Main Street`,
        serverVersion: s7.version,
        webAppsVersion: '9.0.1',
        stage: s7.stage.toUpperCase(),
        connected: true,
        lastSeenAt: iso(s7.lastSeen!),
        hostingProvider: 'OPERATOR',
        config: { fqdn: 'Edge-07.Example.NET', hostName: 'edge-07', publicIp: '203.0.113.7', privateIp: '10.0.0.7' },
        files: [
          { name: 'ums.exe', version: '9.0.0.200', size: 5_000_000_000, lastModified: '2026-11-01T10:00:00.000Z' },
        ],
        groups: [],
        decommissioned: false,
      });
    });

    it('returns a decommissioned server to operators and auditors only, and never lists it', async () => {
      const q = `{ server(id: "${serverId(120)}") { id decommissioned connected } }`;
      expect((await gql(q, tokens.operator)).data).toEqual({
        server: { id: serverId(120), decommissioned: true, connected: false },
      });
      expect((await gql(q, tokens.auditor)).data).toEqual({
        server: { id: serverId(120), decommissioned: true, connected: false },
      });
      expect((await gql(q, tokens.r3)).data).toEqual({ server: null });
      const listed = await gql(`{ servers(filter: { search: "${serverId(120)}" }) { totalCount } }`, tokens.operator);
      expect(listed.data).toEqual({ servers: { totalCount: 0 } });
    });
  });

  describe('pagination', () => {
    it('returns each of 119 servers exactly once, in order, for every orderBy', async () => {
      const byId = new Map(all.map((s) => [s.id, s]));
      const versionKey = (v: string) => v.split('.').map(Number);
      const compareVersions = (a: string, b: string) => {
        const x = versionKey(a);
        const y = versionKey(b);
        for (let i = 0; i < Math.max(x.length, y.length); i++) {
          if ((x[i] ?? -1) !== (y[i] ?? -1)) return (x[i] ?? -1) - (y[i] ?? -1);
        }
        return 0;
      };
      const expected: Record<string, (a: Fixture, b: Fixture) => number> = {
        ID_ASC: (a, b) => (a.id < b.id ? -1 : 1),
        LAST_SEEN_DESC: (a, b) => (b.lastSeen ?? -Infinity) - (a.lastSeen ?? -Infinity) || (a.id < b.id ? 1 : -1),
        SERVER_VERSION_DESC: (a, b) => compareVersions(b.version, a.version) || (a.id < b.id ? 1 : -1),
      };
      for (const [order, compare] of Object.entries(expected)) {
        const edges = await collect(tokens.operator, order, 13);
        expect(edges.map((e) => e.node.id)).toEqual([...live].sort(compare).map((s) => s.id));
      }
      const byCompany = await collect(tokens.operator, 'COMPANY_ASC', 13);
      expect(new Set(byCompany.map((e) => e.node.id)).size).toBe(live.length);
      const companies = byCompany.map((e) => byId.get(e.node.id as string)!.company);
      const groups = companies.filter((c, i) => i === 0 || companies[i - 1] !== c);
      expect(new Set(groups).size).toBe(groups.length);
    });

    it('pages a filtered list and reports the total of every page', async () => {
      const body = await gql(
        '{ servers(first: 5, filter: { connected: true, stage: BETA }) { totalCount edges { node { id connected stage } } pageInfo { hasNextPage } } }',
        tokens.operator,
      );
      const page = body.data!.servers as Page;
      const expected = live.filter((s) => s.connected === true && s.stage === 'beta');
      expect(page.totalCount).toBe(expected.length);
      expect(page.edges.map((e) => e.node.id)).toEqual(expected.slice(0, 5).map((s) => s.id));
      expect(page.pageInfo.hasNextPage).toBe(expected.length > 5);
    });

    it('filters by company, version prefix and case-insensitive search', async () => {
      const count = async (filter: string) =>
        ((await gql(`{ servers(filter: ${filter}) { totalCount } }`, tokens.operator)).data!.servers as Page)
          .totalCount;
      expect(await count('{ company: "r2-c1" }')).toBe(live.filter((s) => s.company === 'r2-c1').length);
      expect(await count('{ versionPrefix: "9.0" }')).toBe(live.filter((s) => s.version.startsWith('9.0.')).length);
      expect(await count('{ versionPrefix: "9.0.0." }')).toBe(
        live.filter((s) => s.version.startsWith('9.0.0.')).length,
      );
      expect(await count('{ versionPrefix: "10" }')).toBe(live.filter((s) => s.version.startsWith('10.')).length);
      expect(await count('{ search: "example.net" }')).toBe(1);
      expect(await count('{ search: "COMPANY R3-C2" }')).toBe(live.filter((s) => s.company === 'r3-c2').length);
      expect(await count('{ search: "100%_" }')).toBe(0);
      expect(await count(`{ search: "${serverId(42)} main" }`)).toBe(1);
    });
  });

  describe('bad input', () => {
    const firstError = async (query: string, token = tokens.operator) => {
      const res = await kit.graphql(query, { token });
      expect(res.body.errors?.length).toBeGreaterThan(0);
      return { status: res.status, error: res.body.errors![0] };
    };

    it.each([
      ['negative first', '{ servers(first: -1) { totalCount } }', 'first'],
      ['zero first', '{ servers(first: 0) { totalCount } }', 'first'],
      ['oversized first', '{ servers(first: 10000) { totalCount } }', 'first'],
      ['malformed cursor', '{ servers(after: "not a cursor!") { totalCount } }', 'after'],
      ['garbage base64 cursor', '{ servers(after: "Zm9vYmFy") { totalCount } }', 'after'],
      ['bad version prefix', '{ servers(filter: { versionPrefix: "nine" }) { totalCount } }', 'filter.versionPrefix'],
    ])('%s: BAD_USER_INPUT naming the argument', async (_, query, argument) => {
      const { error } = await firstError(query);
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
      expect(error.message).toContain(`"${argument}"`);
    });

    it('refuses a cursor of another order, naming after', async () => {
      const body = await gql('{ servers(first: 1) { pageInfo { endCursor } } }', tokens.operator);
      const cursor = (body.data!.servers as Page).pageInfo.endCursor;
      const { error } = await firstError(`{ servers(orderBy: COMPANY_ASC, after: "${cursor}") { totalCount } }`);
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
      expect(error.message).toContain('orderBy ID_ASC');
    });

    it.each([
      ['unknown filter enum', '{ servers(filter: { stage: RETIRED }) { totalCount } }', 'filter.stage'],
      ['unknown order', '{ servers(orderBy: NAME_ASC) { totalCount } }', 'orderBy'],
      ['wrong type', '{ servers(first: "ten") { totalCount } }', 'first'],
      ['unknown filter field', '{ servers(filter: { colour: "red" }) { totalCount } }', 'filter.colour'],
    ])('%s: a validation error (HTTP 400) naming the argument', async (_, query, argument) => {
      const { status, error } = await firstError(query);
      expect(status).toBe(400);
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
      expect(error.message).toContain(`"${argument}"`);
    });

    it('names the variable of an invalid variable value', async () => {
      const res = await kit.graphql('query($s: Stage) { servers(filter: { stage: $s }) { totalCount } }', {
        token: tokens.operator,
        variables: { s: 'RETIRED' },
      });
      expect(res.status).toBe(400);
      expect(res.body.errors![0].message).toContain('"$s"');
      expect(res.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', variable: 's' });
    });

    it('refuses too deep a query', async () => {
      const { status, error } = await firstError(
        '{ servers { edges { node { groups { servers { edges { node { groups { id } } } } } } } } }',
      );
      expect(status).toBe(400);
      expect(error.extensions).toMatchObject({ code: 'QUERY_TOO_DEEP', maxDepth: 8 });
      expect(error.message).toMatch(/too deep/);
    });

    it('refuses too costly a query', async () => {
      const { status, error } = await firstError(
        '{ servers(first: 500) { edges { node { groups { servers(first: 500) { edges { node { id } } } } } } } }',
      );
      expect(status).toBe(400);
      expect(error.extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', maxCost: 50_000 });
    });

    it('hides introspection (FLEETWARDEN_GRAPHQL_INTROSPECTION is off)', async () => {
      const { error } = await firstError('{ __schema { queryType { name } } }');
      expect(error.message).toMatch(/introspection/i);
    });
  });

  describe('authentication', () => {
    it('keeps version public and refuses the inventory without a valid token', async () => {
      expect(await gql('{ version }')).toEqual({ data: { version: expect.any(String) } });
      const foreignKey = randomBytes(32);
      const cases: Array<[string | undefined, RegExp]> = [
        [undefined, /missing bearer token/],
        ['not.a.jwt', /malformed/],
        [await issueToken(foreignKey, { sub: 'mallory', role: 'operator' }, { ttlSeconds: 60 }), /signature/],
        [
          await issueToken(
            new TextEncoder().encode(kit.config.jwtSecret!),
            { sub: 'old', role: 'operator' },
            { ttlSeconds: 60, now: new Date(Date.now() - 3600_000) },
          ),
          /expired/,
        ],
        ['Basic dXNlcjpwYXNz', /Bearer/],
      ];
      for (const [token, reason] of cases) {
        const body = await gql('{ servers { totalCount } }', token);
        expect(body.data).toBeNull();
        expect(body.errors![0].extensions).toEqual({ code: 'UNAUTHENTICATED' });
        expect(body.errors![0].message).toMatch(reason);
      }
    });
  });

  describe('serverStatusChanged', () => {
    it("pushes a reseller its own servers' changes after the projection committed them", async () => {
      const wsUrl = `${kit.baseUrl.replace('http', 'ws')}/graphql`;
      const r1 = await GraphQLWsClient.connect(wsUrl, { authorization: `Bearer ${tokens.r1}` });
      const anonymous = await GraphQLWsClient.connect(wsUrl, {});
      try {
        await r1.next((m) => m.type === 'connection_ack');
        await anonymous.next((m) => m.type === 'connection_ack');
        r1.subscribe(
          's1',
          'subscription { serverStatusChanged { serverId status connected lastSeenAt reseller { id } } }',
        );
        anonymous.subscribe('s1', 'subscription { serverStatusChanged { serverId } }');
        const refused = await anonymous.next((m) => m.id === 's1');
        expect(refused.type).toBe('error');
        expect(JSON.stringify(refused.payload)).toContain('UNAUTHENTICATED');

        // r2's change first: had it been delivered to r1, it would arrive before r1's own.
        const at = iso(Date.now());
        await waitFor('subscription registered', async () => {
          await appendServer(kit.store, serverId(61), [
            event('ServerDisconnected', { serverId: serverId(61), at, lastSeenAt: at }),
          ]);
          await appendServer(kit.store, serverId(2), [
            event('ServerDisconnected', { serverId: serverId(2), at, lastSeenAt: at }),
          ]);
          return r1
            .next((m) => m.id === 's1', 1500)
            .then((m) => m)
            .catch(() => undefined);
        }).then((first) => {
          expect(first.type).toBe('next');
          expect(first.payload).toEqual({
            data: {
              serverStatusChanged: {
                serverId: serverId(2),
                status: 'DISCONNECTED',
                connected: false,
                lastSeenAt: at,
                reseller: { id: 'r1' },
              },
            },
          });
        });
        const now = await gql(`{ server(id: "${serverId(2)}") { connected } }`, tokens.r1);
        expect(now.data).toEqual({ server: { connected: false } });
      } finally {
        r1.close();
        anonymous.close();
      }
    });
  });
});
