import type {
  Money,
  PatchInstallKind,
  PatchInstallSource,
  PatchInstallStarter,
  ResolvedServer,
} from '../compliance.types';
import type { PatchApprovals } from '../batch/patch-approval';

/**
 * OS updates were installed on a server (reported by its agent, or recorded by operations).
 * `timeZone` is the operator's, for the day count; `breachCharge` the configured charge for an
 * operations install on a breached server. `resolved.approvals` holds the patches approved for
 * customer servers and since when (approved batches and declared urgent updates).
 */
export type RecordPatchInstall = {
  type: 'RecordPatchInstall';
  data: {
    serverId: string;
    installedAt: string;
    patches: string[];
    startedBy: PatchInstallStarter;
    kind: PatchInstallKind;
    /** Required for `urgent` installs, null otherwise. */
    urgentUpdateId: string | null;
    source: PatchInstallSource;
    now: string;
    timeZone: string;
    breachCharge: Money;
  };
  resolved: ResolvedServer & { approvals: PatchApprovals };
};

/**
 * Periodic check of the server's counter at `now` (day boundaries in `timeZone`): alerts at 60
 * days, breaches and hands over to operations at 120, each once per alert cycle.
 */
export type EvaluateCompliance = {
  type: 'Evaluate';
  data: { serverId: string; now: string; timeZone: string };
  resolved: ResolvedServer;
};

/** Operations patches the server at once because it harms other customers or the shared infrastructure. */
export type RecordEmergencyUpdate = {
  type: 'RecordEmergencyUpdate';
  data: {
    serverId: string;
    emergencyUpdateId: string;
    patches: string[];
    reason: string;
    by: string;
    now: string;
  };
  resolved: ResolvedServer;
};

export type ServerComplianceCommand = RecordPatchInstall | EvaluateCompliance | RecordEmergencyUpdate;
