import { registerEnumType } from '@nestjs/graphql';

/** A server's patch compliance (values as the read model computes them). */
export enum ComplianceState {
  OK = 'ok',
  ALERTED = 'alerted',
  BREACHED = 'breached',
}

/** Where a patch batch is in the approval cycle (values as stored). */
export enum PatchBatchState {
  DOWNLOADED = 'downloaded',
  PILOTED = 'piloted',
  APPROVED = 'approved',
}

/** Who started an OS-patch install (values as in the commands). */
export enum PatchInstallStarter {
  RESELLER = 'reseller',
  AUTOMATED = 'automated',
  OPERATIONS = 'operations',
}

/** Why an OS-patch install happened (values as in the commands). */
export enum PatchInstallKind {
  REGULAR = 'regular',
  URGENT = 'urgent',
  EMERGENCY = 'emergency',
}

registerEnumType(ComplianceState, {
  name: 'ComplianceState',
  description:
    "OK below 60 days without OS updates (operator's local calendar days), ALERTED from 60, BREACHED from 120 or " +
    'when no install is known.',
});
registerEnumType(PatchBatchState, {
  name: 'PatchBatchState',
  description:
    'DOWNLOADED: operations took the patches; PILOTED: installed on internal servers and watched for 14 days; ' +
    'APPROVED: may be installed on customer servers.',
});
registerEnumType(PatchInstallStarter, {
  name: 'PatchInstallStarter',
  description: 'Who started the install: the reseller, its automated updates, or operations.',
});
registerEnumType(PatchInstallKind, {
  name: 'PatchInstallKind',
  description:
    'REGULAR (scheduled or manual), URGENT (for an urgent update operations declared; never charged), ' +
    'EMERGENCY (operations patched a server harming others; never charged).',
});
