import type { JWTPayload } from 'jose';
import { idSchema } from '@fleetwarden/inventory-contracts';

/** Roles a person can hold on the gateway. */
export const GATEWAY_ROLES = ['operator', 'reseller', 'auditor'] as const;
export type GatewayRole = (typeof GATEWAY_ROLES)[number];

/** The authenticated caller of a request, from a verified bearer token. */
export interface Principal {
  /** `sub` claim: who the person is. */
  sub: string;
  role: GatewayRole;
  /** Tenant of a `reseller`; null for operators and auditors. */
  reseller: string | null;
  /** `<role>:<sub>`, as sent in command metadata. */
  actor: string;
  expiresAt: Date;
}

/** What a token says about its holder. */
export interface TokenClaims {
  sub: string;
  role: GatewayRole;
  /** Required for role `reseller`, ignored otherwise. */
  reseller?: string | null;
}

/** A bearer token is missing, malformed, wrongly signed, expired or names an unknown role. */
export class TokenError extends Error {
  override name = 'TokenError';
  readonly code = 'UNAUTHENTICATED';
}

/** Longest lifetime `issueToken` accepts: one year. */
export const MAX_TOKEN_TTL_SECONDS = 365 * 24 * 3600;
const SUB_MAX_LENGTH = 200;
const CLOCK_TOLERANCE_SECONDS = 5;

type Jose = typeof import('jose');
let jose: Promise<Jose> | undefined;
// jose is ESM-only: loaded with import(), which both Node and jest (vm modules) support.
const loadJose = (): Promise<Jose> => (jose ??= import('jose'));

/** Checks the claims; throws a {@link TokenError} naming the first bad one. */
export function checkClaims(claims: { sub?: unknown; role?: unknown; reseller?: unknown }): TokenClaims {
  const { sub, role, reseller } = claims;
  if (typeof sub !== 'string' || sub.trim() === '' || sub.length > SUB_MAX_LENGTH) {
    throw new TokenError(`claim "sub" must be a non-empty string of at most ${SUB_MAX_LENGTH} characters`);
  }
  if (typeof role !== 'string' || !(GATEWAY_ROLES as readonly string[]).includes(role)) {
    throw new TokenError(`claim "role" must be one of ${GATEWAY_ROLES.join(', ')}`);
  }
  if (role !== 'reseller') return { sub, role: role as GatewayRole };
  if (typeof reseller !== 'string' || !idSchema.safeParse(reseller).success) {
    throw new TokenError('claim "reseller" is required for role reseller (1-64 of [A-Za-z0-9_-])');
  }
  return { sub, role: 'reseller', reseller };
}

/** Signs a token (HS256) with `sub`, `role`, `reseller` (resellers only), `iat` and `exp`. */
export async function issueToken(
  key: Uint8Array,
  claims: TokenClaims,
  options: { ttlSeconds: number; now?: Date },
): Promise<string> {
  const checked = checkClaims(claims);
  if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds <= 0 || options.ttlSeconds > MAX_TOKEN_TTL_SECONDS) {
    throw new TokenError(`ttl must be between 1 second and ${MAX_TOKEN_TTL_SECONDS} seconds`);
  }
  const { SignJWT } = await loadJose();
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const payload: JWTPayload = { role: checked.role };
  if (checked.role === 'reseller') payload.reseller = checked.reseller;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(checked.sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + options.ttlSeconds)
    .sign(key);
}

/**
 * Verifies a token: HS256 signature with `key`, `exp` present and not passed, known role, and a
 * `reseller` claim for resellers. Throws a {@link TokenError} that says which check failed.
 */
export async function verifyToken(key: Uint8Array, token: string, now?: Date): Promise<Principal> {
  const { jwtVerify, errors } = await loadJose();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'sub'],
      currentDate: now,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new TokenError('token expired');
    if (err instanceof errors.JWSSignatureVerificationFailed) throw new TokenError('token signature is invalid');
    if (err instanceof errors.JWTClaimValidationFailed) throw new TokenError(`token claim "${err.claim}" is invalid`);
    if (err instanceof errors.JOSEAlgNotAllowed) throw new TokenError('token algorithm must be HS256');
    throw new TokenError('token is malformed');
  }
  const claims = checkClaims(payload);
  return {
    sub: claims.sub,
    role: claims.role,
    reseller: claims.role === 'reseller' ? claims.reseller! : null,
    actor: `${claims.role}:${claims.sub}`,
    expiresAt: new Date(payload.exp! * 1000),
  };
}

/** The token of an `Authorization: Bearer <token>` header; throws when absent or of another scheme. */
export function parseBearer(header: string | undefined | null): string {
  if (header === undefined || header === null || header.trim() === '') {
    throw new TokenError('missing bearer token (send "Authorization: Bearer <token>")');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
  if (!match) throw new TokenError('authorization must be "Bearer <token>"');
  return match[1];
}

const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90`, `90s`, `15m`, `12h`, `7d` -> seconds; throws on anything else or a ttl over a year. */
export function parseTtl(raw: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(raw.trim());
  if (!match) throw new TokenError(`ttl must be a number with an optional unit s, m, h or d (e.g. 12h), got "${raw}"`);
  const seconds = Number(match[1]) * TTL_UNITS[match[2] || 's'];
  if (seconds <= 0 || seconds > MAX_TOKEN_TTL_SECONDS) {
    throw new TokenError(`ttl must be between 1s and 365d, got "${raw}"`);
  }
  return seconds;
}
