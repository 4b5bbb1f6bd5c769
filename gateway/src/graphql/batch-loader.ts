/**
 * Collects the keys asked for while a GraphQL result is being built (one event-loop turn) and
 * loads them with one call, so that a list of 50 servers costs one query per nested field, not 50.
 */
export class BatchLoader<K, V> {
  private queue: Array<{ key: K; resolve: (value: V) => void; reject: (err: unknown) => void }> = [];

  constructor(
    private readonly loadMany: (keys: K[]) => Promise<Map<K, V>>,
    private readonly missing: () => V,
  ) {}

  load(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      if (this.queue.length === 0) setImmediate(() => void this.flush());
      this.queue.push({ key, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    try {
      const values = await this.loadMany([...new Set(batch.map((b) => b.key))]);
      for (const b of batch) b.resolve(values.get(b.key) ?? this.missing());
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }
}
