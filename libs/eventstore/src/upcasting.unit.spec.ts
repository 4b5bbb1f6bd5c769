import type { RecordedEvent } from './types';
import { UpcasterRegistry } from './upcasting';

const stored = (schemaVersion: number, data: unknown): RecordedEvent => ({
  eventId: '00000000-0000-4000-8000-000000000001',
  type: 'ServerRegistered',
  schemaVersion,
  streamId: 'server-1',
  streamVersion: 1,
  globalPosition: 1,
  transactionId: '1',
  data,
  metadata: { correlationId: 'c', causationId: null, actor: 'a', reseller: null, occurredAt: '2026-01-01T00:00:00Z' },
  recordedAt: '2026-01-01T00:00:00Z',
});

describe('UpcasterRegistry', () => {
  const registry = new UpcasterRegistry().register(
    { type: 'ServerRegistered', fromVersion: 1, upcast: (d) => ({ ...(d as object), stage: 'production' }) },
    {
      type: 'ServerRegistered',
      fromVersion: 2,
      upcast: (d) => {
        const { address, ...rest } = d as { address: string };
        return { ...rest, address: { line1: address } };
      },
    },
  );

  it('chains upcasters from the stored version to the newest', () => {
    const e = registry.apply(stored(1, { address: 'Main St 1' }));
    expect(e.schemaVersion).toBe(3);
    expect(e.data).toEqual({ stage: 'production', address: { line1: 'Main St 1' } });
  });

  it('leaves the newest shape and unknown types alone', () => {
    const newest = stored(3, { x: 1 });
    expect(registry.apply(newest)).toBe(newest);
    const other = { ...stored(1, {}), type: 'Other' };
    expect(registry.apply(other)).toBe(other);
  });

  it('refuses two upcasters for the same version', () => {
    expect(() =>
      new UpcasterRegistry().register(
        { type: 'A', fromVersion: 1, upcast: (d) => d },
        { type: 'A', fromVersion: 1, upcast: (d) => d },
      ),
    ).toThrow(/registered twice/);
  });
});
