import { z } from 'zod';
import { formatPath } from '@fleetwarden/contracts';
import {
  idSchema as complianceIdSchema,
  isoDateTimeSchema,
  patchInstallKindSchema,
  patchInstallStarterSchema,
  patchListSchema,
} from '@fleetwarden/compliance-contracts';
import { idSchema } from '@fleetwarden/inventory-contracts';
import { REPLICATION_STATES } from '@fleetwarden/redundancy-contracts';
import { SIM_REDUNDANCY_SERVICES } from '../pair-member';
import { isSimHaCheckControl, type SimHaCheckControl } from '../sim-ha-check';
import { isSimPatchControl, type SimPatchControl, type SimPatchHistoryEntry } from '../sim-patches';
import type { SimPairView } from '../sim-pairs';
import { SIM_UPDATE_PHASES } from '../update-script';
import type { SimServerJobs, SimulatorControl } from './simulator-control';

/**
 * What an action did: how many servers changed state (or, for `jobs`, are listed), the ids this
 * simulator does not run, and what a query action returns.
 */
export interface SimActionResult {
  affected: number;
  unknownServerIds?: string[];
  /** `jobs`: per server id, the update jobs it executed and the redeliveries it ignored. */
  jobs?: Record<string, SimServerJobs>;
  /** Pair actions: listed servers this simulator runs that are in no pair. */
  notPairMembers?: string[];
  /** `pairs`: per pair id, its members' state and the control requests they received. */
  pairs?: Record<string, SimPairView>;
  /** `pairs`: listed pair ids this simulator does not run. */
  unknownPairIds?: string[];
  /** `install-patches`: the servers that report the install. */
  serverIds?: string[];
  /** `install-patches`: when the install happened (ISO). */
  installedAt?: string;
  /** `patch-history`: each server's last OS-patch install. */
  patchHistory?: SimPatchHistoryEntry[];
}

/** Reply to a control request (when it has a reply subject). */
export type SimControlReply = ({ ok: true; action: string } & SimActionResult) | { ok: false; error: string };

/** One action of `<ns>.sim.control`: its message schema and what it does to the simulator. */
export interface SimAction<Message = unknown> {
  /** The `action` value that selects it (`stop`, `start`, later `keepalive-stop`, ...). */
  readonly name: string;
  readonly description: string;
  /** Schema of the whole control message, `action` included. */
  readonly schema: z.ZodType<Message>;
  run(message: Message, sim: SimulatorControl): SimActionResult;
}

/** Declares an action; `run` receives the message as its schema parsed it. */
export function defineSimAction<S extends z.ZodType>(definition: {
  name: string;
  description: string;
  schema: S;
  run(message: z.output<S>, sim: SimulatorControl): SimActionResult;
}): SimAction<z.output<S>> {
  return Object.freeze({ ...definition }) as SimAction<z.output<S>>;
}

/** `{ "action": <name>, "serverIds": [...] }`; extend it for actions that carry more fields. */
export function serverIdsMessage<const Name extends string>(name: Name) {
  return z
    .object({
      action: z.literal(name),
      serverIds: z.array(idSchema).min(1, 'must list at least one server id').max(1_000_000),
    })
    .strict();
}

/** Applies `change` to each listed server this simulator runs; counts those it changed. */
export function forEachServer(
  serverIds: readonly string[],
  sim: SimulatorControl,
  change: (serverId: string) => boolean,
): SimActionResult {
  const { known, unknown } = sim.resolve(serverIds);
  let affected = 0;
  for (const serverId of known) if (change(serverId)) affected++;
  return unknown.length > 0 ? { affected, unknownServerIds: unknown } : { affected };
}

/**
 * Like {@link forEachServer} for the members of redundancy pairs: listed servers that are in no
 * pair are not changed and come back as `notPairMembers`.
 */
export function forEachPairMember(
  serverIds: readonly string[],
  sim: SimulatorControl,
  change: (serverId: string) => boolean,
): SimActionResult {
  const others: string[] = [];
  const result = forEachServer(serverIds, sim, (id) => {
    if (sim.isPairMember(id)) return change(id);
    others.push(id);
    return false;
  });
  return others.length > 0 ? { ...result, notPairMembers: others } : result;
}

