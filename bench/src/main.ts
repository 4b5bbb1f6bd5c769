import { join } from 'node:path';
import { complianceBenchmarks } from './compliance.bench';
import { eventStoreBenchmarks, pgliteTarget, postgresTarget } from './eventstore.bench';
import { gatewayBenchmarks } from './gateway.bench';
import { printTable, writeResults, type BenchResult, type Benchmark } from './harness';
import { inventoryBenchmarks } from './inventory.bench';
import { redundancyBenchmarks } from './redundancy.bench';
import { relayBenchmarks } from './relay.bench';
import { taskBenchmarks } from './tasks.bench';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filter = args.find((a) => !a.startsWith('--'));
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const out = process.env.BENCH_RESULTS ?? join(__dirname, '..', 'results', 'latest.json');

const benchmarks: Benchmark[] = [
  ...eventStoreBenchmarks(postgresTarget(databaseUrl)),
  ...eventStoreBenchmarks(pgliteTarget()),
  ...relayBenchmarks({ databaseUrl, natsUrl }),
  ...gatewayBenchmarks({ databaseUrl, natsUrl }),
  ...inventoryBenchmarks({ databaseUrl, natsUrl }),
  ...taskBenchmarks({ databaseUrl, natsUrl }),
  ...redundancyBenchmarks({ databaseUrl, natsUrl }),
  ...complianceBenchmarks({ databaseUrl, natsUrl }),
];

async function main(): Promise<void> {
  const selected = benchmarks.filter((b) => !filter || b.name.includes(filter));
  if (selected.length === 0) {
    console.error(`No benchmark matches "${filter}". Known: ${benchmarks.map((b) => b.name).join(', ')}`);
    process.exit(2);
  }
  const results: BenchResult[] = [];
  for (const b of selected) {
    process.stderr.write(`running ${b.name}...\n`);
    results.push(...(await b.run({ quick })));
  }
  console.log(printTable(results));
  writeResults(out, results);
  console.log(`\nwritten to ${out}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
