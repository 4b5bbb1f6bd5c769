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

/** A number in [0, 1) from the given parts, stable across runs. */
function unit(...parts: ReadonlyArray<string | number>): number {
  return hash32(...parts) / 0x1_0000_0000;
}

/**
 * How a simulated update of `serverId` for `jobId` runs: a pure function of the seed, server id and
 * job id. It fails when `unit(seed, serverId, jobId)` < `failRate` (so a fraction `failRate` fails on
 * average), or always when `forceFail` (the `script-failures` control action; use it when a test
 * needs exactly K failures).
 */
export function simUpdateScript(
  seed: number,
  serverId: string,
  jobId: string,
  failRate: number,
  forceFail = false,
): SimUpdateScript {
  const durationsSec = {} as Record<SimUpdatePhase, number>;
  for (const phase of SIM_UPDATE_PHASES) {
    const [min, max] = PHASE_RANGE_SEC[phase];
    durationsSec[phase] = min + unit(seed, serverId, jobId, phase) * (max - min);
  }
  const fails = forceFail || unit(seed, serverId, jobId, 'fail') < failRate;
  const failIn = fails
    ? SIM_UPDATE_PHASES[Math.floor(unit(seed, serverId, jobId, 'fail-phase') * SIM_UPDATE_PHASES.length)]
    : null;
  return { durationsSec, failIn };
}
