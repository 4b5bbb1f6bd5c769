import { createTestSchema } from '@fleetwarden/testing';
import { createEventStore } from './create-event-store';
import { eventStoreContract } from './testing/event-store.contract';

eventStoreContract('PostgreSQL', async () => {
  const schema = await createTestSchema('es');
  const store = await createEventStore({ databaseUrl: schema.connectionString, schema: schema.schema, poolSize: 12 });
  return {
    store,
    async dispose() {
      await store.close();
      await schema.drop();
    },
  };
});
