import { assertNever, type Decider } from '@fleetwarden/shared-domain';
import {
  futureInstall,
  idMismatch,
  invalidAmount,
  invalidInstall,
  noPatches,
  unapprovedPatch,
  unknownServer,
} from '../compliance.errors';
import {
  BREACH_AFTER_DAYS,
  type HostingProvider,
  type Money,
  type PatchInstallKind,
  type PatchInstallSource,
  type PatchInstallStarter,
} from '../compliance.types';
import { isApproved } from '../batch/patch-approval';
import { assertTimeZone, complianceOf, parseInstant, type ComplianceStatus } from '../counter/compliance-counter';
import type {
  EvaluateCompliance,
  RecordEmergencyUpdate,
  RecordPatchInstall,
  ServerComplianceCommand,
} from './server-compliance.commands';
import type { ChargeRecorded, ServerComplianceEvent } from './server-compliance.events';

/** One charge recorded against the server's reseller. */
export type Charge = Omit<ChargeRecorded['data'], 'serverId'>;

export interface ServerComplianceState {
  /** True once the stream has an event. */
  exists: boolean;
  serverId: string;
  /** As of the last event that named them. */
  reseller: string | null;
  hostingProvider: HostingProvider | null;
  /** The latest install; null: none known. */
  lastInstalledAt: string | null;
  lastInstall: {
    patches: string[];
    startedBy: PatchInstallStarter;
    kind: PatchInstallKind;
    urgentUpdateId: string | null;
    source: PatchInstallSource;
  } | null;
  installCount: number;
  /** Alert cycle since the last install: alerted at 60 days, breached at 120, operations took over. */
  alerted: boolean;
  breached: boolean;
  operationsPatchScheduled: boolean;
  charges: Charge[];
  /** Installs that brought patches not approved for customer servers. */
  unapprovedInstalls: number;
  emergencyUpdateIds: string[];
  /** Patches named by the server's emergency updates: its emergency installs may carry them unapproved. */
  emergencyPatches: string[];
}

type KnownServer = { reseller: string; hostingProvider: HostingProvider };

export function initialServerComplianceState(): ServerComplianceState {
  return {
    exists: false,
    serverId: '',
    reseller: null,
    hostingProvider: null,
    lastInstalledAt: null,
    lastInstall: null,
    installCount: 0,
    alerted: false,
    breached: false,
    operationsPatchScheduled: false,
    charges: [],
    unapprovedInstalls: 0,
    emergencyUpdateIds: [],
    emergencyPatches: [],
  };
}

export function decideServerCompliance(
  command: ServerComplianceCommand,
  state: ServerComplianceState,
): ServerComplianceEvent[] {
  const { serverId } = command.data;
  if (state.exists && state.serverId !== serverId) throw idMismatch('server', state.serverId, serverId);
  const resolved = command.resolved;
  if (!resolved.serverKnown) throw unknownServer(serverId);
  const server: KnownServer = { reseller: resolved.reseller, hostingProvider: resolved.hostingProvider };
  switch (command.type) {
    case 'RecordPatchInstall':
      return recordInstall(command, state, server);
    case 'Evaluate':
      return evaluate(command, state, server);
    case 'RecordEmergencyUpdate':
      return recordEmergencyUpdate(command, state, server);
    default:
      return assertNever(command, 'server compliance command');
  }
}

/**
 * Any install resets the counter. Installs at or before the latest known one change nothing
 * (a redelivered or late report). A `regular` install by operations on a breached,
 * operator-hosted server records one charge; urgent and emergency installs never do.
 */
