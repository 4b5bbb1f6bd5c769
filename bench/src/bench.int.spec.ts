import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BenchResult } from './harness';

// Keeps `npm run bench` working: a quick run of every benchmark, checking the results file format.
describe('npm run bench -- --quick', () => {
  it('runs every benchmark and writes results with a ratio against a same-run baseline', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fw-bench-')), 'latest.json');
    const root = join(__dirname, '..', '..');
    await promisify(execFile)(process.execPath, ['tools/run.js', 'bench/src/main.ts', '--quick'], {
      cwd: root,
      env: { ...process.env, BENCH_RESULTS: out },
      timeout: 120_000,
    });
    const results = JSON.parse(readFileSync(out, 'utf8')) as BenchResult[];
    expect(results.map((r) => r.name).sort()).toEqual([
      'compliance.daily100k',
      'compliance.recompute100k',
      'eventstore.append.batch100.pg',
      'eventstore.append.batch100.pglite',
      'eventstore.append.single.pg',
      'eventstore.append.single.pglite',
      'eventstore.readAll.pg',
      'eventstore.readAll.pglite',
      'execution.dispatch10k',
      'gateway.servers.first50',
      'gateway.tasks.first50',
      'inventory.heartbeats',
      'redundancy.keepalive10k',
      'redundancy.keepalive10k.lag',
      'relay.publish',
      'scheduling.task10k.accept',
    ]);
    for (const r of results) {
      expect(r.value).toBeGreaterThan(0);
      expect(r.baselineValue).toBeGreaterThan(0);
      expect(r.ratio).toBeCloseTo(r.value / r.baselineValue, 1);
      expect(typeof r.unit).toBe('string');
      expect(typeof r.baseline).toBe('string');
    }
  }, 150_000);
});
