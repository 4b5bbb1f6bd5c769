import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One line of `bench/results/latest.json` (format fixed in ARCHITECTURE.md). */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: string;
  baselineValue: number;
  ratio: number;
  /** Acceptable ratio (a minimum, or a maximum when `better` is 'lower'), or null when the benchmark only reports. */
  target: number | null;
  /** 'higher' (default: rates) or 'lower' (latencies): which side of `target` is good. */
  better?: 'higher' | 'lower';
}

export interface BenchContext {
  /** Scales counts down for a smoke run (`--quick`). */
  quick: boolean;
}

export interface Benchmark {
  name: string;
  run(ctx: BenchContext): Promise<BenchResult[]>;
}

/** Operations per second of `fn` run `count` times one after another. */
export async function rate(count: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await fn(i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return count / seconds;
}

/**
 * Measures the candidate and its baseline in alternating rounds and keeps the median of each,
 * so that drift of a shared machine hits both alike.
 */
export async function compare(
  rounds: number,
  candidate: (round: number) => Promise<number>,
  baseline: (round: number) => Promise<number>,
): Promise<{ value: number; baselineValue: number }> {
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      b.push(await baseline(r));
      a.push(await candidate(r));
    } else {
      a.push(await candidate(r));
      b.push(await baseline(r));
    }
  }
  return { value: median(a), baselineValue: median(b) };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function result(
  name: string,
  unit: string,
  baseline: string,
  m: { value: number; baselineValue: number },
  target: number | null,
): BenchResult {
  return {
    name,
    value: round(m.value),
    unit,
    baseline,
    baselineValue: round(m.baselineValue),
    ratio: Math.round((m.value / m.baselineValue) * 1000) / 1000,
    target,
  };
}

const round = (x: number) => Math.round(x * 10) / 10;

export function printTable(results: BenchResult[]): string {
  const rows = results.map((r) => {
    const lower = r.better === 'lower';
    const met = r.target === null || (lower ? r.ratio <= r.target : r.ratio >= r.target);
    return [
      r.name,
      `${r.value} ${r.unit}`,
      `${r.baselineValue} ${r.unit}`,
      r.ratio.toFixed(3),
      r.target === null ? '-' : `${lower ? '<=' : '>='} ${r.target}`,
      r.target === null ? '' : met ? 'ok' : lower ? 'ABOVE TARGET' : 'BELOW TARGET',
    ];
  });
  const header = ['benchmark', 'value', 'baseline', 'ratio', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function writeResults(path: string, results: BenchResult[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(results, null, 2) + '\n');
}
