/** Settings of the gateway beyond the installation's configuration (mostly for tests). */
export interface GatewayOptions {
  /** How long a mutation waits for the owning service's reply, in ms (default 5000). */
  commandTimeoutMs?: number;
  /** How long a mutation waits for the read model to show its effect, in ms (default 5000). */
  readModelWaitMs?: number;
}

/** Injection token of the resolved {@link GatewayOptions}. */
export const GATEWAY_OPTIONS = Symbol.for('fleetwarden.gateway.options');

export const DEFAULT_GATEWAY_OPTIONS: Required<GatewayOptions> = { commandTimeoutMs: 5000, readModelWaitMs: 5000 };