function recordInstall(
  command: RecordPatchInstall,
  state: ServerComplianceState,
  server: KnownServer,
): ServerComplianceEvent[] {
  const d = command.data;
  const nowMs = parseInstant('now', d.now);
  const installedMs = parseInstant('installedAt', d.installedAt);
  assertTimeZone(d.timeZone);
  assertMoney('breachCharge', d.breachCharge);
  if (installedMs > nowMs) throw futureInstall(d.installedAt, d.now);
  const patches = unique(d.patches);
  if (patches.length === 0) throw noPatches('The install');
  if ((d.kind === 'urgent') !== (d.urgentUpdateId !== null)) {
    throw invalidInstall('an urgent install names its urgent update, no other install does', {
      kind: d.kind,
      urgentUpdateId: d.urgentUpdateId,
    });
  }
  if (state.lastInstalledAt !== null && installedMs <= Date.parse(state.lastInstalledAt)) return [];
  // Operations may install, on an emergency, the patches it named for this server without approval.
  const unapproved = patches.filter(
    (patch) =>
      !isApproved(patch, command.resolved.approvals, d.installedAt) &&
      !(d.kind === 'emergency' && state.emergencyPatches.includes(patch)),
  );
  if (unapproved.length > 0 && d.source === 'system') throw unapprovedPatch(d.serverId, unapproved);

  const { serverId } = d;
  const { reseller } = server;
  const events: ServerComplianceEvent[] = [
    {
      type: 'PatchesInstalled',
      data: {
        serverId,
        reseller,
        hostingProvider: server.hostingProvider,
        installedAt: d.installedAt,
        patches,
        startedBy: d.startedBy,
        kind: d.kind,
        urgentUpdateId: d.urgentUpdateId,
        source: d.source,
        outsideApproval: unapproved.length > 0,
      },
    },
  ];
  if (unapproved.length > 0) {
    events.push({
      type: 'UnapprovedPatchFlagged',
      data: { serverId, reseller, patches: unapproved, installedAt: d.installedAt, at: d.now },
    });
  }
  if (server.hostingProvider === 'operator' && d.startedBy === 'operations' && d.kind === 'regular') {
    const before = complianceOf(state.lastInstalledAt, d.installedAt, d.timeZone);
    if (before.state === 'breached') {
      events.push({
        type: 'ChargeRecorded',
        data: {
          serverId,
          reseller,
          amount: { value: d.breachCharge.value, currency: d.breachCharge.currency },
          reason: chargeReason(before),
          daysSinceLastUpdate: before.daysSinceLastUpdate,
          installedAt: d.installedAt,
          at: d.now,
        },
      });
    }
  }
  return events;
}

function chargeReason(before: ComplianceStatus): string {
  return before.daysSinceLastUpdate === null
    ? 'operations installed the OS updates of a server without any known install'
    : `operations installed the OS updates ${before.daysSinceLastUpdate} days after the last install (breached from ${BREACH_AFTER_DAYS})`;
}

/**
 * Alerts once the counter reaches 60 days, breaches and hands the server to operations at 120,
 * each once per alert cycle (all due ones at once when evaluations were missed). Partner-hosted
 * servers, and a `now` before the last install (a lagging clock), change nothing.
 */
function evaluate(
  command: EvaluateCompliance,
  state: ServerComplianceState,
  server: KnownServer,
): ServerComplianceEvent[] {
  const { serverId, now, timeZone } = command.data;
  const nowMs = parseInstant('now', now);
  assertTimeZone(timeZone);
  if (server.hostingProvider !== 'operator') return [];
  if (state.lastInstalledAt !== null && Date.parse(state.lastInstalledAt) > nowMs) return [];
  const status = complianceOf(state.lastInstalledAt, now, timeZone);
  const data = {
    serverId,
    reseller: server.reseller,
    daysSinceLastUpdate: status.daysSinceLastUpdate,
    lastInstalledAt: state.lastInstalledAt,
    at: now,
  };
  const events: ServerComplianceEvent[] = [];
  if (status.state !== 'ok' && !state.alerted) events.push({ type: 'ComplianceAlerted', data: { ...data } });
  if (status.state === 'breached') {
    if (!state.breached) events.push({ type: 'ComplianceBreached', data: { ...data } });
    if (!state.operationsPatchScheduled) events.push({ type: 'OperationsPatchScheduled', data: { ...data } });
  }
  return events;
}

