/** Most lines one progress message carries (the contract's limit). */
export const MAX_LOG_LINES = 1000;
/** Longest log line (the contract's limit); longer lines are cut. */
export const MAX_LOG_LINE_CHARS = 4000;
/** Most characters of log one progress message carries, so it stays well below NATS's max payload. */
export const MAX_LOG_CHARS = 256_000;

/**
 * The log lines of a job since its last progress message. Keeps the newest lines when there are
 * too many (the failing lines are at the end) and says how many older ones it dropped.
 */
export class JobLog {
  private lines: string[] = [];
  private chars = 0;
  private dropped = 0;

  add(line: string): void {
    const text = line.length > MAX_LOG_LINE_CHARS ? `${line.slice(0, MAX_LOG_LINE_CHARS - 1)}…` : line;
    this.lines.push(text);
    this.chars += text.length;
    // Amortised: trim in chunks, not on every line.
    if (this.lines.length > 2 * MAX_LOG_LINES || this.chars > 2 * MAX_LOG_CHARS) this.trim(MAX_LOG_LINES - 1);
  }

  /** Number of lines waiting. */
  get size(): number {
    return this.lines.length;
  }

  /** The waiting lines (at most {@link MAX_LOG_LINES}, {@link MAX_LOG_CHARS} in all), emptying the log. */
  take(): string[] {
    const fits = this.dropped === 0 && this.lines.length <= MAX_LOG_LINES && this.chars <= MAX_LOG_CHARS;
    if (!fits) this.trim(MAX_LOG_LINES - 1);
    const lines = this.dropped > 0 ? [`[${this.dropped} earlier log lines dropped]`, ...this.lines] : this.lines;
    this.lines = [];
    this.chars = 0;
    this.dropped = 0;
    return lines;
  }

  /** Keeps at most `keep` lines (and {@link MAX_LOG_CHARS}), leaving room for the "dropped" line. */
  private trim(keep: number): void {
    let start = Math.max(0, this.lines.length - keep);
    let chars = 0;
    for (let i = start; i < this.lines.length; i++) chars += this.lines[i].length;
    while (chars > MAX_LOG_CHARS && start < this.lines.length) chars -= this.lines[start++].length;
    if (start === 0) return;
    this.dropped += start;
    this.lines = this.lines.slice(start);
    this.chars = chars;
  }
}
