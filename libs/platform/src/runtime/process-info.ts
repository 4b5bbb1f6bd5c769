import { randomUUID } from 'node:crypto';

/** Identity of this process, as reported by `Ping` and the health checks. */
export interface ProcessInfo {
  /** Random id of this process, new at every start. */
  readonly instanceId: string;
  /** `Date.now()` when the process started. */
  readonly startedAt: number;
  /** Milliseconds since the process started. */
  uptimeMs(): number;
}

/** A {@link ProcessInfo} for a process starting now. */
export function createProcessInfo(now: () => number = Date.now): ProcessInfo {
  const startedAt = now();
  return {
    instanceId: randomUUID(),
    startedAt,
    uptimeMs: () => Math.max(0, now() - startedAt),
  };
}
