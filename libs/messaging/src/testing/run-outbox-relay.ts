/**
 * Runs one outbox relay until SIGTERM/SIGINT (then stops it gracefully). Used by the crash
 * test, which kills it with SIGKILL mid-backlog.
 *
 * Environment: DATABASE_URL, FLEETWARDEN_SCHEMA, NATS_URL, FLEETWARDEN_NAMESPACE,
 * RELAY_BATCH_SIZE (default 500), RELAY_LOCK_RETRY_MS (default 100).
 * Prints `leader` on stdout when it holds the lock and `stopped` after a graceful stop.
 */
import { Subjects } from '@fleetwarden/contracts';
import { createEventStore } from '@fleetwarden/eventstore';
import { connectNats } from '../nats-connection';
import { OutboxRelay } from '../outbox-relay';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const store = await createEventStore({
    databaseUrl: required('DATABASE_URL'),
    schema: required('FLEETWARDEN_SCHEMA'),
  });
  await store.migrate();
  const nc = await connectNats({ url: process.env['NATS_URL'], name: `outbox-relay-${process.pid}` });
  const relay = new OutboxRelay(store, nc, new Subjects(required('FLEETWARDEN_NAMESPACE')), {
    batchSize: Number(process.env['RELAY_BATCH_SIZE'] ?? 500),
    lockRetryMs: Number(process.env['RELAY_LOCK_RETRY_MS'] ?? 100),
  });
  relay.start();
  const leader = setInterval(() => {
    if (relay.stats.leader) {
      process.stdout.write('leader\n');
      clearInterval(leader);
    }
  }, 10);
  const shutdown = async () => {
    clearInterval(leader);
    await relay.stop();
    await nc.drain();
    await store.close();
    const { published, duplicates } = relay.stats;
    process.stdout.write(`stopped published=${published} duplicates=${duplicates}\n`);
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
