import { hash32 } from './prng';

/** The timed phases of a simulated update, in order. */
export const SIM_UPDATE_PHASES = ['downloading', 'installing', 'restarting', 'validating'] as const;
export type SimUpdatePhase = (typeof SIM_UPDATE_PHASES)[number];

/** Clock-second range of each phase (inclusive min, exclusive max). */
const PHASE_RANGE_SEC: Record<SimUpdatePhase, readonly [number, number]> = {
  downloading: [2, 6],
  installing: [3, 8],
  restarting: [1, 4],
  validating: [1, 3],
};

export interface SimUpdateScript {
  /** Clock seconds of each phase (divide by the clock speed for wall time). */
  durationsSec: Record<SimUpdatePhase, number>;
  /** The phase the update fails in, or null when it succeeds. */
  failIn: SimUpdatePhase | null;
}

/** What a simulated update depends on. */
export interface SimUpdateScriptInput {
  seed: number;
  serverId: string;
  jobId: string;
  /** The command's attempt (1 for the first). */
  attempt: number;
  /** The server is one of the `--fail-rate` share ({@link simFailingServerIds}): its first attempts fail. */
  failsFirstAttempt: boolean;
  /** A failure scripted by the `script-failures` control action: fails in this phase whatever the attempt. */
  scriptedFailure?: SimUpdatePhase;
}

/** A number in [0, 1) from the given parts, stable across runs. */
function unit(...parts: ReadonlyArray<string | number>): number {
  return hash32(...parts) / 0x1_0000_0000;
}

/**
 * The servers whose first update attempts fail at `failRate`: exactly `Math.round(failRate * N)`
 * of the N distinct ids, the lowest by `hash32(seed, 'update-fail', serverId)` (ties by id). Pure:
 * the same seed and ids give the same set, whatever their order.
 */
export function simFailingServerIds(seed: number, serverIds: Iterable<string>, failRate: number): Set<string> {
  if (!(failRate >= 0 && failRate <= 1)) throw new RangeError(`failRate must be in [0, 1], got ${failRate}`);
  const ids = [...new Set(serverIds)];
  const count = Math.round(failRate * ids.length);
  if (count === 0) return new Set();
  const ranked = ids.map((id) => ({ id, rank: hash32(seed, 'update-fail', id) }));
  ranked.sort((a, b) => a.rank - b.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return new Set(ranked.slice(0, count).map((r) => r.id));
}

/**
 * How a simulated update runs: a pure function of its input. Durations depend on the seed,
 * server id and job id. It fails in the scripted phase when there is one; else a first attempt
 * (`attempt === 1`) of a server that `failsFirstAttempt` fails in a phase chosen by the seed,
 * server id and job id; any other update succeeds.
 */
export function simUpdateScript(input: SimUpdateScriptInput): SimUpdateScript {
  const { seed, serverId, jobId } = input;
  const durationsSec = {} as Record<SimUpdatePhase, number>;
  for (const phase of SIM_UPDATE_PHASES) {
    const [min, max] = PHASE_RANGE_SEC[phase];
    durationsSec[phase] = min + unit(seed, serverId, jobId, phase) * (max - min);
  }
  let failIn: SimUpdatePhase | null = input.scriptedFailure ?? null;
  if (failIn === null && input.failsFirstAttempt && input.attempt === 1) {
    failIn = SIM_UPDATE_PHASES[Math.floor(unit(seed, serverId, jobId, 'fail-phase') * SIM_UPDATE_PHASES.length)];
  }
  return { durationsSec, failIn };
}
