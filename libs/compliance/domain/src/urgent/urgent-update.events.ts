import type { AffectedServers } from './urgent-update.commands';

/** Declared; every reseller in `resellers` is notified. */
export type UrgentUpdateDeclared = {
  type: 'UrgentUpdateDeclared';
  data: {
    urgentUpdateId: string;
    patches: string[];
    reason: string;
    resellers: AffectedServers[];
    by: string;
    at: string;
  };
};

export type UrgentUpdateServerPatched = {
  type: 'UrgentUpdateServerPatched';
  data: { urgentUpdateId: string; reseller: string; serverId: string; installedAt: string; at: string };
};

/** Every affected server of the reseller is patched. */
export type UrgentUpdateResellerCompleted = {
  type: 'UrgentUpdateResellerCompleted';
  data: { urgentUpdateId: string; reseller: string; at: string };
};

/** Every affected server of every reseller is patched. */
export type UrgentUpdateCompleted = { type: 'UrgentUpdateCompleted'; data: { urgentUpdateId: string; at: string } };

/** Every event of an urgent update stream (`urgent-update-<urgentUpdateId>`). */
export type UrgentUpdateEvent =
  UrgentUpdateDeclared | UrgentUpdateServerPatched | UrgentUpdateResellerCompleted | UrgentUpdateCompleted;
