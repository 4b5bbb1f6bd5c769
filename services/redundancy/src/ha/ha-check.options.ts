/** Injection token of {@link HaCheckOptions} (optional; tests shorten the timeout). */
export const HA_CHECK_OPTIONS = Symbol.for('fleetwarden.redundancy.ha-check');

export interface HaCheckOptions {
  /**
   * Real ms a component's agent has to answer an `ha-check` (default 3000: an agent takes up to
   * 2 s to find a peer unreachable); one that does not is reported as not running.
   */
  replyTimeoutMs?: number;
}

export const DEFAULT_HA_REPLY_TIMEOUT_MS = 3000;
