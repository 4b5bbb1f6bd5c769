import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const KEY_LENGTH = 32;

function derive(key: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(key, salt, KEY_LENGTH, (err, derived) => (err ? reject(err) : resolve(derived))),
  );
}

/** `scrypt$<salt>$<hash>` (base64): what is stored of a pair's redundancy key. */
export async function hashRedundancyKey(key: string): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64')}$${(await derive(key, salt)).toString('base64')}`;
}

/** True when `key` is the one `stored` was made from. */
export async function verifyRedundancyKey(key: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(key, Buffer.from(salt, 'base64'));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
