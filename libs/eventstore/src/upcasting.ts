import type { RecordedEvent, Upcaster } from './types';

/**
 * Upcasters applied on read: an event stored as `(type, schemaVersion)` is passed through the
 * chain `v -> v+1 -> ...` until no upcaster matches, so readers see only the newest shape.
 */
export class UpcasterRegistry {
  private readonly byKey = new Map<string, Upcaster>();

  register(...upcasters: Upcaster[]): this {
    for (const u of upcasters) {
      const key = `${u.type}@${u.fromVersion}`;
      if (this.byKey.has(key)) throw new Error(`Upcaster for ${key} is registered twice`);
      this.byKey.set(key, u);
    }
    return this;
  }

  get size(): number {
    return this.byKey.size;
  }

  apply(event: RecordedEvent): RecordedEvent {
    let current = event;
    for (let u = this.byKey.get(`${current.type}@${current.schemaVersion}`); u;) {
      current = { ...current, data: u.upcast(current.data, current), schemaVersion: current.schemaVersion + 1 };
      u = this.byKey.get(`${current.type}@${current.schemaVersion}`);
    }
    return current;
  }
}
