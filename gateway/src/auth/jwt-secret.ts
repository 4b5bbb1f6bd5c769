import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetwardenConfig } from '@fleetwarden/platform';

/** Name of the generated secret inside `FLEETWARDEN_DATA_DIR`. */
export const JWT_SECRET_FILE = 'jwt-secret';
const MIN_SECRET_LENGTH = 32;

/** The HMAC key of bearer tokens and where it came from. */
export interface JwtSecret {
  key: Uint8Array;
  source: 'env' | 'file';
  /** The file, when the key is kept in one. */
  path?: string;
}

/**
 * `FLEETWARDEN_JWT_SECRET` when set; otherwise the key in `<FLEETWARDEN_DATA_DIR>/jwt-secret`,
 * created (random, mode 0600) by whichever of the gateway and `npm run token` needs it first, so
 * both always agree. The file appears atomically with its content (written aside, then linked).
 */
export function resolveJwtSecret(config: Pick<FleetwardenConfig, 'jwtSecret' | 'dataDir'>): JwtSecret {
  if (config.jwtSecret) return { key: new TextEncoder().encode(config.jwtSecret), source: 'env' };
  const path = join(config.dataDir, JWT_SECRET_FILE);
  const existing = readSecretFile(path);
  if (existing !== undefined) return { key: existing, source: 'file', path };

  mkdirSync(config.dataDir, { recursive: true });
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(aside, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(aside, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(aside);
  }
  return { key: readSecretFile(path)!, source: 'file', path };
}

function readSecretFile(path: string): Uint8Array | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (text.length < MIN_SECRET_LENGTH) {
    throw new Error(`${path} holds fewer than ${MIN_SECRET_LENGTH} characters: delete it to generate a new secret`);
  }
  return new TextEncoder().encode(text);
}
