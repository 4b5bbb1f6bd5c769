import { z } from 'zod';
import { defineCommand } from '@fleetwarden/contracts';
import { hostingProviderSchema, idSchema, namedRefSchema, stageSchema, versionSchema } from './shared';

const serverIds = z.array(idSchema).min(1).max(10_000);

/** An operator registers a server before (or without) its agent's hello. */
export const RegisterServer = defineCommand({
  context: 'inventory',
  name: 'RegisterServer',
  description: 'Registers a server (operators only). Refused when the id is taken.',
  request: z.object({
    serverId: idSchema,
    reseller: namedRefSchema,
    company: namedRefSchema,
    address: z.string().max(500).default(''),
    serverVersion: versionSchema,
    webAppsVersion: versionSchema.nullable().default(null),
    stage: stageSchema,
    hostingProvider: hostingProviderSchema,
  }),
  reply: z.object({ serverId: idSchema }),
});

export const SetServerStage = defineCommand({
  context: 'inventory',
  name: 'SetServerStage',
  description: 'Moves a server image to another stage (beta, production, patch).',
  request: z.object({ serverId: idSchema, stage: stageSchema }),
  reply: z.object({ serverId: idSchema, stage: stageSchema }),
});

export const DecommissionServer = defineCommand({
  context: 'inventory',
  name: 'DecommissionServer',
  description: 'Takes a server out of the inventory for good (history is kept).',
  request: z.object({ serverId: idSchema, reason: z.string().max(500).nullable().default(null) }),
  reply: z.object({ serverId: idSchema }),
});

export const CreateGroup = defineCommand({
  context: 'inventory',
  name: 'CreateGroup',
  description:
    "Creates a named group of servers. A reseller's group may hold only its own servers; an operator group any.",
  request: z.object({
    groupId: idSchema,
    name: z.string().trim().min(1).max(200),
    serverIds: z.array(idSchema).max(10_000),
  }),
  reply: z.object({ groupId: idSchema }),
});

export const RenameGroup = defineCommand({
  context: 'inventory',
  name: 'RenameGroup',
  description: 'Renames a group.',
  request: z.object({ groupId: idSchema, name: z.string().trim().min(1).max(200) }),
  reply: z.object({ groupId: idSchema }),
});

export const AddServersToGroup = defineCommand({
  context: 'inventory',
  name: 'AddServersToGroup',
  description: 'Adds servers to a group; servers already in it are ignored.',
  request: z.object({ groupId: idSchema, serverIds }),
  reply: z.object({ groupId: idSchema, added: z.number().int().nonnegative() }),
});

export const RemoveServersFromGroup = defineCommand({
  context: 'inventory',
  name: 'RemoveServersFromGroup',
  description: 'Removes servers from a group; servers not in it are ignored.',
  request: z.object({ groupId: idSchema, serverIds }),
  reply: z.object({ groupId: idSchema, removed: z.number().int().nonnegative() }),
});

export const RemoveGroup = defineCommand({
  context: 'inventory',
  name: 'RemoveGroup',
  description: 'Removes a group; its servers stay.',
  request: z.object({ groupId: idSchema }),
  reply: z.object({ groupId: idSchema }),
});

export const INVENTORY_COMMANDS = [
  RegisterServer,
  SetServerStage,
  DecommissionServer,
  CreateGroup,
  RenameGroup,
  AddServersToGroup,
  RemoveServersFromGroup,
  RemoveGroup,
] as const;

/** Request data of a command contract, after defaults. */
export type CommandData<C> = C extends { request: infer R } ? (R extends z.ZodType ? z.output<R> : never) : never;
