import type { LoggerService } from '@nestjs/common';
import type { Clock } from '@fleetwarden/shared-domain';
import type { AgentCommandReply } from '../common/agent-jobs';
import type { AgentPatchReportMessage } from '../common/agent-publisher';
import {
  installOf,
  patchReport,
  PatchJobLedger,
  type AgentInstallPatchesCommand,
  type PatchInstall,
} from '../common/patch-jobs';
import type { FleetModel } from './fleet-data';
import { simInitialPatchInstall, simPatchList } from './patch-data';
import type { TimerQueue } from './timer-queue';

const LOG_CONTEXT = 'fleet-patches';

/** What `install-patches` (the sim control action) asks the listed servers to report. */
export interface SimPatchInstallRequest {
  /** Default: a generated list per server. */
  patches?: string[];
  startedBy: PatchInstall['startedBy'];
  kind: PatchInstall['kind'];
  urgentUpdateId: string | null;
  /** Default: the sim clock's now. */
  installedAt?: Date;
}

/** One server's last OS-patch install as the simulator knows it (`patch-history`). */
export interface SimPatchHistoryEntry {
  serverId: string;
  /** ISO; the latest install reported (or still to be reported) by the server. */
  lastInstalledAt: string;
  hostingProvider: 'operator' | 'partner';
  /** The reseller's id. */
  reseller: string;
}

/** The OS-patch side of a simulator, driven by the `install-patches` and `patch-history` actions. */
export interface SimPatchControl {
  /** The simulator's clock now. */
  simNow(): Date;
  /** The first `count` servers of the fleet, in fleet order. */
  firstServerIds(count: number): string[];
  /** The server reports an install now (or when it comes back online); false when unknown. */
  installPatches(serverId: string, request: SimPatchInstallRequest): boolean;
  /** The listed servers (default every one), in fleet order when unlisted. */
  patchHistory(serverIds?: readonly string[]): SimPatchHistoryEntry[];
}

export function isSimPatchControl(value: object): value is SimPatchControl {
  const v = value as Partial<SimPatchControl>;
  return typeof v.installPatches === 'function' && typeof v.patchHistory === 'function';
}

export interface SimPatchesOptions {
  fleet: FleetModel;
  clock: Clock;
  /** How many times faster than real time `clock` runs. */
  speed: number;
  queue: TimerQueue;
  /** Stores one report in JetStream (resolves on the stream's ack). */
  publish(report: AgentPatchReportMessage): Promise<void>;
  /** The server is online now (an offline one holds its reports until it comes back). */
  online(serverId: string): boolean;
  logger: LoggerService;
  /** Reports being stored at once (default 256). */
  concurrency?: number;
  /** Clock seconds an `install-patches` command takes (default 5). */
  installSec?: number;
}

/** Counts of the OS-patch reports of a simulator. */
export interface SimPatchStats {
  /** Reports given to JetStream and acked. */
  stored: number;
  /** Reports dropped (the publisher was closed first, or they broke the contract). */
  dropped: number;
  /** Reports waiting for a publish slot or for their server to come back. */
  waiting: number;
  /** `install-patches` commands installed / redeliveries ignored. */
  commands: number;
  duplicates: number;
  /** Real ms from the start until every initial report was stored (once they all were). */
  initialStoredMs?: number;
}

/**
 * The OS patches of a simulated fleet. Each server's last install lies 0-150 days before the
 * start ({@link simInitialPatchInstall}); after its first hello it reports that install (`taskId`
 * null, by the reseller). `install-patches` commands take `installSec` clock seconds and are
 * reported with `taskId` = job id; the control action reports installs at once. Reports go
 * through JetStream with at most `concurrency` awaiting their ack.
 */
export class SimPatches {
  /** Epoch ms of each server's last install, by 1-based index (NaN: not known yet). */
  private readonly lastInstalled: Float64Array;
  private readonly ledgers = new Map<string, PatchJobLedger>();
  private readonly held = new Map<string, AgentPatchReportMessage[]>();
  private readonly ready: Array<{ report: AgentPatchReportMessage; initial: boolean }> = [];
  private readyHead = 0;
  private inFlight = 0;
  private readonly concurrency: number;
  private startMs = Number.NaN;
  private startedAtReal = 0;
  private initialLeft: number;
  private readonly counts = { stored: 0, dropped: 0, commands: 0, duplicates: 0 };
  private initialStoredMs: number | undefined;
  private readonly initialStored: Promise<void>;
  private resolveInitialStored!: () => void;
  private closed = false;

