import type { LoggerService } from '@nestjs/common';

/**
 * Logs a warning at most once per `periodMs` per key; the next line of that key says how many
 * were suppressed meanwhile. Keeps a flood of bad agent messages from flooding the log.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Pick<LoggerService, 'warn'>,
    private readonly periodMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, message: string): void {
    const t = this.now();
    const seen = this.last.get(key);
    if (seen && t - seen.at < this.periodMs) {
      seen.suppressed++;
      return;
    }
    const suffix = seen && seen.suppressed > 0 ? ` (${seen.suppressed} more like it suppressed)` : '';
    this.last.set(key, { at: t, suppressed: 0 });
    if (this.last.size > 10_000) this.last.clear();
    this.logger.warn(`${message}${suffix}`);
  }
}
