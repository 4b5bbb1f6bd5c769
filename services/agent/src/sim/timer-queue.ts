interface Entry {
  at: number;
  order: number;
  run: () => void;
}

export interface TimerQueueOptions {
  /** Monotonic milliseconds (default `performance.now`). */
  now?: () => number;
  /** Most tasks run in one turn of the event loop before yielding (default 2000). */
  batchSize?: number;
  /** Called when a task throws; the queue carries on. */
  onError?: (err: unknown) => void;
}

/**
 * Many one-shot tasks on one timer: a min-heap by due time (ties in scheduling order), so a
 * simulator with 100k agents keeps one pending `setTimeout`, not 100k. Due tasks run in batches,
 * yielding to I/O in between.
 */
export class TimerQueue {
  private readonly heap: Entry[] = [];
  private readonly now: () => number;
  private readonly batchSize: number;
  private readonly onError: (err: unknown) => void;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private armedAt = Infinity;
  private order = 0;
  private closed = false;

  constructor(options: TimerQueueOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.batchSize = options.batchSize ?? 2000;
    this.onError = options.onError ?? (() => undefined);
  }

  /** Current time on the queue's clock. */
  time(): number {
    return this.now();
  }

  /** Runs `run` once at `at` (queue time) or as soon as possible after. */
  at(at: number, run: () => void): void {
    if (this.closed) return;
    this.push({ at, order: this.order++, run });
    if (at < this.armedAt) this.arm();
  }

  /** Number of pending tasks. */
  get size(): number {
    return this.heap.length;
  }

  /** Drops every pending task; later `at` calls are ignored. */
  close(): void {
    this.closed = true;
    this.heap.length = 0;
    this.disarm();
  }

  private arm(): void {
    this.disarm();
    const next = this.heap[0];
    if (!next) return;
    this.armedAt = next.at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next.at - this.now()));
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.armedAt = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.immediate = undefined;
    // Marks the queue as busy, so that tasks scheduled while it runs do not arm a timer.
    this.armedAt = -Infinity;
    const until = this.now() + 1;
    let ran = 0;
    while (!this.closed && ran < this.batchSize && this.heap.length > 0 && this.heap[0].at <= until) {
      const entry = this.pop();
      ran++;
      try {
        entry.run();
      } catch (err) {
        this.onError(err);
      }
    }
    this.armedAt = Infinity;
    if (this.closed) return;
    if (this.heap.length > 0 && this.heap[0].at <= this.now() + 1) {
      this.armedAt = -Infinity;
      this.immediate = setImmediate(() => this.fire());
    } else {
      this.arm();
    }
  }

  private before(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop() as Entry;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < heap.length && this.before(heap[l], heap[smallest])) smallest = l;
        if (r < heap.length && this.before(heap[r], heap[smallest])) smallest = r;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
        i = smallest;
      }
    }
    return top;
  }
}
