/** Millisecond-resolution histogram of lags up to `maxMs` (larger ones land in the last bucket). */
export class LagHistogram {
  private readonly buckets: Uint32Array;
  private total = 0;
  private maxSeen = 0;

  constructor(private readonly maxMs = 60_000) {
    this.buckets = new Uint32Array(maxMs + 1);
  }

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.maxSeen;
  }

  record(ms: number): void {
    const i = ms <= 0 ? 0 : ms >= this.maxMs ? this.maxMs : Math.floor(ms);
    this.buckets[i]++;
    this.total++;
    if (ms > this.maxSeen) this.maxSeen = ms;
  }

  /** The lag below which a fraction `q` (0..1) of the samples lie, in ms; 0 when empty. */
  percentile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.ceil(q * this.total);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= rank) return i;
    }
    return this.maxMs;
  }

  reset(): void {
    this.buckets.fill(0);
    this.total = 0;
    this.maxSeen = 0;
  }
}
