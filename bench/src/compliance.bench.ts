import { randomBytes, randomUUID } from 'node:crypto';
import { ConsoleLogger, Global, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { PatchesInstalled, complianceStreamId } from '@fleetwarden/compliance-contracts';
import { createEventStore, type EventMetadata, type EventStore, type NewEvent } from '@fleetwarden/eventstore';
import { ServerRegistered, serverStreamId } from '@fleetwarden/inventory-contracts';
import { loadConfig, startServiceApp } from '@fleetwarden/platform';
import {
  COMPLIANCE_SERVICE,
  COMPLIANCE_SERVICE_OPTIONS,
  ComplianceRuntime,
  planEvaluations,
  toEvaluationRow,
  type ViewServerRow,
} from '@fleetwarden/service-compliance';
import { deleteNamespaceStreams, ManualClock, serverRegisteredData } from '@fleetwarden/testing';
import { median, type Benchmark, type BenchResult } from './harness';

interface Env {
  databaseUrl: string;
  natsUrl: string;
}

const DAY_MS = 86_400_000;
const TIME_ZONE = 'Europe/Vienna';
/** The budget for the daily recomputation of 100,000 servers. */
const DAILY_BUDGET_MS = 2000;
const RESELLERS = 50;

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const ratioOf = (value: number, baseline: number) => Math.round((value / baseline) * 1000) / 1000;
const log = (line: string) => process.stderr.write(`  ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A deterministic spread of install times: server i was patched `ageOf(i)` ms before day 0. */
function ageOf(i: number): number {
  // 0-58 days and a time of day, so that day 0 starts with every server ok and each later day
  // brings about 1/60 of them to 60 days (the alerts of a daily pass).
  const x = Math.imul(i + 1, 2654435761) >>> 0;
  return (x % 59) * DAY_MS + ((x >>> 8) % 86_400) * 1000;
}

/**
 * `servers` operator-hosted servers as the inventory and the compliance service would have
 * written them: one `ServerRegistered` per `server-<id>` stream and one `PatchesInstalled` per
 * `compliance-<id>` stream, appended directly by 32 concurrent writers.
 */
async function seedServers(store: EventStore, servers: number, day0: number): Promise<void> {
  const metadata = (context: 'inventory' | 'compliance', reseller: string): EventMetadata => ({
    correlationId: randomUUID(),
    causationId: null,
    actor: 'system:bench',
    reseller,
    occurredAt: new Date(day0 - 200 * DAY_MS).toISOString(),
    context,
  });
  const serverId = (i: number) => `cs${i}`;
  const appends: Array<() => [string, NewEvent[]]> = [];
  for (let i = 0; i < servers; i++) {
    const reseller = `reseller-${(i % RESELLERS) + 1}`;
    appends.push(() => [
      serverStreamId(serverId(i)),
      [
        {
          eventId: randomUUID(),
          type: ServerRegistered.type,
          data: ServerRegistered.parse(serverRegisteredData(serverId(i), reseller)),
          metadata: metadata('inventory', reseller),
        },
      ],
    ]);
    appends.push(() => [
      complianceStreamId(serverId(i)),
      [
        {
          eventId: randomUUID(),
          type: PatchesInstalled.type,
          data: PatchesInstalled.parse({
            serverId: serverId(i),
            reseller,
            hostingProvider: 'operator',
            installedAt: new Date(day0 - ageOf(i)).toISOString(),
            patches: ['openssl_3.0.13-0ubuntu3.4'],
            startedBy: 'reseller',
            kind: 'regular',
            urgentUpdateId: null,
            source: 'outside',
            outsideApproval: false,
          }),
          metadata: metadata('compliance', reseller),
        },
      ],
    ]);
  }
  let next = 0;
  const writer = async () => {
    while (next < appends.length) {
      const [stream, events] = appends[next++]();
      await store.append(stream, events, { expectedVersion: 0 });
    }
  };
  await Promise.all(Array.from({ length: 32 }, writer));
}

/**
 * The daily recomputation of the compliance service over 100,000 operator-hosted servers
 * (`--quick`: 5,000), on PostgreSQL with a manual clock in Europe/Vienna:
 * - `compliance.recompute100k`: read every server's row of the service's view and recompute every
 *   counter, state and due step (`planEvaluations`, one `complianceOf` per server), against one SQL
 *   pass over the same rows that computes the day counts in PostgreSQL.
 * - `compliance.daily100k`: the service's evaluation pass for the next day (one SQL query picks
 *   the servers reaching a threshold, then their alerts are appended: about 1/60 of the fleet),
 *   against the 2 s budget.
 */
function dailyRecomputationBenchmark(env: Env): Benchmark {
  return {
    name: 'compliance.daily100k',
    async run({ quick }): Promise<BenchResult[]> {
      const servers = quick ? 5000 : 100_000;
      const rounds = quick ? 3 : 5;
      const stamp = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
      const schema = `bench_cmp_${stamp}`;
      const namespace = `benchcmp${stamp}`;
      const day0 = Date.parse('2026-03-20T09:00:00Z');
      const clock = new ManualClock(day0);
      const store = await createEventStore({ databaseUrl: env.databaseUrl, schema, poolSize: 16 });
      const db = new Client({ connectionString: env.databaseUrl });
      await db.connect();
      let app: NestFastifyApplication | undefined;
      try {
        await store.migrate();
        const seedStart = performance.now();
        await seedServers(store, servers, day0);
        log(`seeded ${servers} servers with their last install in ${Math.round(performance.now() - seedStart)} ms`);

        const options = { clock, evaluateMs: 24 * 3_600_000, pollMs: 50 };
        @Global()
        @Module({
          providers: [{ provide: COMPLIANCE_SERVICE_OPTIONS, useValue: options }],
          exports: [COMPLIANCE_SERVICE_OPTIONS],
        })
        class BenchOptionsModule {}
        @Module({ imports: [BenchOptionsModule, COMPLIANCE_SERVICE.module] })
        class BenchComplianceModule {}
        app = await startServiceApp(
          { ...COMPLIANCE_SERVICE, module: BenchComplianceModule },
          {
            config: loadConfig({
              NATS_URL: env.natsUrl,
              DATABASE_URL: env.databaseUrl,
              FLEETWARDEN_DB_SCHEMA: schema,
              FLEETWARDEN_NAMESPACE: namespace,
              FLEETWARDEN_OPERATOR_TIME_ZONE: TIME_ZONE,
              LOG_LEVEL: 'error',
            }),
            logger: new ConsoleLogger({ logLevels: ['error', 'fatal'] }),
          },
        );
        const runtime = app.get(ComplianceRuntime, { strict: false });
        const viewStart = performance.now();
        for (;;) {
          const { rows } = await db.query<{ n: string }>(
            `SELECT count(*) AS n FROM "${schema}".compliance_servers WHERE last_installed_at IS NOT NULL`,
          );
          if (Number(rows[0].n) === servers && runtime.isLeader) break;
          if (performance.now() - viewStart > 600_000) throw new Error('the compliance view did not catch up');
          await sleep(200);
        }
        log(`the service's view holds ${servers} servers ${Math.round(performance.now() - viewStart)} ms after start`);

        // Day 0: every server is ok, nothing is due (also warms up the pass).
        const warm = await runtime.runEvaluationPass();
        if (warm.alerted + warm.breached !== 0) throw new Error(`day 0 should be quiet: ${JSON.stringify(warm)}`);

        // One SQL pass over the same rows: the day count of every server computed by PostgreSQL.
        const sqlPass = async (now: number): Promise<number> => {
          const start = performance.now();
          const { rows } = await db.query<{ server_id: string; days: number }>(
            `SELECT server_id, reseller_id,
                    (($1::timestamptz AT TIME ZONE $2)::date - (last_installed_at AT TIME ZONE $2)::date) AS days,
                    alerted, breached, ops_scheduled
               FROM "${schema}".compliance_servers WHERE hosting_provider = 'operator' AND NOT decommissioned`,
            [new Date(now).toISOString(), TIME_ZONE],
          );
          if (rows.length !== servers) throw new Error(`SQL pass saw ${rows.length} rows`);
          return performance.now() - start;
        };
        // The recomputation: the same rows read, every counter recomputed by the compliance domain.
        const recompute = async (now: number): Promise<{ ms: number; alerted: number }> => {
          const start = performance.now();
          const { rows } = await db.query<ViewServerRow>(
            `SELECT server_id, reseller_id, last_installed_at, alerted, breached, ops_scheduled
               FROM "${schema}".compliance_servers WHERE hosting_provider = 'operator' AND NOT decommissioned`,
          );
          const plan = planEvaluations(rows.map(toEvaluationRow), new Date(now).toISOString(), TIME_ZONE);
          return { ms: performance.now() - start, alerted: plan.states.alerted };
        };

        const recomputeMs: number[] = [];
        const sqlMs: number[] = [];
        let dueNextDay = 0;
        for (let r = 0; r < rounds; r++) {
          const now = day0 + DAY_MS;
          if (r % 2 === 0) {
            sqlMs.push(await sqlPass(now));
            const m = await recompute(now);
            recomputeMs.push(m.ms);
            dueNextDay = m.alerted;
          } else {
            const m = await recompute(now);
            recomputeMs.push(m.ms);
            sqlMs.push(await sqlPass(now));
          }
        }

        // The next day's pass of the service itself: alerts appended for the servers reaching 60.
        clock.set(day0 + DAY_MS);
        const pass = await runtime.runEvaluationPass();
        if (pass.alerted !== dueNextDay) {
          throw new Error(`the pass alerted ${pass.alerted} servers, the recomputation expected ${dueNextDay}`);
        }
        log(
          `day 1: ${pass.examined} candidates, ${pass.alerted} alerted in ${pass.ms} ms; ` +
            `recomputation ${round(median(recomputeMs), 1)} ms vs SQL pass ${round(median(sqlMs), 1)} ms`,
        );
        const recomputeValue = round(median(recomputeMs), 1);
        const sqlValue = round(median(sqlMs), 1);
        const recomputeResult: BenchResult = {
          name: 'compliance.recompute100k',
          value: recomputeValue,
          unit: `ms for ${servers} servers`,
          baseline: 'one SQL pass over the same rows computing the day counts in PostgreSQL',
          baselineValue: sqlValue,
          ratio: ratioOf(recomputeValue, sqlValue),
          target: 4,
          better: 'lower',
        };
        const dailyResult: BenchResult = {
          name: 'compliance.daily100k',
          value: pass.ms,
          unit: `ms (evaluation pass, ${servers} servers, ${pass.alerted} alerts appended)`,
          baseline: `the ${DAILY_BUDGET_MS} ms budget`,
          baselineValue: DAILY_BUDGET_MS,
          ratio: ratioOf(pass.ms, DAILY_BUDGET_MS),
          target: 1,
          better: 'lower',
        };
        return [recomputeResult, dailyResult];
      } finally {
        await app?.close().catch(() => undefined);
        await store.close();
        await deleteNamespaceStreams(namespace, env.natsUrl).catch(() => undefined);
        await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await db.end();
      }
    },
  };
}

/** The compliance benchmarks: the daily recomputation of 100,000 servers. */
export function complianceBenchmarks(env: Env): Benchmark[] {
  return [dailyRecomputationBenchmark(env)];
}
