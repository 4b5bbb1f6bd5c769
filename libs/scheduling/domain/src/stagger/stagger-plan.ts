/** When one server's job may start at the earliest. */
export interface PlannedStart {
  serverId: string;
  /** Position in the task's start order, from 0. */
  index: number;
  /** Seconds after the task's start: `index x staggerSeconds`. */
  offsetSeconds: number;
  /** ISO-8601: `startAt + offsetSeconds`. */
  earliestStartAt: string;
}

export interface StaggerOptions {
  /** ISO-8601 start of the first server. */
  startAt: string;
  /** Seconds between two consecutive starts (>= 0). */
  staggerSeconds: number;
  /** Most jobs in flight at once; null: no limit. */
  maxConcurrency: number | null;
}

/**
 * The staggered start plan of a task: server k starts `k x staggerSeconds` after the first, in the
 * given order. Job durations are unknown when planning, so `maxConcurrency` cannot move an offset
 * here: the offsets are the *earliest* starts. The executor starts server k at its offset or, when
 * `maxConcurrency` jobs are in flight then, as soon as one of them ends (never earlier than planned,
 * and keeping the order). The maintenance window likewise only delays starts and is applied by the
 * executor.
 */
export function staggerPlan(servers: readonly { serverId: string }[], options: StaggerOptions): PlannedStart[] {
  const { startAt, staggerSeconds, maxConcurrency } = options;
  const start = Date.parse(startAt);
  if (Number.isNaN(start)) throw new RangeError(`staggerPlan: startAt is not a date: ${startAt}`);
  if (!Number.isFinite(staggerSeconds) || staggerSeconds < 0) {
    throw new RangeError(`staggerPlan: staggerSeconds must be >= 0, got ${staggerSeconds}`);
  }
  if (maxConcurrency !== null && (!Number.isInteger(maxConcurrency) || maxConcurrency < 1)) {
    throw new RangeError(`staggerPlan: maxConcurrency must be a whole number >= 1, got ${maxConcurrency}`);
  }
  return servers.map(({ serverId }, index) => {
    const offsetSeconds = index * staggerSeconds;
    return {
      serverId,
      index,
      offsetSeconds,
      earliestStartAt: new Date(start + offsetSeconds * 1000).toISOString(),
    };
  });
}
