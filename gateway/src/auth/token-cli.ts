import { parseArgs } from 'node:util';
import { GATEWAY_ROLES, TokenError, checkClaims, parseTtl, type TokenClaims } from './jwt-tokens';

export const TOKEN_USAGE =
  'usage: npm run token -- --role operator|reseller|auditor [--reseller ID] [--sub NAME] [--ttl 12h]';

/** What `npm run token` was asked for. */
export interface TokenRequest {
  claims: TokenClaims;
  ttlSeconds: number;
}

/** Reads the flags of `npm run token`; throws an error naming the bad flag. */
export function parseTokenFlags(argv: string[]): TokenRequest {
  let values: { role?: string; reseller?: string; sub?: string; ttl?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        role: { type: 'string' },
        reseller: { type: 'string' },
        sub: { type: 'string' },
        ttl: { type: 'string', default: '12h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new TokenError(`${err instanceof Error ? err.message : String(err)}\n${TOKEN_USAGE}`);
  }
  const { role, reseller } = values;
  if (!role) throw new TokenError(`--role is required\n${TOKEN_USAGE}`);
  if (!(GATEWAY_ROLES as readonly string[]).includes(role)) {
    throw new TokenError(`--role must be one of ${GATEWAY_ROLES.join(', ')}, got "${role}"\n${TOKEN_USAGE}`);
  }
  if (role === 'reseller' && !reseller) throw new TokenError(`--reseller ID is required with --role reseller`);
  if (role !== 'reseller' && reseller) throw new TokenError(`--reseller is only valid with --role reseller`);
  const sub = values.sub ?? (role === 'reseller' ? `${reseller}-admin` : role);
  let ttlSeconds: number;
  try {
    ttlSeconds = parseTtl(values.ttl ?? '12h');
  } catch (err) {
    throw new TokenError(`--${(err as Error).message}`);
  }
  let claims: TokenClaims;
  try {
    claims = checkClaims({ sub, role, reseller });
  } catch (err) {
    const message = (err as Error).message.replace(/^claim "(\w+)"/, '--$1');
    throw new TokenError(message);
  }
  return { claims, ttlSeconds };
}
