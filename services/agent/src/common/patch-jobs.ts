import type { z } from 'zod';
import type { installPatchesCommandSchema } from '@fleetwarden/execution-contracts';
import type { AgentPatchReportMessage } from './agent-publisher';

/** An `install-patches` command of the control plane. */
export type AgentInstallPatchesCommand = z.output<typeof installPatchesCommandSchema>;

/** What one OS-patch install did, before it is reported. */
export interface PatchInstall {
  patches: string[];
  startedBy: AgentPatchReportMessage['startedBy'];
  kind: AgentPatchReportMessage['kind'];
  urgentUpdateId: string | null;
  /** The command's job id; null: installed outside the system. */
  taskId: string | null;
}

/** The report of an install that finished at `installedAt` (sent at `sentAt`, default the same instant). */
export function patchReport(
  serverId: string,
  install: PatchInstall,
  installedAt: Date,
  sentAt = installedAt,
): AgentPatchReportMessage {
  return {
    serverId,
    installedAt: installedAt.toISOString(),
    patches: install.patches,
    startedBy: install.startedBy,
    kind: install.kind,
    urgentUpdateId: install.urgentUpdateId,
    taskId: install.taskId,
    sentAt: sentAt.toISOString(),
  };
}

/** The install an `install-patches` command asks for (`taskId` = its job id). */
export function installOf(command: AgentInstallPatchesCommand): PatchInstall {
  return {
    patches: command.patches,
    startedBy: command.startedBy,
    kind: command.kind,
    urgentUpdateId: command.urgentUpdateId,
    taskId: command.jobId,
  };
}

/**
 * The `install-patches` job ids one agent has taken: a job id is installed at most once (a
 * redelivery is answered again, not installed again). The newest `keep` ids are remembered.
 */
export class PatchJobLedger {
  private readonly seen = new Set<string>();
  private duplicateCount = 0;

  constructor(private readonly keep = 1000) {}

  /** True the first time a job id is given (it is then remembered), false for a redelivery. */
  take(jobId: string): boolean {
    if (this.seen.has(jobId)) {
      this.duplicateCount++;
      return false;
    }
    this.seen.add(jobId);
    if (this.seen.size > this.keep) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }

  /** Forgets a job id (its install could not start: a redelivery may try again). */
  forget(jobId: string): void {
    this.seen.delete(jobId);
  }

  has(jobId: string): boolean {
    return this.seen.has(jobId);
  }

  /** Redeliveries answered without installing. */
  get duplicates(): number {
    return this.duplicateCount;
  }
}
