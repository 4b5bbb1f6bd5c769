import { Injectable } from '@nestjs/common';

/** State of one part of the system. */
export type PartStatus = 'up' | 'down';

/** One part's health: its status and, when down, why; checks may add details (instance id, latency). */
export interface PartHealth {
  status: PartStatus;
  error?: string;
  [detail: string]: unknown;
}

/** Body of `GET /health`: `ok` when every part is up. */
export interface HealthReport {
  status: 'ok' | 'down';
  parts: Record<string, PartHealth>;
}

/**
 * Checks one part. Resolving (with nothing or with details) means up; throwing means down,
 * with the error's message as the reason. A check that returns `{ status: 'down' }` is down too.
 */
export type HealthCheck = () => Promise<void | Omit<PartHealth, 'status'> | PartHealth>;

/** Default time a single check may take before its part counts as down. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 1500;

/** Where the parts of a process register their health checks; `/health` runs them all. */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();

  /** Registers (or replaces) the check of the part `name`. */
  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  /** Names of the registered parts, in registration order. */
  get parts(): string[] {
    return [...this.checks.keys()];
  }

  /** Runs every check concurrently, each bounded by `timeoutMs`. */
  async check(timeoutMs = DEFAULT_HEALTH_TIMEOUT_MS): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const),
    );
    const parts = Object.fromEntries(entries);
    const status = entries.every(([, part]) => part.status === 'up') ? 'ok' : 'down';
    return { status, parts };
  }
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<PartHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const result = await Promise.race([check(), timeout]);
    return { status: 'up', ...(result ?? {}) };
  } catch (err) {
    return { status: 'down', error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
