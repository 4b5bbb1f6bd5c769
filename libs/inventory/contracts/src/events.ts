import { z } from 'zod';
import { defineEvent } from '@fleetwarden/contracts';
import {
  filesSchema,
  hostConfigSchema,
  hostingProviderSchema,
  idSchema,
  namedRefSchema,
  productVersionsSchema,
  stageSchema,
  versionSchema,
} from './shared';

const at = z.iso.datetime({ offset: true });

/** A server joined the inventory: on its agent's first hello, or registered by an operator. */
export const ServerRegistered = defineEvent({
  context: 'inventory',
  type: 'ServerRegistered',
  version: 1,
  description:
    "A server joined the inventory, on its agent's first hello or registered by an operator. Stream `server-<serverId>`.",
  schema: z.object({
    serverId: idSchema,
    reseller: namedRefSchema,
    company: namedRefSchema,
    address: z.string().max(500),
    serverVersion: versionSchema,
    webAppsVersion: versionSchema.nullable(),
    stage: stageSchema,
    hostingProvider: hostingProviderSchema,
    registeredBy: z.enum(['agent', 'operator']),
  }),
});

/** An operator moved a server's image to another stage. */
export const ServerStageChanged = defineEvent({
  context: 'inventory',
  type: 'ServerStageChanged',
  version: 1,
  description: 'The stage of a server image changed (beta, production, patch).',
  schema: z.object({ serverId: idSchema, stage: stageSchema, previousStage: stageSchema }),
});

/** The agent reported product versions that differ from the last ones. */
export const ServerVersionsReported = defineEvent({
  context: 'inventory',
  type: 'ServerVersionsReported',
  version: 1,
  description: 'The agent reported product versions that differ from the last ones known.',
  schema: productVersionsSchema.extend({ serverId: idSchema }),
});

/** The agent reported a host configuration that differs from the last one. */
export const ServerConfigReported = defineEvent({
  context: 'inventory',
  type: 'ServerConfigReported',
  version: 1,
  description: 'The agent reported a host configuration (FQDN, host name, IPs) that differs from the last one.',
  schema: z.object({ serverId: idSchema, config: hostConfigSchema }),
});

/** The agent reported an installed-files list that differs from the last one. */
export const ServerFilesReported = defineEvent({
  context: 'inventory',
  type: 'ServerFilesReported',
  version: 1,
  description:
    'The agent reported installed files (name, version, size, last modified) that differ from the last list.',
  schema: z.object({ serverId: idSchema, files: filesSchema }),
});

/** Heartbeats arrive again (or for the first time): the agent is online. */
export const ServerConnected = defineEvent({
  context: 'inventory',
  type: 'ServerConnected',
  version: 1,
  description:
    'The agent is online: its hello or a heartbeat arrived while the server was disconnected (or never connected). Appended on a change only.',
  schema: z.object({
    serverId: idSchema,
    at,
    heartbeatIntervalSec: z.number().positive().describe('Interval the agent announced in its hello.'),
  }),
});

/** Three announced heartbeat intervals passed without a heartbeat. */
export const ServerDisconnected = defineEvent({
  context: 'inventory',
  type: 'ServerDisconnected',
  version: 1,
  description: 'No heartbeat for 3 announced intervals: the agent is gone. Appended on a change only.',
  schema: z.object({
    serverId: idSchema,
    at,
    lastSeenAt: at.describe('Time of the last hello or heartbeat.'),
  }),
});

/** The server left the inventory for good; its history is kept. */
export const ServerDecommissioned = defineEvent({
  context: 'inventory',
  type: 'ServerDecommissioned',
  version: 1,
  description: 'The server left the inventory; later agent messages from it are refused. History is kept.',
  schema: z.object({ serverId: idSchema, reason: z.string().max(500).nullable() }),
});

/** A named set of servers was created. */
export const GroupCreated = defineEvent({
  context: 'inventory',
  type: 'GroupCreated',
  version: 1,
  description:
    'A named set of servers was created. `reseller` is the owning reseller, or null for an operator group. Stream `group-<groupId>`.',
  schema: z.object({
    groupId: idSchema,
    name: z.string().min(1).max(200),
    reseller: idSchema.nullable(),
    serverIds: z.array(idSchema),
  }),
});

export const GroupRenamed = defineEvent({
  context: 'inventory',
  type: 'GroupRenamed',
  version: 1,
  description: 'A group got a new name.',
  schema: z.object({ groupId: idSchema, name: z.string().min(1).max(200), previousName: z.string() }),
});

export const ServersAddedToGroup = defineEvent({
  context: 'inventory',
  type: 'ServersAddedToGroup',
  version: 1,
  description: 'Servers joined a group (only those not already in it are listed).',
  schema: z.object({ groupId: idSchema, serverIds: z.array(idSchema).min(1) }),
});

export const ServersRemovedFromGroup = defineEvent({
  context: 'inventory',
  type: 'ServersRemovedFromGroup',
  version: 1,
  description: 'Servers left a group (only those that were in it are listed).',
  schema: z.object({ groupId: idSchema, serverIds: z.array(idSchema).min(1) }),
});

export const GroupRemoved = defineEvent({
  context: 'inventory',
  type: 'GroupRemoved',
  version: 1,
  description: 'A group was removed; its servers are untouched.',
  schema: z.object({ groupId: idSchema }),
});

/** Every inventory event, in catalogue order. */
export const INVENTORY_EVENTS = [
  ServerRegistered,
  ServerStageChanged,
  ServerVersionsReported,
  ServerConfigReported,
  ServerFilesReported,
  ServerConnected,
  ServerDisconnected,
  ServerDecommissioned,
  GroupCreated,
  GroupRenamed,
  ServersAddedToGroup,
  ServersRemovedFromGroup,
  GroupRemoved,
] as const;

type DataOf<C> = C extends { parse(data: unknown): infer D } ? D : never;
type EventOf<C> = C extends { type: infer T } ? { type: T; data: DataOf<C> } : never;

/** The `{ type, data }` union of the server stream's events. */
export type ServerEvent = EventOf<
  | typeof ServerRegistered
  | typeof ServerStageChanged
  | typeof ServerVersionsReported
  | typeof ServerConfigReported
  | typeof ServerFilesReported
  | typeof ServerConnected
  | typeof ServerDisconnected
  | typeof ServerDecommissioned
>;

/** The `{ type, data }` union of the group stream's events. */
export type GroupEvent = EventOf<
  | typeof GroupCreated
  | typeof GroupRenamed
  | typeof ServersAddedToGroup
  | typeof ServersRemovedFromGroup
  | typeof GroupRemoved
>;

export type InventoryEvent = ServerEvent | GroupEvent;
