import { Inject, Injectable, Logger } from '@nestjs/common';
import { PLATFORM_CONFIG, type FleetwardenConfig } from '@fleetwarden/platform';
import { unauthenticated } from '../graphql/graphql-errors';
import { resolveJwtSecret } from './jwt-secret';
import { TokenError, parseBearer, verifyToken, type Principal } from './jwt-tokens';

/** The credentials of one request (or one WebSocket connection), verified on first use. */
export class RequestAuth {
  private verified?: Promise<Principal>;

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly authorization: string | undefined,
  ) {}

  /** The caller; rejects with an `UNAUTHENTICATED` GraphQL error when the token is missing or bad. */
  principal(): Promise<Principal> {
    return (this.verified ??= this.verifier.verifyHeader(this.authorization));
  }
}

/** Verified tokens kept, so that a client's every request does not pay for the signature check again. */
const MAX_CACHED_TOKENS = 10_000;

/** Verifies bearer tokens with the installation's key (see {@link resolveJwtSecret}). */
@Injectable()
export class TokenVerifier {
  private readonly key: Uint8Array;
  private readonly verified = new Map<string, Principal>();

  constructor(@Inject(PLATFORM_CONFIG) config: FleetwardenConfig) {
    const secret = resolveJwtSecret(config);
    this.key = secret.key;
    if (secret.source === 'file') {
      new Logger('Auth').log(
        `bearer tokens are verified with the key in ${secret.path} (FLEETWARDEN_JWT_SECRET is unset; ` +
          'set it when several gateway instances must accept the same tokens)',
      );
    }
  }

  forHeader(authorization: unknown): RequestAuth {
    return new RequestAuth(this, typeof authorization === 'string' ? authorization : undefined);
  }

  async verifyHeader(authorization: string | undefined): Promise<Principal> {
    try {
      const token = parseBearer(authorization);
      const known = this.verified.get(token);
      if (known && known.expiresAt.getTime() > Date.now()) return known;
      const principal = await verifyToken(this.key, token);
      if (this.verified.size >= MAX_CACHED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, principal);
      return principal;
    } catch (err) {
      if (err instanceof TokenError) throw unauthenticated(err.message);
      throw err;
    }
  }
}