function recordEmergencyUpdate(
  command: RecordEmergencyUpdate,
  state: ServerComplianceState,
  server: KnownServer,
): ServerComplianceEvent[] {
  const { serverId, emergencyUpdateId, reason, by, now } = command.data;
  parseInstant('now', now);
  const patches = unique(command.data.patches);
  if (patches.length === 0) throw noPatches('The emergency update');
  if (state.emergencyUpdateIds.includes(emergencyUpdateId)) return [];
  return [
    {
      type: 'EmergencyUpdateRecorded',
      data: { serverId, reseller: server.reseller, emergencyUpdateId, patches, reason, by, at: now },
    },
  ];
}

export function evolveServerCompliance(
  state: ServerComplianceState,
  event: ServerComplianceEvent,
): ServerComplianceState {
  const base = { ...state, exists: true, serverId: event.data.serverId, reseller: event.data.reseller };
  switch (event.type) {
    case 'PatchesInstalled': {
      const { installedAt, hostingProvider, patches, startedBy, kind, urgentUpdateId, source } = event.data;
      return {
        ...base,
        hostingProvider,
        lastInstalledAt: installedAt,
        lastInstall: { patches: [...patches], startedBy, kind, urgentUpdateId, source },
        installCount: state.installCount + 1,
        alerted: false,
        breached: false,
        operationsPatchScheduled: false,
      };
    }
    case 'ComplianceAlerted':
      return { ...base, alerted: true };
    case 'ComplianceBreached':
      return { ...base, breached: true };
    case 'OperationsPatchScheduled':
      return { ...base, operationsPatchScheduled: true };
    case 'ChargeRecorded': {
      const { serverId: _serverId, amount, ...charge } = event.data;
      return { ...base, charges: [...state.charges, { ...charge, amount: { ...amount } }] };
    }
    case 'UnapprovedPatchFlagged':
      return { ...base, unapprovedInstalls: state.unapprovedInstalls + 1 };
    case 'EmergencyUpdateRecorded':
      return {
        ...base,
        emergencyUpdateIds: [...state.emergencyUpdateIds, event.data.emergencyUpdateId],
        emergencyPatches: [...new Set([...state.emergencyPatches, ...event.data.patches])],
      };
    default:
      return assertNever(event, 'server compliance event');
  }
}

/**
 * The counter of a server's stream at `now`; null for a partner-hosted server (not subject to the
 * policy) or one whose host is not known yet.
 */
export function serverComplianceOf(
  state: ServerComplianceState,
  now: string,
  timeZone: string,
): ComplianceStatus | null {
  if (state.hostingProvider !== 'operator') return null;
  return complianceOf(state.lastInstalledAt, now, timeZone);
}

/** Sum of the charges recorded against the server (all in USD cents). */
export function chargedTotal(state: ServerComplianceState): Money {
  return { value: state.charges.reduce((sum, c) => sum + c.amount.value, 0), currency: 'USD' };
}

/** Throws `COMPLIANCE.INVALID_AMOUNT` unless `amount` is a non-negative integer of cents in USD. */
export function assertMoney(field: string, amount: Money): void {
  const ok =
    amount !== null &&
    typeof amount === 'object' &&
    Number.isSafeInteger(amount.value) &&
    amount.value >= 0 &&
    amount.currency === 'USD';
  if (!ok) throw invalidAmount(field, amount);
}

const unique = (values: readonly string[]): string[] => [...new Set(values)];

/**
 * Patch compliance of one server (`compliance-<serverId>`): its OS-patch installs, the 60/120-day
 * alert cycle, the operations take-over and the charge, flagged unapproved patches, emergency
 * updates. The counter itself is {@link complianceOf} of `lastInstalledAt`.
 */
export const serverComplianceDecider: Decider<ServerComplianceCommand, ServerComplianceEvent, ServerComplianceState> = {
  decide: decideServerCompliance,
  evolve: evolveServerCompliance,
  initialState: initialServerComplianceState,
};
