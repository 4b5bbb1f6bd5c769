import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JWT_SECRET_FILE, resolveJwtSecret } from './jwt-secret';

describe('the JWT secret', () => {
  it('is FLEETWARDEN_JWT_SECRET when set', () => {
    const secret = resolveJwtSecret({ jwtSecret: 'x'.repeat(40), dataDir: '/nonexistent' });
    expect(secret.source).toBe('env');
    expect(Buffer.from(secret.key).toString()).toBe('x'.repeat(40));
  });

  it('is created once in the data dir (mode 0600) and then read back by everyone', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'fw-jwt-')), 'nested');
    const first = resolveJwtSecret({ jwtSecret: undefined, dataDir });
    const second = resolveJwtSecret({ jwtSecret: undefined, dataDir });
    expect(first).toMatchObject({ source: 'file', path: join(dataDir, JWT_SECRET_FILE) });
    expect(Buffer.from(second.key).equals(Buffer.from(first.key))).toBe(true);
    expect(first.key.length).toBeGreaterThanOrEqual(64);
    expect(statSync(first.path!).mode & 0o777).toBe(0o600);
    expect(readFileSync(first.path!, 'utf8').trim()).toBe(Buffer.from(first.key).toString());
  });

  it('refuses a file too short to be a secret', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fw-jwt-'));
    writeFileSync(join(dataDir, JWT_SECRET_FILE), 'short\n');
    expect(() => resolveJwtSecret({ jwtSecret: undefined, dataDir })).toThrow(/delete it/);
  });
});
