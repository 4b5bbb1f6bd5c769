import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTestNamespace } from '@fleetwarden/testing';
import { healthyReport } from './support/health';
import {
  exitWithin,
  freePort,
  killIfRunning,
  pollUntil,
  portAnswers,
  startRunner,
  type Spawned,
} from './support/processes';

jest.setTimeout(60_000);

/** Needs the nats-server binary on PATH (Debian package nats-server; .ci/run installs it). */
describe('npm start with no NATS server at NATS_URL (FLEETWARDEN_START_NATS=true)', () => {
  let dataDir: string;
  let natsPort: number;
  let runner: Spawned | undefined;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-embedded-'));
    natsPort = await freePort();
    const port = await freePort();
    runner = startRunner({
      PORT: String(port),
      NATS_URL: `nats://127.0.0.1:${natsPort}`,
      FLEETWARDEN_START_NATS: 'true',
      FLEETWARDEN_DATA_DIR: dataDir,
      FLEETWARDEN_NAMESPACE: createTestNamespace('e2enats'),
    });
    await pollUntil('GET /health 200', () => healthyReport(`http://127.0.0.1:${port}`), {
      timeoutMs: 45_000,
      abort: runner.exited,
    });
  });

  afterAll(async () => {
    await killIfRunning(runner);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts nats-server with JetStream under the data folder and PGlite in it', () => {
    expect(fs.existsSync(path.join(dataDir, 'nats', 'jetstream'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'pglite', 'PG_VERSION'))).toBe(true);
  });

  it('stops that nats-server when it stops', async () => {
    expect(await portAnswers(natsPort)).toBe(true);
    runner!.child.kill('SIGTERM');
    await expect(exitWithin(runner!, 20_000)).resolves.toBe(0);
    expect(await portAnswers(natsPort)).toBe(false);
  });
});