  constructor(private readonly options: SimPatchesOptions) {
    this.concurrency = options.concurrency ?? 256;
    if (!Number.isSafeInteger(this.concurrency) || this.concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${options.concurrency}`);
    }
    this.lastInstalled = new Float64Array(options.fleet.size + 1).fill(Number.NaN);
    this.initialLeft = options.fleet.size;
    this.initialStored = new Promise((resolve) => (this.resolveInitialStored = resolve));
  }

  /** Fixes the initial installs relative to the clock now. */
  start(): void {
    this.startMs = this.options.clock.now().getTime();
    this.startedAtReal = performance.now();
    for (let i = 1; i <= this.options.fleet.size; i++) {
      this.lastInstalled[i] = this.startMs - simInitialPatchInstall(this.options.fleet.spec.seed, i).ageMs;
    }
  }

  /** Stops publishing: reports not yet given to JetStream are dropped. */
  close(): void {
    this.closed = true;
  }

  /** Resolves once every server's initial report was stored. */
  whenInitialStored(): Promise<void> {
    return this.initialStored;
  }

  stats(): SimPatchStats {
    let held = 0;
    for (const list of this.held.values()) held += list.length;
    return {
      ...this.counts,
      waiting: this.ready.length - this.readyHead + held,
      ...(this.initialStoredMs !== undefined ? { initialStoredMs: this.initialStoredMs } : {}),
    };
  }

  /** The server said hello for the first time: it reports its last install. */
  firstHello(index: number, serverId: string): void {
    const { seed } = this.options.fleet.spec;
    const initial = simInitialPatchInstall(seed, index);
    const report = patchReport(
      serverId,
      { patches: initial.patches, startedBy: 'reseller', kind: 'regular', urgentUpdateId: null, taskId: null },
      new Date(this.startMs - initial.ageMs),
      this.options.clock.now(),
    );
    this.enqueue(report, true);
  }

  /** The server is back online: it sends the reports it held. */
  resumed(serverId: string): void {
    const held = this.held.get(serverId);
    if (!held) return;
    this.held.delete(serverId);
    for (const report of held) this.enqueue(report);
  }

  /** An `install-patches` command of an online server. */
  command(serverId: string, command: AgentInstallPatchesCommand): AgentCommandReply {
    let ledger = this.ledgers.get(serverId);
    if (!ledger) this.ledgers.set(serverId, (ledger = new PatchJobLedger()));
    if (!ledger.take(command.jobId)) {
      this.counts.duplicates++;
      return { ok: true, jobId: command.jobId };
    }
    this.counts.commands++;
    const install = installOf(command);
    const delayMs = ((this.options.installSec ?? 5) * 1000) / this.options.speed;
    this.options.queue.at(this.options.queue.time() + delayMs, () => {
      const now = this.options.clock.now();
      this.emit(patchReport(serverId, install, now, now));
    });
    return { ok: true, jobId: command.jobId };
  }

  /** The control action: the server reports an install (taskId null) at `installedAt`, default now. */
  install(serverId: string, request: SimPatchInstallRequest): boolean {
    const index = this.options.fleet.indexOf(serverId);
    if (index === undefined) return false;
    const now = this.options.clock.now();
    const installedAt = request.installedAt ?? now;
    const patches = request.patches ?? simPatchList(this.options.fleet.spec.seed, serverId, installedAt.getTime());
    const { startedBy, kind, urgentUpdateId } = request;
    this.emit(patchReport(serverId, { patches, startedBy, kind, urgentUpdateId, taskId: null }, installedAt, now));
    return true;
  }

  history(serverIds?: readonly string[]): SimPatchHistoryEntry[] {
    const { fleet } = this.options;
    const indexes = serverIds
      ? serverIds.map((id) => fleet.indexOf(id)).filter((i): i is number => i !== undefined)
      : Array.from({ length: fleet.size }, (_, i) => i + 1);
    return indexes.map((index) => {
      const profile = fleet.server(index);
      return {
        serverId: profile.serverId,
        lastInstalledAt: new Date(this.lastInstalled[index]).toISOString(),
        hostingProvider: profile.hostingProvider,
        reseller: profile.reseller.id,
      };
    });
  }

  private emit(report: AgentPatchReportMessage): void {
    const index = this.options.fleet.indexOf(report.serverId);
    if (index === undefined) return;
    const at = Date.parse(report.installedAt);
    if (!(this.lastInstalled[index] >= at)) this.lastInstalled[index] = at;
    if (this.options.online(report.serverId)) this.enqueue(report);
    else {
      let held = this.held.get(report.serverId);
      if (!held) this.held.set(report.serverId, (held = []));
      held.push(report);
    }
  }

  private enqueue(report: AgentPatchReportMessage, initial = false): void {
    this.ready.push({ report, initial });
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.inFlight < this.concurrency && this.readyHead < this.ready.length) {
      const { report, initial } = this.ready[this.readyHead++];
      if (this.readyHead > 4096 && this.readyHead * 2 > this.ready.length) {
        this.ready.splice(0, this.readyHead);
        this.readyHead = 0;
      }
      this.inFlight++;
      void this.options
        .publish(report)
        .then(
          () => {
            this.counts.stored++;
            if (initial) this.initialDone();
          },
          (err: unknown) => {
            if (this.counts.dropped++ % 1000 === 0) {
              this.options.logger.error(
                `patch report ${report.serverId}:${report.installedAt} dropped (${this.counts.dropped} so far): ` +
                  `${(err as Error)?.message ?? String(err)}`,
                LOG_CONTEXT,
              );
            }
          },
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  private initialDone(): void {
    if (--this.initialLeft > 0) return;
    this.initialStoredMs = performance.now() - this.startedAtReal;
    this.options.logger.log(
      `all ${this.options.fleet.size} initial patch reports stored ${Math.round(this.initialStoredMs)} ms after the start`,
      LOG_CONTEXT,
    );
    this.resolveInitialStored();
  }
}
