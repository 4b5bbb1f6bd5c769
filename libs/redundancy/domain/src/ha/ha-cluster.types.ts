/** What a component of an HA cluster is: a server, or a load balancer in front of the servers. */
export type HaComponentRole = 'server' | 'load-balancer';

/** One component of an HA cluster: the server it runs on, its role, where its messaging is reached. */
export interface HaComponent {
  serverId: string;
  role: HaComponentRole;
  /** `host` or `host:port`; may be empty for a pair member without an address. */
  address: string;
}

/** A component as a report names it. */
export interface HaComponentRef {
  serverId: string;
  role: HaComponentRole;
}

/** Where the checked components came from: a configured HA cluster, or the two members of a redundancy pair. */
export type HaClusterSource = 'cluster' | 'pair';

export type HaMessagingResult = 'OK' | 'SLOW' | 'NO_CONNECTION' | 'COMPONENT_DOWN';
export type HaClockResult = 'CLOCK_OK' | 'CLOCK_SKEW' | 'CLOCK_UNKNOWN';

/** One row of the messaging tab: `from` measured its round trip to `to`. */
export interface HaMessagingCheck {
  from: HaComponentRef;
  to: HaComponentRef;
  result: HaMessagingResult;
  /** Round trip in ms; null unless OK or SLOW. */
  transferTimeMs: number | null;
  /** Null when OK. */
  recommendation: string | null;
  /** What was observed; null when OK. */
  detail: string | null;
}

/** One row of the clock tab. */
export interface HaClockCheck {
  server: HaComponentRef;
  /** Component's clock minus the control plane's, in ms; null when not read. */
  skewMs: number | null;
  result: HaClockResult;
  recommendation: string | null;
  detail: string | null;
}

/** What one agent measured to one peer. */
export interface HaPeerMeasurement {
  peerId: string;
  reachable: boolean;
  /** Null when unreachable. */
  roundTripMs: number | null;
  error: string | null;
}

/**
 * A component that answered the check: the control plane's clock when it sent the request and
 * received the reply, the agent's clock when it received the request (null when it did not say)
 * and sent the reply, and what it measured to each peer.
 */
export interface HaAnsweredProbe {
  serverId: string;
  answered: true;
  requestSentAt: string;
  replyReceivedAt: string;
  agentReceivedAt: string | null;
  agentSentAt: string;
  results: HaPeerMeasurement[];
}

/** A component that did not answer the check (no reply in time, no agent, a refusal), and why. */
export interface HaSilentProbe {
  serverId: string;
  answered: false;
  reason: string;
}

export type HaProbe = HaAnsweredProbe | HaSilentProbe;

export interface HaClusterState {
  /** A cluster was configured on this stream (a pair's check stream has none). */
  exists: boolean;
  clusterId: string;
  components: HaComponent[];
  /** Reseller of the components; null when an operator configured it. */
  tenant: string | null;
  configuredBy: string | null;
  /** Health checks recorded on this stream. */
  checks: number;
  lastCheck: { checkId: string; at: string } | null;
}

/** Components of one HA cluster: at least two, at most twenty. */
export const HA_MIN_COMPONENTS = 2;
export const HA_MAX_COMPONENTS = 20;

/** A messaging round trip above this is `SLOW`. */
export const HA_SLOW_TRANSFER_MS = 1000;
