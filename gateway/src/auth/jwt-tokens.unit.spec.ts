import { randomBytes } from 'node:crypto';
import { TokenError, issueToken, parseBearer, parseTtl, verifyToken } from './jwt-tokens';

const key = randomBytes(32);
const now = new Date('2026-11-27T12:00:00Z');

describe('bearer tokens', () => {
  describe('issued and verified with the same key', () => {
    it('carries sub, role and the reseller of a reseller', async () => {
      const token = await issueToken(key, { sub: 'bob', role: 'reseller', reseller: 'r1' }, { ttlSeconds: 3600, now });
      await expect(verifyToken(key, token, now)).resolves.toEqual({
        sub: 'bob',
        role: 'reseller',
        reseller: 'r1',
        actor: 'reseller:bob',
        expiresAt: new Date('2026-11-27T13:00:00Z'),
      });
    });

    it('drops a reseller claim from an operator token', async () => {
      const token = await issueToken(key, { sub: 'alice', role: 'operator', reseller: 'r1' }, { ttlSeconds: 60, now });
      await expect(verifyToken(key, token, now)).resolves.toMatchObject({ role: 'operator', reseller: null });
    });
  });

  describe('refused', () => {
    it('when expired', async () => {
      const token = await issueToken(key, { sub: 'a', role: 'auditor' }, { ttlSeconds: 60, now });
      await expect(verifyToken(key, token, new Date(now.getTime() + 3600_000))).rejects.toThrow('token expired');
    });

    it('when signed with another key', async () => {
      const token = await issueToken(randomBytes(32), { sub: 'a', role: 'auditor' }, { ttlSeconds: 60, now });
      await expect(verifyToken(key, token, now)).rejects.toThrow(/signature/);
    });

    it('when malformed', async () => {
      await expect(verifyToken(key, 'a.b.c', now)).rejects.toBeInstanceOf(TokenError);
    });

    it('when unsigned (alg none)', async () => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const token = `${b64({ alg: 'none' })}.${b64({ sub: 'x', role: 'operator', exp: 9_999_999_999 })}.`;
      await expect(verifyToken(key, token, now)).rejects.toBeInstanceOf(TokenError);
    });

    it('when a reseller token has no reseller, or the role is unknown', async () => {
      await expect(issueToken(key, { sub: 'b', role: 'reseller' }, { ttlSeconds: 60 })).rejects.toThrow(/reseller/);
      await expect(issueToken(key, { sub: 'b', role: 'admin' as 'operator' }, { ttlSeconds: 60 })).rejects.toThrow(
        /role/,
      );
    });

    it('when issued without an expiry', async () => {
      const { SignJWT } = await import('jose');
      const token = await new SignJWT({ role: 'operator' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('x')
        .sign(key);
      await expect(verifyToken(key, token, now)).rejects.toThrow(/exp/);
    });
  });

  describe('parseBearer', () => {
    it('takes the token of a Bearer header', () => {
      expect(parseBearer('Bearer abc.def.ghi')).toBe('abc.def.ghi');
      expect(parseBearer('bearer   abc')).toBe('abc');
    });

    it('refuses a missing header or another scheme', () => {
      expect(() => parseBearer(undefined)).toThrow(/missing bearer token/);
      expect(() => parseBearer('Basic dXNlcg==')).toThrow(/Bearer <token>/);
    });
  });

  describe('parseTtl', () => {
    it.each([
      ['90', 90],
      ['90s', 90],
      ['15m', 900],
      ['12h', 43_200],
      ['7d', 604_800],
    ])('%s is %d seconds', (raw, seconds) => expect(parseTtl(raw)).toBe(seconds));

    it.each(['0', '-5m', '12x', '', '400d'])('refuses %p', (raw) => expect(() => parseTtl(raw)).toThrow(TokenError));
  });
});
