import {
  REPLICATION_STATES,
  type AgentKeepAliveMessage,
  type ReplicationState,
  type ServiceState,
} from '@fleetwarden/redundancy-contracts';
import { HA_CONNECT_TIMEOUT_MS, timeTcpConnect } from './ha-check';
import type { AgentRedundancyConfig, RedundancyProbeCommands } from './redundancy-config';
import { runShellCommand, type ShellCommandResult } from './shell-command';

/** What a keep-alive carries besides `serverId` and `sentAt`. */
export type RedundancyState = Omit<AgentKeepAliveMessage, 'serverId' | 'sentAt'>;

/** The state the probes found, and why each probe that did not succeed failed. */
export interface ProbedRedundancy {
  state: RedundancyState;
  /** One line per failed probe (`switching: exited with code 3`); empty when all succeeded. */
  problems: string[];
}

/** Reported when the replication probe fails: a standby that is not `updated` blocks a manual switchover. */
export const REPLICATION_WHEN_UNKNOWN: ReplicationState = 'synchronizing';

/** Between SIGTERM and SIGKILL of a probe that ran too long, in ms. */
const PROBE_KILL_GRACE_MS = 200;
/** Output lines kept per probe (the last ones). */
const MAX_PROBE_LINES = 20;

/** How a command run ended, its last output lines included. */
export interface ProbeRun {
  result: ShellCommandResult;
  /** The last lines of stdout and stderr, as they came. */
  lines: string[];
  /** The last lines of stdout alone (default: `lines`). */
  stdout?: string[];
}

/** Why a probe run did not succeed (exit 0): `exited with code 1: <last line>`; undefined when it did. */
export function probeFailure(run: ProbeRun, timeoutSec: number): string | undefined {
  const { result } = run;
  let why: string;
  switch (result.kind) {
    case 'exited':
      if (result.code === 0) return undefined;
      why = `exited with code ${result.code}`;
      break;
    case 'signalled':
      why = `killed by ${result.signal}`;
      break;
    case 'timed-out':
      why = `timed out after ${timeoutSec} s`;
      break;
    case 'aborted':
      why = 'stopped';
      break;
    case 'not-started':
      why = `could not start: ${result.error.message}`;
      break;
  }
  const last = lastLine(run.lines);
  return last ? `${why}: ${last}` : why;
}

/** A service is `up` when its probe exits 0. */
export function serviceStateOf(run: ProbeRun): ServiceState {
  return run.result.kind === 'exited' && run.result.code === 0 ? 'up' : 'down';
}

/**
 * The replication state the probe printed: its last non-empty line on stdout, trimmed, when the
 * probe exited 0; else {@link REPLICATION_WHEN_UNKNOWN} and why.
 */
export function replicationOf(run: ProbeRun, timeoutSec: number): { state: ReplicationState; problem?: string } {
  const failure = probeFailure(run, timeoutSec);
  if (failure) return { state: REPLICATION_WHEN_UNKNOWN, problem: failure };
  const printed = lastLine(run.stdout ?? run.lines);
  if (printed !== undefined && (REPLICATION_STATES as readonly string[]).includes(printed)) {
    return { state: printed as ReplicationState };
  }
  return {
    state: REPLICATION_WHEN_UNKNOWN,
    problem: `printed ${printed === undefined ? 'nothing' : JSON.stringify(clip(printed, 200))}, not ${REPLICATION_STATES.join(', ')}`,
  };
}

export interface RunRedundancyProbesOptions {
  /** Stops the probe commands (they count as failed). */
  signal?: AbortSignal;
  /** Default {@link HA_CONNECT_TIMEOUT_MS}. */
  peerTimeoutMs?: number;
}

const SHELL_PROBES = ['switching', 'ipPhone', 'keepAlive', 'inControl', 'replication'] as const;
type ShellProbe = (typeof SHELL_PROBES)[number];

/**
 * Runs every probe of the config at once: the shell commands with a timeout of `probeTimeoutSec`
 * each (killed with their process group after it), and a TCP connect to the peer. Never rejects.
 */
export async function runRedundancyProbes(
  config: Pick<AgentRedundancyConfig, 'probes' | 'probeTimeoutSec' | 'workDir'>,
  options: RunRedundancyProbesOptions = {},
): Promise<ProbedRedundancy> {
  const timeoutSec = config.probeTimeoutSec;
  const [runs, peer] = await Promise.all([
    Promise.all(SHELL_PROBES.map((name) => runProbe(config.probes[name], config.workDir, timeoutSec, options.signal))),
    timeTcpConnect(config.probes.peer, { timeoutMs: options.peerTimeoutMs ?? HA_CONNECT_TIMEOUT_MS }),
  ]);
  const run = Object.fromEntries(SHELL_PROBES.map((name, i) => [name, runs[i]])) as Record<ShellProbe, ProbeRun>;
  const problems: string[] = [];
  const note = (name: keyof RedundancyProbeCommands, problem: string | undefined) => {
    if (problem) problems.push(`${name}: ${problem}`);
  };
  for (const name of ['switching', 'ipPhone', 'keepAlive'] as const) note(name, probeFailure(run[name], timeoutSec));
  // A non-zero exit of `inControl` is an answer (standing by), not a failure.
  if (run.inControl.result.kind !== 'exited') note('inControl', probeFailure(run.inControl, timeoutSec));
  const replication = replicationOf(run.replication, timeoutSec);
  note('replication', replication.problem);
  note('peer', peer.reachable ? undefined : `${config.probes.peer}: ${peer.error}`);
  return {
    state: {
      inControl: serviceStateOf(run.inControl) === 'up',
      switchingService: serviceStateOf(run.switching),
      ipPhoneService: serviceStateOf(run.ipPhone),
      keepAliveService: serviceStateOf(run.keepAlive),
      replicationStatus: replication.state,
      peerReachable: peer.reachable,
    },
    problems,
  };
}

async function runProbe(command: string, cwd: string, timeoutSec: number, signal?: AbortSignal): Promise<ProbeRun> {
  const lines: string[] = [];
  const stdout: string[] = [];
  const keep = (list: string[], line: string) => {
    list.push(line);
    if (list.length > MAX_PROBE_LINES) list.shift();
  };
  const result = await runShellCommand(command, {
    cwd,
    env: {},
    onLine: (line, stream) => {
      keep(lines, line);
      if (stream === 'stdout') keep(stdout, line);
    },
    timeoutMs: timeoutSec * 1000,
    signal,
    killGraceMs: PROBE_KILL_GRACE_MS,
  });
  return { result, lines, stdout };
}

function lastLine(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (line.length > 0) return line;
  }
  return undefined;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
