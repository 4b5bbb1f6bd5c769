import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTestNamespace, deleteNamespaceStreams } from '@fleetwarden/testing';
import { exitWithin, freePort, lines, startRunner } from './support/processes';

jest.setTimeout(60_000);

describe('npm start with a bad configuration', () => {
  let dataDir: string;
  let base: Record<string, string>;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-bad-config-'));
    base = {
      PORT: String(await freePort()),
      FLEETWARDEN_NAMESPACE: createTestNamespace('e2ebad'),
      FLEETWARDEN_DATA_DIR: dataDir,
    };
  });

  afterAll(async () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    await deleteNamespaceStreams(base.FLEETWARDEN_NAMESPACE);
  });

  const cases: Array<{ name: string; env: Record<string, string>; line: RegExp; secret?: string }> = [
    {
      name: 'PORT is not a number',
      env: { PORT: 'abc' },
      line: /^Invalid configuration: PORT must be an integer between 1 and 65535 \(got "abc"\)$/,
    },
    {
      name: 'nothing answers at NATS_URL',
      env: { NATS_URL: 'nats://127.0.0.1:1' },
      line: /^NATS is unreachable at NATS_URL=nats:\/\/127\.0\.0\.1:1 \(.+\)$/,
    },
    {
      name: 'DATABASE_URL is not a PostgreSQL URL',
      env: { DATABASE_URL: 'mysql://admin:hunter2secret@127.0.0.1/db' },
      line: /^Invalid configuration: DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/,
      secret: 'hunter2secret',
    },
    {
      name: 'nothing answers at DATABASE_URL',
      env: { DATABASE_URL: 'postgres://fleet:hunter2secret@127.0.0.1:1/fleetwarden' },
      line: /^Cannot use the database at DATABASE_URL=postgres:\/\/fleet:\*\*\*@127\.0\.0\.1:1\/fleetwarden \(.+\)$/,
      secret: 'hunter2secret',
    },
  ];

  it.each(cases)('exits non-zero with one line naming the variable when $name', async ({ env, line, secret }) => {
    const proc = startRunner({ ...base, ...env });
    const code = await exitWithin(proc, 30_000);
    expect(code).not.toBe(0);
    const errLines = lines(proc.stderr());
    expect(errLines).toHaveLength(1);
    expect(errLines[0]).toMatch(line);
    if (secret) expect(proc.stderr() + proc.stdout()).not.toContain(secret);
  });
});
