import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { ConsoleLogger } from '@nestjs/common';
import { Client, Pool } from 'pg';
import { connectNats } from '@fleetwarden/messaging';
import { loadConfig } from '@fleetwarden/platform';
import {
  ServerOrder,
  buildServerCountQuery,
  buildServerPageQuery,
  issueToken,
  startGatewayApp,
  type ServerListArgs,
} from '@fleetwarden/gateway';
import { alternatingP99, postGraphql, timed } from './graphql-latency';
import type { BenchResult, Benchmark } from './harness';

const NODE_FIELDS = `id reseller { id name } company { id name } address serverVersion webAppsVersion stage connected
      lastSeenAt hostingProvider`;

/** The server list page as the UI asks for it: 50 servers with their columns, the total and the next cursor. */
export const SERVER_LIST_QUERY = `query ServerList {
  servers(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${NODE_FIELDS} } } }
}`;

/** The same without the total: the page query alone, whose SQL does not grow with the fleet. */
export const SERVER_PAGE_QUERY = `query ServerPage {
  servers(first: 50) { pageInfo { hasNextPage endCursor } edges { cursor node { ${NODE_FIELDS} } } }
}`;

/** Latency results are better when lower: the ratio must stay at or below `target`. */
export type LatencyBenchResult = BenchResult & {
  better: 'lower';
  /** The same measurement for the page without `totalCount` (information only, no target). */
  withoutTotal: { value: number; baselineValue: number; ratio: number };
};

async function fillReadModel(databaseUrl: string, schema: string, servers: number): Promise<void> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const s = `"${schema}"`;
    await db.query(
      `INSERT INTO ${s}.rm_servers (id, reseller_id, reseller_name, company_id, company_name, address, server_version,
         web_apps_version, stage, hosting_provider, connected, last_seen_at, heartbeat_interval_sec, fqdn, host_name,
         public_ip, private_ip, registered_at, updated_at)
       SELECT 'srv-' || lpad(i::text, 6, '0'), 'r' || (i % 20), 'Reseller ' || (i % 20), 'c' || (i % 2000),
              'Company ' || (i % 2000), i || ' Main Street', '9.' || (i % 3) || '.0.' || (i % 250), '9.0.' || (i % 7),
              (ARRAY['beta', 'production', 'patch'])[1 + i % 3], CASE WHEN i % 10 = 0 THEN 'partner' ELSE 'operator' END,
              i % 5 <> 0, now() - (i % 3600) * interval '1 second', 10, 'srv' || i || '.example.net', 'srv' || i,
              '203.0.113.' || (i % 250), '10.0.' || (i % 250) || '.' || (i % 200), now(), now()
         FROM generate_series(1, $1) i`,
      [servers],
    );
    await db.query(
      `INSERT INTO ${s}.inventory_presence (server_id, last_seen_at, heartbeat_interval_sec)
       SELECT id, now(), 10 FROM ${s}.rm_servers WHERE connected`,
    );
    await db.query(`VACUUM ANALYZE ${s}.rm_servers`);
    await db.query(`VACUUM ANALYZE ${s}.inventory_presence`);
  } finally {
    await db.end();
  }
}

/**
 * `servers(first: 50)` through the gateway's HTTP endpoint (a real listen on 127.0.0.1, keep-alive,
 * operator token: authentication, GraphQL parsing, validation, cost and depth limits, resolvers,
 * JSON) against the same SQL the gateway runs for it (the page and the total, in parallel) sent
 * directly with `pg`. p99 of sequential requests in alternating rounds; lower is better, so the
 * ratio (value / baseline) must stay at or below `target`.
 */
export function gatewayBenchmarks(env: { databaseUrl: string; natsUrl: string }): Benchmark[] {
  return [
    {
      name: 'gateway.servers.first50',
      async run({ quick }): Promise<BenchResult[]> {
        const servers = quick ? 5_000 : 100_000;
        const rounds = quick ? 2 : 6;
        const perRound = quick ? 50 : 250;
        const stamp = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
        const schema = `bench_gw_${stamp}`;
        const secret = randomBytes(32).toString('hex');
        const config = {
          ...loadConfig({
            NATS_URL: env.natsUrl,
            DATABASE_URL: env.databaseUrl,
            FLEETWARDEN_DB_SCHEMA: schema,
            FLEETWARDEN_NAMESPACE: `benchgw${stamp}`,
            FLEETWARDEN_JWT_SECRET: secret,
          }),
          port: 0,
        };
        const app = await startGatewayApp({
          config,
          logger: new ConsoleLogger({ logLevels: ['error', 'fatal'] }),
          relay: false,
        });
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        const pool = new Pool({ connectionString: env.databaseUrl, max: 10 });
        try {
          await fillReadModel(env.databaseUrl, schema, servers);
          const port = (app.getHttpServer().address() as AddressInfo).port;
          const token = await issueToken(
            new TextEncoder().encode(secret),
            { sub: 'bench', role: 'operator' },
            { ttlSeconds: 3600 },
          );
          const scope = { reseller: null, seesDecommissioned: true };
          const args: ServerListArgs = { filter: {}, order: ServerOrder.ID_ASC, first: 50, after: null };
          const page = buildServerPageQuery(`"${schema}"`, scope, args);
          const count = buildServerCountQuery(`"${schema}"`, scope, args.filter);
          const pageSql = async () => {
            const rows = await pool.query(page.sql, page.params);
            if (rows.rowCount !== 51) throw new Error(`direct SQL returned ${rows.rowCount} rows`);
          };
          const withTotal = {
            gateway: () => postGraphql(agent, port, token, JSON.stringify({ query: SERVER_LIST_QUERY })),
            direct: () => timed(() => Promise.all([pageSql(), pool.query(count.sql, count.params)])),
          };
          const withoutTotal = {
            gateway: () => postGraphql(agent, port, token, JSON.stringify({ query: SERVER_PAGE_QUERY })),
            direct: () => timed(pageSql),
          };
          const main = await alternatingP99(withTotal, rounds, perRound);
          const pageOnly = await alternatingP99(withoutTotal, rounds, perRound);
          const ratio = (m: { value: number; baselineValue: number }) =>
            Math.round((m.value / m.baselineValue) * 1000) / 1000;
          const ms = (x: number) => Math.round(x * 100) / 100;
          const result: LatencyBenchResult = {
            name: 'gateway.servers.first50',
            value: ms(main.value),
            unit: 'ms p99',
            baseline:
              `same SQL (page + totalCount, in parallel) run directly with pg; ${servers} servers in the read model; ` +
              'lower is better: ratio <= target',
            baselineValue: ms(main.baselineValue),
            ratio: ratio(main),
            target: 2,
            better: 'lower',
            withoutTotal: {
              value: ms(pageOnly.value),
              baselineValue: ms(pageOnly.baselineValue),
              ratio: ratio(pageOnly),
            },
          };
          return [result];
        } finally {
          agent.destroy();
          await pool.end();
          await app.close();
          const nc = await connectNats({ url: env.natsUrl, name: 'bench-gateway-cleanup' });
          try {
            const jsm = await jetstreamManager(nc);
            await jsm.streams.delete(`BENCHGW${stamp.toUpperCase()}_EVENTS`).catch(() => undefined);
          } finally {
            await nc.close();
          }
          const db = new Client({ connectionString: env.databaseUrl });
          await db.connect();
          await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await db.end();
        }
      },
    },
  ];
}
