import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

/** PostgreSQL the integration tests use (a real server; each test file gets its own schema). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** NATS with JetStream the integration tests use. */
export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

function suffix(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export interface TestSchema {
  /** Schema name, unique to this test run (`t_<random>`). */
  schema: string;
  connectionString: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** Creates an empty PostgreSQL schema for one test file. */
export async function createTestSchema(prefix = 't'): Promise<TestSchema> {
  const schema = `${prefix}_${suffix()}`;
  const connectionString = TEST_DATABASE_URL;
  const client = new Client({ connectionString });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA "${schema}"`);
  } finally {
    await client.end();
  }
  return {
    schema,
    connectionString,
    async drop() {
      const c = new Client({ connectionString });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A fresh `FLEETWARDEN_NAMESPACE` for one test file: its own subjects and JetStream streams. */
export function createTestNamespace(prefix = 't'): string {
  return `${prefix}${suffix()}`.toLowerCase();
}

/** Deletes every JetStream stream whose name starts with the namespace's prefix. */
export async function deleteNamespaceStreams(namespace: string, natsUrl = TEST_NATS_URL): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const prefix = `${namespace.toUpperCase()}_`;
    const names: string[] = [];
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(prefix)) names.push(name);
    }
    for (const name of names) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}
