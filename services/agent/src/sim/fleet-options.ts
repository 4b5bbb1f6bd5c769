import { DEFAULT_KEEPALIVE_INTERVAL_SEC } from '@fleetwarden/redundancy-contracts';
import { intFlag, numberFlag, parseFlags, UsageError } from '../cli/cli-args';

export const FLEET_USAGE = `usage: npm run fleet -- --servers N [--pairs P] [--resellers R] [--seed S] [--speed X] [--heartbeat S]
                        [--fail-rate P] [--keepalive S]

  --servers N     virtual servers (1-1000000), ids srv-00001...; optional with --pairs
  --pairs P       redundancy pairs (1-100000) on top: pair-0001 has the members srv-p0001a (primary)
                  and srv-p0001b (secondary), virtual servers like the others, plus a keep-alive
                  service; each pair is configured with ConfigurePair (key sim-key-<seed>-<pairId>,
                  auto-failover on) once both members said hello, retried until the redundancy
                  service accepts it
  --resellers R   resellers (default 3); server k belongs to reseller ((k-1) % R) + 1
  --seed S        seed of the fake data (integer, default 1): same seed, same fleet
  --speed X       clock speed (default FLEETWARDEN_CLOCK_SPEED, else 1); must match the stack's
  --heartbeat S   heartbeat interval in seconds of clock time (default 10)
  --fail-rate P   share of the servers whose first update attempt fails, 0..1 (default 0): exactly
                  round(P x N) servers, chosen by the seed; retries (attempt >= 2) succeed
  --keepalive S   keep-alive interval of the pair members in seconds of clock time (default 5)

The virtual servers execute update and cancel commands on <ns>.agent.<serverId>.cmd and publish
their progress with JetStream (stream <NS>_AGENT_PROGRESS). Pair members send keep-alives on
<ns>.agent.<serverId>.keepalive and answer control requests on <ns>.agent.<serverId>.control.
Each server reports its last OS-patch install (0-150 days before the start, by the seed) on
<ns>.agent.<serverId>.patches after its first hello, and runs install-patches commands.
Control on <ns>.sim.control: stop, start, script-failures, jobs, keepalive-stop, keepalive-start,
service-down, service-up, replication, pairs, clock-skew, messaging-down, messaging-up,
install-patches, patch-history (see services/agent/README.md).

environment: NATS_URL, FLEETWARDEN_NAMESPACE, FLEETWARDEN_CLOCK_SPEED, FLEETWARDEN_CLOCK_ORIGIN, LOG_LEVEL`;

export const FLEET_DEFAULTS = {
  resellers: 3,
  seed: 1,
  heartbeatSec: 10,
  failRate: 0,
  pairs: 0,
  keepAliveSec: DEFAULT_KEEPALIVE_INTERVAL_SEC,
} as const;

/** Validated flags of `npm run fleet`. */
export interface FleetOptions {
  /** Plain servers; 0 when only `--pairs` was given. */
  servers: number;
  /** Redundancy pairs (2 more servers each). */
  pairs: number;
  resellers: number;
  seed: number;
  /** Undefined: take `FLEETWARDEN_CLOCK_SPEED`. */
  speed: number | undefined;
  heartbeatSec: number;
  failRate: number;
  /** Keep-alive interval of the pair members, clock seconds. */
  keepAliveSec: number;
  help: boolean;
}

/** Parses the simulator's flags; throws {@link UsageError} naming the flag at fault. */
export function parseFleetArgs(argv: readonly string[]): FleetOptions {
  const flags = parseFlags(argv, {
    servers: { type: 'string' },
    resellers: { type: 'string' },
    seed: { type: 'string' },
    speed: { type: 'string' },
    heartbeat: { type: 'string' },
    'fail-rate': { type: 'string' },
    pairs: { type: 'string' },
    keepalive: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    return { servers: 0, ...FLEET_DEFAULTS, speed: undefined, help: true };
  }
  const servers = intFlag('servers', flags.servers, 1, 1_000_000);
  const pairs = intFlag('pairs', flags.pairs, 1, 100_000);
  if (servers === undefined && pairs === undefined) throw new UsageError('--servers is required (or --pairs)');
  return {
    servers: servers ?? 0,
    pairs: pairs ?? FLEET_DEFAULTS.pairs,
    resellers: intFlag('resellers', flags.resellers, 1, 100_000) ?? FLEET_DEFAULTS.resellers,
    seed: intFlag('seed', flags.seed, 0, 4_294_967_295) ?? FLEET_DEFAULTS.seed,
    speed: numberFlag('speed', flags.speed, { min: 0, max: 1_000_000, minExclusive: true }),
    heartbeatSec:
      numberFlag('heartbeat', flags.heartbeat, { min: 0, max: 3600, minExclusive: true }) ??
      FLEET_DEFAULTS.heartbeatSec,
    failRate: numberFlag('fail-rate', flags['fail-rate'], { min: 0, max: 1 }) ?? FLEET_DEFAULTS.failRate,
    keepAliveSec:
      numberFlag('keepalive', flags.keepalive, { min: 0, max: 3600, minExclusive: true }) ??
      FLEET_DEFAULTS.keepAliveSec,
    help: false,
  };
}