/** `stop`: the listed virtual agents go silent (a disconnect: no heartbeats, no messages). */
export const stopAction = defineSimAction({
  name: 'stop',
  description: 'The listed agents go silent (disconnect): no more heartbeats until `start`.',
  schema: serverIdsMessage('stop'),
  run: (message, sim) => forEachServer(message.serverIds, sim, (id) => sim.silence(id)),
});

/** `start`: the listed silent agents say hello again and resume their heartbeats. */
export const startAction = defineSimAction({
  name: 'start',
  description: 'The listed silent agents reconnect: a new hello, then heartbeats again.',
  schema: serverIdsMessage('start'),
  run: (message, sim) => forEachServer(message.serverIds, sim, (id) => sim.resume(id)),
});

/** `script-failures`: the listed servers fail their next update, in `phase` (default installing). */
export const scriptFailuresAction = defineSimAction({
  name: 'script-failures',
  description: 'The listed servers fail their next update (whatever its attempt) in `phase`, default installing.',
  schema: serverIdsMessage('script-failures').extend({ phase: z.enum(SIM_UPDATE_PHASES).default('installing') }),
  run: (message, sim) => forEachServer(message.serverIds, sim, (id) => sim.scriptFailure(id, message.phase)),
});

/**
 * `jobs`: per server, the update jobs it executed (jobId, taskId, attempt, startedAt, phase,
 * outcome, finishedAt, error) and how many redelivered updates it answered without running them.
 * Without `serverIds`: every server that received an update.
 */
export const jobsAction = defineSimAction({
  name: 'jobs',
  description: 'Lists the update jobs each server executed and the duplicate deliveries it ignored.',
  schema: z
    .object({
      action: z.literal('jobs'),
      serverIds: z.array(idSchema).min(1, 'must list at least one server id').max(100_000).optional(),
    })
    .strict(),
  run: (message, sim) => {
    const { known, unknown } = message.serverIds ? sim.resolve(message.serverIds) : { known: undefined, unknown: [] };
    const jobs = sim.jobs(known);
    const result: SimActionResult = { affected: Object.keys(jobs).length, jobs };
    if (unknown.length > 0) result.unknownServerIds = unknown;
    return result;
  },
});

/** `keepalive-stop`: the keep-alive service of the listed pair members stops sending; their peers report `peerReachable: false`. */
export const keepAliveStopAction = defineSimAction({
  name: 'keepalive-stop',
  description: 'The keep-alive service of the listed pair members stops sending keep-alives.',
  schema: serverIdsMessage('keepalive-stop'),
  run: (message, sim) => forEachPairMember(message.serverIds, sim, (id) => sim.setKeepAlive(id, false)),
});

/** `keepalive-start`: the keep-alive service of the listed pair members sends again. */
export const keepAliveStartAction = defineSimAction({
  name: 'keepalive-start',
  description: 'The keep-alive service of the listed pair members sends keep-alives again.',
  schema: serverIdsMessage('keepalive-start'),
  run: (message, sim) => forEachPairMember(message.serverIds, sim, (id) => sim.setKeepAlive(id, true)),
});

const serviceSchema = z.enum(SIM_REDUNDANCY_SERVICES);

/** `service-down`: the listed members report `service` down (`keep-alive` down also stops their keep-alives). */
export const serviceDownAction = defineSimAction({
  name: 'service-down',
  description: 'The listed pair members report `service` (switching, ip-phone, keep-alive) down.',
  schema: serverIdsMessage('service-down').extend({ service: serviceSchema }),
  run: (message, sim) => forEachPairMember(message.serverIds, sim, (id) => sim.setService(id, message.service, 'down')),
});

/** `service-up`: the listed members report `service` up again. */
export const serviceUpAction = defineSimAction({
  name: 'service-up',
  description: 'The listed pair members report `service` (switching, ip-phone, keep-alive) up.',
  schema: serverIdsMessage('service-up').extend({ service: serviceSchema }),
  run: (message, sim) => forEachPairMember(message.serverIds, sim, (id) => sim.setService(id, message.service, 'up')),
});

/** `replication`: the listed members report `state` as their replication until their next control request. */
export const replicationAction = defineSimAction({
  name: 'replication',
  description: 'The listed pair members report `state` as their replication until their next control request.',
  schema: serverIdsMessage('replication').extend({ state: z.enum(REPLICATION_STATES) }),
  run: (message, sim) => forEachPairMember(message.serverIds, sim, (id) => sim.forceReplication(id, message.state)),
});

