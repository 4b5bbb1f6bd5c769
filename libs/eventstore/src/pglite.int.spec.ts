import { createEventStore } from './create-event-store';
import { PgliteDriver } from './sql-driver';
import { SqlEventStore } from './sql-event-store';
import { eventStoreContract, newEvent } from './testing/event-store.contract';

eventStoreContract('PGlite', async () => {
  const store = await createEventStore({ schema: 'fleetwarden' });
  return { store, dispose: () => store.close() };
});

describe('read order (PGlite, where transaction ids are small enough to cross a power of ten)', () => {
  it('orders by transaction id as a number, not as text, across 999 -> 1000', async () => {
    const driver = await PgliteDriver.open();
    const store = new SqlEventStore(driver, { schema: 'order_check' });
    try {
      await store.migrate();
      const current = async () =>
        Number((await driver.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x')).rows[0].x);
      const start = await current();
      expect(start).toBeLessThan(995);
      while ((await current()) < 995);
      const appended: string[] = [];
      for (let i = 0; i < 10; i++) {
        const e = newEvent('Tick', { i });
        await store.append('order-1', [e]);
        appended.push(e.eventId);
      }
      const read = (await store.readAll({ limit: 100 })).events;
      expect(read.map((e) => e.transactionId).some((tx) => tx.length === 4)).toBe(true);
      expect(read.map((e) => e.transactionId).some((tx) => tx.length === 3)).toBe(true);
      expect(read.map((e) => e.eventId)).toEqual(appended);
    } finally {
      await store.close();
    }
  });
});
