import type {
  AgentCancelCommand,
  AgentProgressMessage,
  AgentUpdateCommand,
  UpdatePhase,
} from '@fleetwarden/execution-contracts';
import type { Clock } from '@fleetwarden/shared-domain';
import { AgentJobs, type AgentCommandReply } from '../common/agent-jobs';
import { JobLog } from '../common/job-log';
import type { SimServerJobs } from './control/simulator-control';
import { hash32 } from './prng';
import type { TimerQueue } from './timer-queue';
import { SIM_UPDATE_PHASES, simUpdateScript, type SimUpdatePhase, type SimUpdateScript } from './update-script';

type Component = AgentUpdateCommand['components'][number];

/** Which command timeout bounds each phase. */
const TIMEOUT_OF: Record<SimUpdatePhase, keyof AgentUpdateCommand['timeouts']> = {
  downloading: 'downloadSec',
  installing: 'installSec',
  restarting: 'restartSec',
  validating: 'validateSec',
};

export interface SimUpdatesOptions {
  seed: number;
  /** How many times faster than real time `clock` runs: a phase of d clock seconds takes d / speed real seconds. */
  speed: number;
  /** Clock of `sentAt`. */
  clock: Clock;
  /** The simulator's timer queue (closing it drops every pending phase). */
  queue: TimerQueue;
  /** Servers whose first update attempts fail (`simFailingServerIds`). */
  failing: ReadonlySet<string>;
  /** Sends one progress message (or holds it while the server is offline). */
  emit(message: AgentProgressMessage): void;
  /** A job completed: the server now runs these component versions. */
  installed(serverId: string, components: readonly Component[]): void;
}

interface RunningJob {
  serverId: string;
  command: AgentUpdateCommand;
  script: SimUpdateScript;
  log: JobLog;
  stopped: boolean;
}

/** Counts of the update jobs of a simulator. */
export interface SimUpdateStats {
  started: number;
  completed: number;
  failed: number;
  duplicates: number;
}

/**
 * The update jobs of a simulated fleet: each server runs at most one at a time, never the same
 * job id twice, through the phases of its {@link simUpdateScript} on the shared timer queue.
 */
export class SimUpdates {
  private readonly ledgers = new Map<string, AgentJobs>();
  private readonly scripted = new Map<string, SimUpdatePhase>();
  private readonly running = new Map<string, RunningJob>();
  private readonly counts: SimUpdateStats = { started: 0, completed: 0, failed: 0, duplicates: 0 };

  constructor(private readonly options: SimUpdatesOptions) {}

  /** Runs a command of `serverId` (an online server this simulator runs) and gives its reply. */
  handle(serverId: string, command: AgentUpdateCommand | AgentCancelCommand): AgentCommandReply {
    return command.type === 'update' ? this.update(serverId, command) : this.cancel(serverId, command);
  }

  /** The server's next update fails in `phase`; false when that was already scripted. */
  scriptFailure(serverId: string, phase: SimUpdatePhase): boolean {
    if (this.scripted.get(serverId) === phase) return false;
    this.scripted.set(serverId, phase);
    return true;
  }

  /** Jobs of the listed servers (those without any are listed empty), else of every server that got an update. */
  jobs(serverIds?: readonly string[]): Record<string, SimServerJobs> {
    const result: Record<string, SimServerJobs> = {};
    for (const serverId of serverIds ?? this.ledgers.keys()) {
      const ledger = this.ledgers.get(serverId);
      result[serverId] = { executed: ledger?.list() ?? [], duplicates: ledger?.duplicates ?? 0 };
    }
    return result;
  }

  stats(): SimUpdateStats {
    return { ...this.counts };
  }

  private ledger(serverId: string): AgentJobs {
    let ledger = this.ledgers.get(serverId);
    if (!ledger) this.ledgers.set(serverId, (ledger = new AgentJobs()));
    return ledger;
  }

  private update(serverId: string, command: AgentUpdateCommand): AgentCommandReply {
    const ledger = this.ledger(serverId);
    const decision = ledger.decideUpdate(command);
    if (!decision.run) {
      if (decision.duplicate) this.counts.duplicates++;
      return decision.reply;
    }
    const scriptedFailure = this.scripted.get(serverId);
    this.scripted.delete(serverId);
    const script = simUpdateScript({
      seed: this.options.seed,
      serverId,
      jobId: command.jobId,
      attempt: command.attempt,
      failsFirstAttempt: this.options.failing.has(serverId),
      scriptedFailure,
    });
    ledger.start(command, new Date());
    this.counts.started++;
    const run: RunningJob = { serverId, command, script, log: new JobLog(), stopped: false };
    this.running.set(serverId, run);
    run.log.add(
      `accepted job ${command.jobId} (task ${command.taskId}, attempt ${command.attempt}): ${describe(command.components)}`,
    );
    // Progress goes out through JetStream after this turn, so the reply is on the wire first.
    this.send(run, 'accepted');
    this.beginPhase(run, 0);
    return { ok: true, jobId: command.jobId };
  }

