import { assertNever, type Decider } from '@fleetwarden/shared-domain';
import { idMismatch, noPatches, unknownUrgentUpdate, urgentUpdateConflict } from '../compliance.errors';
import { parseInstant } from '../counter/compliance-counter';
import type {
  AffectedServers,
  DeclareUrgentUpdate,
  RecordUrgentUpdateInstall,
  UrgentUpdateCommand,
} from './urgent-update.commands';
import type { UrgentUpdateEvent } from './urgent-update.events';

/** Progress of one reseller. */
export interface UrgentResellerProgress {
  reseller: string;
  serverIds: string[];
  patchedServerIds: string[];
  completedAt: string | null;
}

export interface UrgentUpdateState {
  exists: boolean;
  urgentUpdateId: string;
  patches: string[];
  reason: string;
  declaredAt: string | null;
  resellers: UrgentResellerProgress[];
  completedAt: string | null;
}

export function initialUrgentUpdateState(): UrgentUpdateState {
  return {
    exists: false,
    urgentUpdateId: '',
    patches: [],
    reason: '',
    declaredAt: null,
    resellers: [],
    completedAt: null,
  };
}

export function decideUrgentUpdate(command: UrgentUpdateCommand, state: UrgentUpdateState): UrgentUpdateEvent[] {
  const { urgentUpdateId, now } = command.data;
  if (state.exists && state.urgentUpdateId !== urgentUpdateId) {
    throw idMismatch('urgent update', state.urgentUpdateId, urgentUpdateId);
  }
  parseInstant('now', now);
  switch (command.type) {
    case 'DeclareUrgentUpdate':
      return declare(command, state);
    case 'RecordUrgentUpdateInstall':
      return recordInstall(command, state);
    default:
      return assertNever(command, 'urgent update command');
  }
}

/** A repeated declaration with the same patches changes nothing; with others it is refused. */
function declare(command: DeclareUrgentUpdate, state: UrgentUpdateState): UrgentUpdateEvent[] {
  const { urgentUpdateId, reason, by, now } = command.data;
  const patches = [...new Set(command.data.patches)];
  if (patches.length === 0) throw noPatches(`Urgent update ${urgentUpdateId}`);
  if (state.exists) {
    if (patches.length === state.patches.length && patches.every((p) => state.patches.includes(p))) return [];
    throw urgentUpdateConflict(urgentUpdateId);
  }
  const resellers = mergeAffected(command.resolved.affected);
  const events: UrgentUpdateEvent[] = [
    { type: 'UrgentUpdateDeclared', data: { urgentUpdateId, patches, reason, resellers, by, at: now } },
  ];
  if (resellers.length === 0) events.push({ type: 'UrgentUpdateCompleted', data: { urgentUpdateId, at: now } });
  return events;
}

/** Installs on servers the update does not concern, or already counted, change nothing. */
function recordInstall(command: RecordUrgentUpdateInstall, state: UrgentUpdateState): UrgentUpdateEvent[] {
  const { urgentUpdateId, serverId, installedAt, now } = command.data;
  if (!state.exists) throw unknownUrgentUpdate(urgentUpdateId);
  parseInstant('installedAt', installedAt);
  const progress = state.resellers.find((r) => r.serverIds.includes(serverId));
  if (progress === undefined || progress.patchedServerIds.includes(serverId)) return [];
  const { reseller } = progress;
  const events: UrgentUpdateEvent[] = [
    { type: 'UrgentUpdateServerPatched', data: { urgentUpdateId, reseller, serverId, installedAt, at: now } },
  ];
  if (progress.patchedServerIds.length + 1 === progress.serverIds.length) {
    events.push({ type: 'UrgentUpdateResellerCompleted', data: { urgentUpdateId, reseller, at: now } });
    if (state.resellers.every((r) => r.reseller === reseller || r.completedAt !== null)) {
      events.push({ type: 'UrgentUpdateCompleted', data: { urgentUpdateId, at: now } });
    }
  }
  return events;
}

/** One entry per reseller, each server once (under the first reseller naming it), none empty. */
function mergeAffected(affected: readonly AffectedServers[]): AffectedServers[] {
  const byReseller = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const { reseller, serverIds } of affected) {
    const servers = byReseller.get(reseller) ?? [];
    for (const serverId of serverIds) {
      if (seen.has(serverId)) continue;
      seen.add(serverId);
      servers.push(serverId);
    }
    byReseller.set(reseller, servers);
  }
  return [...byReseller]
    .filter(([, serverIds]) => serverIds.length > 0)
    .map(([reseller, serverIds]) => ({ reseller, serverIds }));
}

export function evolveUrgentUpdate(state: UrgentUpdateState, event: UrgentUpdateEvent): UrgentUpdateState {
  switch (event.type) {
    case 'UrgentUpdateDeclared': {
      const { urgentUpdateId, patches, reason, resellers, at } = event.data;
      return {
        ...state,
        exists: true,
        urgentUpdateId,
        patches: [...patches],
        reason,
        declaredAt: at,
        resellers: resellers.map((r) => ({
          reseller: r.reseller,
          serverIds: [...r.serverIds],
          patchedServerIds: [],
          completedAt: null,
        })),
      };
    }
    case 'UrgentUpdateServerPatched': {
      const { reseller, serverId } = event.data;
      return withReseller(state, reseller, (r) => ({ ...r, patchedServerIds: [...r.patchedServerIds, serverId] }));
    }
    case 'UrgentUpdateResellerCompleted':
      return withReseller(state, event.data.reseller, (r) => ({ ...r, completedAt: event.data.at }));
    case 'UrgentUpdateCompleted':
      return { ...state, completedAt: event.data.at };
    default:
      return assertNever(event, 'urgent update event');
  }
}

function withReseller(
  state: UrgentUpdateState,
  reseller: string,
  change: (progress: UrgentResellerProgress) => UrgentResellerProgress,
): UrgentUpdateState {
  return { ...state, resellers: state.resellers.map((r) => (r.reseller === reseller ? change(r) : r)) };
}

/**
 * One urgent update (`urgent-update-<urgentUpdateId>`): declared by operations for the resellers
 * with affected servers, progress tracked per reseller until every affected server is patched.
 * Urgent installs reset a server's counter but never carry a charge (see the server decider).
 */
export const urgentUpdateDecider: Decider<UrgentUpdateCommand, UrgentUpdateEvent, UrgentUpdateState> = {
  decide: decideUrgentUpdate,
  evolve: evolveUrgentUpdate,
  initialState: initialUrgentUpdateState,
};
