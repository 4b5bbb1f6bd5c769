import type { AgentSnapshot } from '../common/agent-publisher';

/** The parts of a snapshot that differ from the last one sent; a report carries exactly these. */
export type SnapshotChanges = Partial<AgentSnapshot>;

const PARTS = ['versions', 'config', 'files'] as const;

/** What changed between two snapshots, or undefined when nothing did (key order never counts). */
export function diffSnapshots(previous: AgentSnapshot, next: AgentSnapshot): SnapshotChanges | undefined {
  const changes: Record<string, unknown> = {};
  for (const part of PARTS) {
    if (canonicalJson(previous[part]) !== canonicalJson(next[part])) changes[part] = next[part];
  }
  return Object.keys(changes).length > 0 ? (changes as SnapshotChanges) : undefined;
}

/** JSON with object keys sorted, so that equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