  private cancel(serverId: string, command: AgentCancelCommand): AgentCommandReply {
    const ledger = this.ledgers.get(serverId);
    if (!ledger) return { ok: false, error: `unknown job ${command.jobId}` };
    const decision = ledger.decideCancel(command);
    if (!decision.stop) return decision.reply;
    const run = this.running.get(serverId);
    if (run) {
      run.log.add('cancelled by the control plane');
      this.end(run, 'cancelled', { error: 'cancelled' });
    }
    return { ok: true, jobId: command.jobId };
  }

  private beginPhase(run: RunningJob, index: number): void {
    const phase = SIM_UPDATE_PHASES[index];
    const { command, script, serverId } = run;
    this.ledger(serverId).advance(command.jobId, phase);
    this.send(run, phase);
    const durationSec = script.durationsSec[phase];
    const timeoutSec = command.timeouts[TIMEOUT_OF[phase]];
    const endSec = Math.min(durationSec, timeoutSec);
    this.options.queue.at(this.options.queue.time() + (endSec * 1000) / this.options.speed, () => {
      if (run.stopped) return;
      if (durationSec > timeoutSec) {
        run.log.add(`E: ${phase} did not finish within ${timeoutSec} s`);
        this.end(run, 'failed', { error: `timed out while ${phase}` });
      } else if (script.failIn === phase) {
        this.fail(run, phase);
      } else {
        for (const line of phaseLines(phase, command.components, serverId)) run.log.add(line);
        if (index + 1 < SIM_UPDATE_PHASES.length) this.beginPhase(run, index + 1);
        else this.complete(run);
      }
    });
  }

  private complete(run: RunningJob): void {
    const { components } = run.command;
    this.end(run, 'completed', {
      versions: components.map(({ component, version }) => ({ component, version })),
      validation: { passed: true, detail: `functional check passed: ${describe(components)}` },
    });
    this.options.installed(run.serverId, components);
  }

  private fail(run: RunningJob, phase: SimUpdatePhase): void {
    const { component, version } = run.command.components[0];
    const failure = FAILURES[phase](component, version);
    run.log.add(failure.line);
    this.end(run, 'failed', {
      error: failure.error,
      ...(phase === 'validating' ? { validation: { passed: false, detail: failure.error } } : {}),
    });
  }

  private end(
    run: RunningJob,
    outcome: 'completed' | 'failed' | 'cancelled',
    extra: Partial<Pick<AgentProgressMessage, 'error' | 'versions' | 'validation'>>,
  ): void {
    run.stopped = true;
    this.running.delete(run.serverId);
    this.ledger(run.serverId).finish(run.command.jobId, outcome, new Date(), extra.error);
    if (outcome === 'completed') this.counts.completed++;
    else this.counts.failed++;
    this.send(run, outcome === 'completed' ? 'completed' : 'failed', extra);
  }

  private send(
    run: RunningJob,
    phase: UpdatePhase,
    extra: Partial<Pick<AgentProgressMessage, 'error' | 'versions' | 'validation'>> = {},
  ): void {
    this.options.emit({
      serverId: run.serverId,
      jobId: run.command.jobId,
      phase,
      sentAt: this.options.clock.now().toISOString(),
      ...extra,
      log: run.log.take(),
    });
  }
}

function describe(components: readonly Component[]): string {
  return components.map((c) => `${c.component} ${c.version}`).join(', ');
}

/** The log lines of a phase that went well. */
function phaseLines(phase: SimUpdatePhase, components: readonly Component[], serverId: string): string[] {
  return components.map(({ component, version }) => {
    switch (phase) {
      case 'downloading':
        return `downloaded ${component}-${version}.pkg (${20 + (hash32(component, version) % 900)} MB)`;
      case 'installing':
        return `installed ${component} ${version}`;
      case 'restarting':
        return `restarted the services of ${component} on ${serverId}`;
      case 'validating':
        return `functional check of ${component} ${version}: ok`;
    }
  });
}

/** How a scripted failure shows, per phase. */
const FAILURES: Record<SimUpdatePhase, (component: string, version: string) => { line: string; error: string }> = {
  downloading: (component, version) => ({
    line: `E: checksum mismatch for ${component}-${version}.pkg`,
    error: `download of ${component} ${version} failed: checksum mismatch`,
  }),
  installing: (component, version) => ({
    line: 'E: Sub-process /usr/bin/dpkg returned an error code (1)',
    error: `install of ${component} ${version} failed (exit code 100)`,
  }),
  restarting: (component) => ({
    line: `E: the services of ${component} did not come back after the restart`,
    error: `restart of ${component} failed`,
  }),
  validating: (component, version) => ({
    line: `E: functional check of ${component} ${version} failed: health endpoint answered 500`,
    error: `validation failed: functional check of ${component} ${version} answered 500`,
  }),
};