/** `pairs`: each pair's members' current state and the control requests they received. */
export const pairsAction = defineSimAction({
  name: 'pairs',
  description: "Lists each pair's configuration, its members' state and the control requests they received.",
  schema: z
    .object({
      action: z.literal('pairs'),
      pairIds: z.array(idSchema).min(1, 'must list at least one pair id').max(100_000).optional(),
    })
    .strict(),
  run: (message, sim) => {
    const { pairs, unknown } = sim.pairs(message.pairIds);
    const result: SimActionResult = { affected: Object.keys(pairs).length, pairs };
    if (unknown.length > 0) result.unknownPairIds = unknown;
    return result;
  },
});

/** The HA check side of the simulator; an action on one without it fails with the reason. */
function haCheckControl(sim: SimulatorControl): SimHaCheckControl {
  if (!isSimHaCheckControl(sim)) throw new Error('this simulator does not simulate HA checks');
  return sim;
}

/** `clock-skew`: the listed servers' clocks run `skewSec` ahead (negative: behind; 0: right) in their `ha-check` replies. */
export const clockSkewAction = defineSimAction({
  name: 'clock-skew',
  description: "The listed servers' clocks run `skewSec` ahead (negative: behind, 0: right again) in HA checks.",
  schema: serverIdsMessage('clock-skew').extend({ skewSec: z.number().min(-86_400).max(86_400) }),
  run: (message, sim) =>
    forEachServer(message.serverIds, sim, (id) => haCheckControl(sim).setClockSkew(id, message.skewSec * 1000)),
});

/** `messaging-down`: in HA checks no peer reaches the listed servers and they reach none. */
export const messagingDownAction = defineSimAction({
  name: 'messaging-down',
  description: 'In HA checks the listed servers reach no peer and no peer reaches them (NO_CONNECTION).',
  schema: serverIdsMessage('messaging-down'),
  run: (message, sim) => forEachServer(message.serverIds, sim, (id) => haCheckControl(sim).setMessaging(id, false)),
});

/** `messaging-up`: the listed servers' messaging works again. */
export const messagingUpAction = defineSimAction({
  name: 'messaging-up',
  description: "The listed servers' messaging works again in HA checks.",
  schema: serverIdsMessage('messaging-up'),
  run: (message, sim) => forEachServer(message.serverIds, sim, (id) => haCheckControl(sim).setMessaging(id, true)),
});

/** The OS-patch side of the simulator; an action on one without it fails with the reason. */
function patchControl(sim: SimulatorControl): SimPatchControl {
  if (!isSimPatchControl(sim)) throw new Error('this simulator does not simulate OS patches');
  return sim;
}

/**
 * `install-patches`: the listed servers (or the first `count` of the fleet) report an OS-patch
 * install made outside the system (`taskId` null) at `installedAt` (default now; never in the
 * future). An offline server reports it when it comes back.
 */
export const installPatchesAction = defineSimAction({
  name: 'install-patches',
  description:
    'The listed servers (`serverIds`, or the first `count`) report an OS-patch install (taskId null) at `installedAt` (default now).',
  schema: z
    .object({
      action: z.literal('install-patches'),
      serverIds: z.array(idSchema).min(1, 'must list at least one server id').max(1_000_000).optional(),
      count: z.number().int().positive().max(1_000_000).optional(),
      patches: patchListSchema.optional(),
      startedBy: patchInstallStarterSchema.default('reseller'),
      kind: patchInstallKindSchema.default('regular'),
      urgentUpdateId: complianceIdSchema.nullable().default(null),
      installedAt: isoDateTimeSchema.optional(),
    })
    .strict()
    .superRefine((m, ctx) => {
      if ((m.serverIds === undefined) === (m.count === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['serverIds'], message: 'give exactly one of serverIds or count' });
      }
      if (m.kind === 'urgent' && m.urgentUpdateId === null) {
        ctx.addIssue({ code: 'custom', path: ['urgentUpdateId'], message: 'is required when kind is urgent' });
      }
    }),
  run: (message, sim) => {
    const patches = patchControl(sim);
    const now = patches.simNow();
    const installedAt = message.installedAt === undefined ? now : new Date(message.installedAt);
    if (installedAt.getTime() > now.getTime()) {
      throw new Error(`installedAt: ${message.installedAt} is in the future (sim clock: ${now.toISOString()})`);
    }
    let known: string[];
    let unknown: string[] = [];
    if (message.serverIds) ({ known, unknown } = sim.resolve(message.serverIds));
    else {
      known = patches.firstServerIds(message.count ?? 0);
      if (known.length < (message.count ?? 0)) {
        throw new Error(`count: ${message.count} exceeds the ${known.length} servers of this simulator`);
      }
    }
    const request = {
      ...(message.patches ? { patches: message.patches } : {}),
      startedBy: message.startedBy,
      kind: message.kind,
      urgentUpdateId: message.urgentUpdateId,
      installedAt,
    };
    const serverIds = known.filter((id) => patches.installPatches(id, request));
    const result: SimActionResult = { affected: serverIds.length, serverIds, installedAt: installedAt.toISOString() };
    if (unknown.length > 0) result.unknownServerIds = unknown;
    return result;
  },
});

