import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Subjects } from '@fleetwarden/contracts';
import { createEventStore } from '@fleetwarden/eventstore';
import { RegisterServer, serverStreamId } from '@fleetwarden/inventory-contracts';
import { connectNats, JetStreamClientProxy } from '@fleetwarden/messaging';
import { createTestNamespace, deleteNamespaceStreams, TEST_NATS_URL } from '@fleetwarden/testing';
import { exitWithin, freePort, killIfRunning, pollUntil, startRunner, type Spawned } from './support/processes';

jest.setTimeout(120_000);

/** Registrations acknowledged by `npm start` before it is killed. */
const ACKED_BEFORE_KILL = 150;

// ARCHITECTURE.md, embedded default: `npm start` on PGlite is killed with SIGKILL while it
// appends (operators registering servers); after a restart every acknowledged append is there.
describe('npm start (PGlite) killed with SIGKILL while it appends', () => {
  const namespace = createTestNamespace('e2ecrash');
  const subjects = new Subjects(namespace);
  let dataDir: string;
  let runner: Spawned | undefined;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-runner-crash-'));
  });

  afterAll(async () => {
    await killIfRunning(runner);
    await deleteNamespaceStreams(namespace).catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<Spawned> {
    const port = await freePort();
    const spawned = startRunner({
      PORT: String(port),
      NATS_URL: TEST_NATS_URL,
      FLEETWARDEN_NAMESPACE: namespace,
      FLEETWARDEN_DATA_DIR: dataDir,
      FLEETWARDEN_START_NATS: 'false',
    });
    await pollUntil(
      'npm start ready',
      async () => (/Fleetwarden ready/.test(spawned.stdout() + spawned.stderr()) ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 100, abort: spawned.exited },
    );
    return spawned;
  }

  it('keeps every registration it acknowledged', async () => {
    runner = await start();
    const nc = await connectNats({ url: TEST_NATS_URL, name: 'e2e-crash-client' });
    const client = new JetStreamClientProxy({ connection: nc, subjects, timeoutMs: 5000 });
    const acknowledged: string[] = [];
    let killed = false;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !killed; i++) {
        const serverId = `crash-${w}-${i}`;
        try {
          await client.command(
            { context: 'inventory', command: RegisterServer.name },
            {
              serverId,
              reseller: { id: 'reseller-1', name: 'Reseller 1' },
              company: { id: 'company-1', name: 'Company 1' },
              address: 'Main St 1',
              serverVersion: '9.0.0.200',
              webAppsVersion: null,
              stage: 'production',
              hostingProvider: 'operator',
            },
            { meta: { actor: 'operator:e2e', role: 'operator' } },
          );
          acknowledged.push(serverId);
        } catch {
          return; // the runner is gone: unacknowledged, not counted
        }
      }
    });
    await pollUntil(
      'acknowledged registrations',
      async () => (acknowledged.length >= ACKED_BEFORE_KILL ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 20,
      },
    );
    runner.child.kill('SIGKILL');
    killed = true;
    expect(await runner.exited).toBe('SIGKILL');
    await Promise.all(writers);
    await nc.close();
    const acked = [...acknowledged];

    // Restart on the same folder: it recovers and serves again; then stop it to read the folder.
    runner = await start();
    runner.child.kill('SIGTERM');
    expect(await exitWithin(runner, 30_000)).toBe(0);

    const store = await createEventStore({ dataDir: path.join(dataDir, 'pglite'), schema: 'fleetwarden' });
    try {
      const missing: string[] = [];
      for (const id of acked) {
        const events = await store.readStream(serverStreamId(id));
        if (events[0]?.type !== 'ServerRegistered') missing.push(id);
      }
      expect({ acknowledged: acked.length, missing }).toEqual({ acknowledged: acked.length, missing: [] });
    } finally {
      await store.close();
    }
  });
});
