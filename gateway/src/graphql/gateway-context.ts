import type { RequestAuth } from '../auth/request-auth';
import type { Principal } from '../auth/jwt-tokens';

/** The GraphQL context of one request or one subscription. */
export interface GatewayContext {
  /** Credentials of the request (HTTP `Authorization`, or the WebSocket connection-init payload). */
  auth?: RequestAuth;
  /** Set by the auth guard once the credentials are verified. */
  principal?: Principal;
  /** From the `x-correlation-id` header when valid; otherwise generated per mutation. */
  correlationId?: string;
  /** Per-request caches and batch loaders, created on first use. */
  cache?: Map<string, unknown>;
}

/** A per-request value, created once per GraphQL request. */
export function perRequest<T>(ctx: GatewayContext, key: string, create: () => T): T {
  ctx.cache ??= new Map();
  let value = ctx.cache.get(key) as T | undefined;
  if (value === undefined) {
    value = create();
    ctx.cache.set(key, value);
  }
  return value;
}
