import { createEventStore } from './create-event-store';
import { eventStoreContract } from './testing/event-store.contract';

eventStoreContract('PGlite', async () => {
  const store = await createEventStore({ schema: 'fleetwarden' });
  return { store, dispose: () => store.close() };
});