/**
 * `patch-history`: per server (the listed ones, else every one in fleet order, paged with
 * `offset` and `limit`) its last OS-patch install, hosting provider and reseller id.
 */
export const patchHistoryAction = defineSimAction({
  name: 'patch-history',
  description:
    "Lists each server's last OS-patch install (`lastInstalledAt`), hosting provider and reseller id; page with `offset`/`limit`.",
  schema: z
    .object({
      action: z.literal('patch-history'),
      serverIds: z.array(idSchema).min(1, 'must list at least one server id').max(100_000).optional(),
      offset: z.number().int().nonnegative().default(0),
      limit: z.number().int().positive().max(1_000_000).optional(),
    })
    .strict(),
  run: (message, sim) => {
    const patches = patchControl(sim);
    const { known, unknown } = message.serverIds ? sim.resolve(message.serverIds) : { known: undefined, unknown: [] };
    const all = patches.patchHistory(known);
    const page = all.slice(message.offset, message.limit === undefined ? undefined : message.offset + message.limit);
    const result: SimActionResult = { affected: page.length, patchHistory: page };
    if (unknown.length > 0) result.unknownServerIds = unknown;
    return result;
  },
});

/** The actions every simulator understands. */
export const DEFAULT_SIM_ACTIONS: readonly SimAction[] = [
  stopAction,
  startAction,
  scriptFailuresAction,
  jobsAction,
  keepAliveStopAction,
  keepAliveStartAction,
  serviceDownAction,
  serviceUpAction,
  replicationAction,
  pairsAction,
  clockSkewAction,
  messagingDownAction,
  messagingUpAction,
  installPatchesAction,
  patchHistoryAction,
] as SimAction[];

const envelopeSchema = z.object({ action: z.string().min(1) });

/**
 * The actions a simulator accepts on `<ns>.sim.control`, by name. Handling a message never
 * throws: an unknown action, a bad shape or a failing action gives `{ ok: false, error }`.
 */
export class SimActionRegistry {
  private readonly actions = new Map<string, SimAction>();

  constructor(actions: readonly SimAction[] = DEFAULT_SIM_ACTIONS) {
    for (const action of actions) this.register(action);
  }

  register(action: SimAction): this {
    if (this.actions.has(action.name)) throw new Error(`sim action "${action.name}" is registered twice`);
    this.actions.set(action.name, action);
    return this;
  }

  /** Names of the registered actions, sorted. */
  names(): string[] {
    return [...this.actions.keys()].sort();
  }

  handle(message: unknown, sim: SimulatorControl): SimControlReply {
    const envelope = envelopeSchema.safeParse(message);
    if (!envelope.success) return { ok: false, error: `invalid control message: ${describe(envelope.error)}` };
    const action = this.actions.get(envelope.data.action);
    if (!action) {
      return {
        ok: false,
        error: `unknown action "${envelope.data.action}" (known: ${this.names().join(', ')})`,
      };
    }
    const parsed = action.schema.safeParse(message);
    if (!parsed.success) return { ok: false, error: `invalid "${action.name}" message: ${describe(parsed.error)}` };
    try {
      const result = action.run(parsed.data, sim);
      return { ok: true, action: action.name, ...result };
    } catch (err) {
      return { ok: false, error: `"${action.name}" failed: ${(err as Error)?.message ?? String(err)}` };
    }
  }
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${formatPath(i.path)}: ${i.message}`)
    .join('; ');
}
