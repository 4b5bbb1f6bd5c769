import type { Benchmark } from './harness';

export function relayBenchmarks(_: { databaseUrl: string; natsUrl: string }): Benchmark[] {
  return [];
}
