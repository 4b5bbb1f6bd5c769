import type {
  HostingProvider,
  Money,
  PatchInstallKind,
  PatchInstallSource,
  PatchInstallStarter,
} from '../compliance.types';

/** OS updates were installed on the server: resets its counter to day 1 and starts a new alert cycle. */
export type PatchesInstalled = {
  type: 'PatchesInstalled';
  data: {
    serverId: string;
    reseller: string;
    hostingProvider: HostingProvider;
    installedAt: string;
    patches: string[];
    startedBy: PatchInstallStarter;
    kind: PatchInstallKind;
    /** The urgent update it belongs to; null unless `kind` is `urgent`. */
    urgentUpdateId: string | null;
    source: PatchInstallSource;
    /** Some of the patches were not approved for customer servers when installed (see `UnapprovedPatchFlagged`). */
    outsideApproval: boolean;
  };
};

/** Data of the alert, the breach and the operations take-over of one alert cycle. */
export type ComplianceThresholdData = {
  serverId: string;
  reseller: string;
  /** Null: no install known. */
  daysSinceLastUpdate: number | null;
  lastInstalledAt: string | null;
  at: string;
};

/** 60 days without updates: the reseller is alerted (once per alert cycle). */
export type ComplianceAlerted = { type: 'ComplianceAlerted'; data: ComplianceThresholdData };

/** 120 days without updates: the policy is breached (once per alert cycle). */
export type ComplianceBreached = { type: 'ComplianceBreached'; data: ComplianceThresholdData };

/** Operations takes over a breached server: an OS-patch task by operations is to be scheduled. */
export type OperationsPatchScheduled = { type: 'OperationsPatchScheduled'; data: ComplianceThresholdData };

/** The reseller is charged: operations installed the updates of a breached server. */
export type ChargeRecorded = {
  type: 'ChargeRecorded';
  data: {
    serverId: string;
    reseller: string;
    amount: Money;
    reason: string;
    /** Days without updates when operations installed them; null: no earlier install known. */
    daysSinceLastUpdate: number | null;
    installedAt: string;
    at: string;
  };
};

/** An agent reported patches installed outside the system that were not approved for customer servers. */
export type UnapprovedPatchFlagged = {
  type: 'UnapprovedPatchFlagged';
  data: { serverId: string; reseller: string; patches: string[]; installedAt: string; at: string };
};

/** Operations patches a server that harms others at once, without the reseller's answer; the reseller is notified. */
export type EmergencyUpdateRecorded = {
  type: 'EmergencyUpdateRecorded';
  data: {
    serverId: string;
    reseller: string;
    emergencyUpdateId: string;
    patches: string[];
    reason: string;
    by: string;
    at: string;
  };
};

/** Every event of a server's compliance stream (`compliance-<serverId>`). */
export type ServerComplianceEvent =
  | PatchesInstalled
  | ComplianceAlerted
  | ComplianceBreached
  | OperationsPatchScheduled
  | ChargeRecorded
  | UnapprovedPatchFlagged
  | EmergencyUpdateRecorded;
