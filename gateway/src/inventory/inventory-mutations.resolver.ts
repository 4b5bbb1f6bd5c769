import { createHash, randomUUID } from 'node:crypto';
import { UseGuards } from '@nestjs/common';
import { Args, Context, ID, Mutation, Resolver } from '@nestjs/graphql';
import {
  AddServersToGroup,
  CreateGroup,
  DecommissionServer,
  RegisterServer,
  RemoveGroup,
  RemoveServersFromGroup,
  RenameGroup,
  SetServerStage,
  groupStreamId,
  serverStreamId,
} from '@fleetwarden/inventory-contracts';
import { AuthGuard, CurrentPrincipal, Roles } from '../auth/auth.guard';
import type { Principal } from '../auth/jwt-tokens';
import type { GatewayContext } from '../graphql/gateway-context';
import { GqlErrorCode, gqlError } from '../graphql/graphql-errors';
import { ProjectionBarrier } from '../read-model/projection-barrier';
import { InventoryCommands, commandCall, type CommandCall } from './inventory-commands';
import { InventoryReadModel, scopeOf } from './inventory.read-model';
import { GROUP_PROJECTION, SERVER_PROJECTION } from './inventory.projection';
import { Group } from './models/group.model';
import { Stage } from './models/inventory.enums';
import { CreateGroupInput, RegisterServerInput } from './models/inventory.inputs';
import { Server } from './models/server.model';

const IDEMPOTENCY_KEY_DOC =
  'Repeating a mutation with the same key applies it once and returns the first outcome. Default: a new key.';
const idempotencyKeyArg = () =>
  Args('idempotencyKey', { type: () => String, nullable: true, description: IDEMPOTENCY_KEY_DOC });

/**
 * Inventory mutations: each sends one command to the inventory service (NATS request/reply) with
 * the caller as `actor`, then waits until the read model shows the outcome and returns it.
 * Auditors may not call any of them; a reseller acts only on its own servers and groups (others
 * are NOT_FOUND, as if they did not exist).
 */
@Resolver()
@UseGuards(AuthGuard)
@Roles('operator', 'reseller')
export class InventoryMutationsResolver {
  constructor(
    private readonly commands: InventoryCommands,
    private readonly readModel: InventoryReadModel,
    private readonly barrier: ProjectionBarrier,
  ) {}

  @Mutation(() => Server, { description: 'Registers a server before (or without) its agent. Operators only.' })
  @Roles('operator')
  async registerServer(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('input', { type: () => RegisterServerInput }) input: RegisterServerInput,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<Server> {
    const call = commandCall(ctx, idempotencyKey, (f) => `input.${f === 'serverId' ? 'id' : f}`);
    await this.commands.send(
      RegisterServer,
      {
        serverId: input.id,
        reseller: input.reseller,
        company: input.company,
        address: input.address ?? '',
        serverVersion: input.serverVersion,
        webAppsVersion: input.webAppsVersion ?? null,
        stage: input.stage,
        hostingProvider: input.hostingProvider,
      },
      principal,
      call,
    );
    return this.serverAfter(principal, input.id, call);
  }

  @Mutation(() => Server, { description: "Moves a server's image to another stage." })
  async setServerStage(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('stage', { type: () => Stage }) stage: Stage,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<Server> {
    const call = commandCall(ctx, idempotencyKey, (f) => (f === 'serverId' ? 'id' : f));
    await this.requireServers(principal, [id], 'id');
    await this.commands.send(SetServerStage, { serverId: id, stage }, principal, call);
    return this.serverAfter(principal, id, call);
  }

  @Mutation(() => Server, {
    nullable: true,
    description:
      'Takes a server out of the inventory for good (its history is kept). Returns it with decommissioned: true ' +
      '(null for a reseller, who no longer sees it).',
  })
  async decommissionServer(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('reason', { type: () => String, nullable: true }) reason?: string | null,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<Server | null> {
    const call = commandCall(ctx, idempotencyKey, (f) => (f === 'serverId' ? 'id' : f));
    await this.requireServers(principal, [id], 'id');
    await this.commands.send(DecommissionServer, { serverId: id, reason: reason ?? null }, principal, call);
    await this.barrier.caughtUp(SERVER_PROJECTION, serverStreamId(id), call.correlationId);
    return this.readModel.getServer(scopeOf(principal), id);
  }

  @Mutation(() => Group, {
    description:
      "Creates a group (id chosen by the gateway). A reseller's group may hold only its own servers and " +
      'belongs to it; an operator group may hold any.',
  })
  async createGroup(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('input', { type: () => CreateGroupInput }) input: CreateGroupInput,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<Group> {
    const call = commandCall(ctx, idempotencyKey, (f) => `input.${f}`);
    await this.requireServers(principal, input.serverIds, 'input.serverIds');
    const groupId = newGroupId(principal, idempotencyKey);
    await this.commands.send(CreateGroup, { groupId, name: input.name, serverIds: input.serverIds }, principal, call);
    return this.groupAfter(principal, groupId, call);
  }

  @Mutation(() => Group)
  async renameGroup(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('name') name: string,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<Group> {
    const call = commandCall(ctx, idempotencyKey, (f) => (f === 'groupId' ? 'id' : f));
    await this.requireGroup(principal, id);
    await this.commands.send(RenameGroup, { groupId: id, name }, principal, call);
    return this.groupAfter(principal, id, call);
  }

  @Mutation(() => Group, { description: 'Adds servers to a group; servers already in it are ignored.' })
  async addServersToGroup(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('serverIds', { type: () => [ID] }) serverIds: string[],
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<Group> {
    const call = commandCall(ctx, idempotencyKey, (f) => (f === 'groupId' ? 'id' : f));
    await this.requireGroup(principal, id);
    await this.requireServers(principal, serverIds, 'serverIds');
    await this.commands.send(AddServersToGroup, { groupId: id, serverIds }, principal, call);
    return this.groupAfter(principal, id, call);
  }

  @Mutation(() => Group, { description: 'Removes servers from a group; servers not in it are ignored.' })
  async removeServersFromGroup(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('serverIds', { type: () => [ID] }) serverIds: string[],
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<Group> {
    const call = commandCall(ctx, idempotencyKey, (f) => (f === 'groupId' ? 'id' : f));
    await this.requireGroup(principal, id);
    await this.commands.send(RemoveServersFromGroup, { groupId: id, serverIds }, principal, call);
    return this.groupAfter(principal, id, call);
  }

  @Mutation(() => ID, { description: 'Removes a group (its servers stay); returns its id.' })
  async removeGroup(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('id', { type: () => ID }) id: string,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<string> {
    const call = commandCall(ctx, idempotencyKey, (f) => (f === 'groupId' ? 'id' : f));
    await this.requireGroup(principal, id);
    await this.commands.send(RemoveGroup, { groupId: id }, principal, call);
    await this.barrier.caughtUp(GROUP_PROJECTION, groupStreamId(id), call.correlationId);
    return id;
  }

  /** A reseller may name only its own, live servers: any other id is NOT_FOUND. */
  private async requireServers(principal: Principal, ids: readonly string[], argument: string): Promise<void> {
    if (principal.role !== 'reseller' || ids.length === 0) return;
    const visible = await this.readModel.visibleServerIds(scopeOf(principal), ids);
    const missing = ids.filter((id) => !visible.has(id));
    if (missing.length > 0) {
      throw gqlError(GqlErrorCode.NOT_FOUND, `Server not found: ${missing.slice(0, 10).join(', ')}`, {
        argument,
        ids: missing,
      });
    }
  }

  /** A reseller may act only on its own groups: any other id is NOT_FOUND. */
  private async requireGroup(principal: Principal, id: string): Promise<void> {
    if (principal.role !== 'reseller') return;
    if (!(await this.readModel.getGroup(scopeOf(principal), id))) {
      throw gqlError(GqlErrorCode.NOT_FOUND, `Group not found: ${id}`, { argument: 'id' });
    }
  }

  private async serverAfter(principal: Principal, id: string, call: CommandCall): Promise<Server> {
    await this.barrier.caughtUp(SERVER_PROJECTION, serverStreamId(id), call.correlationId);
    const server = await this.readModel.getServer(scopeOf(principal), id);
    if (!server) throw gqlError(GqlErrorCode.NOT_FOUND, `Server not found: ${id}`, { argument: 'id' });
    return server;
  }

  private async groupAfter(principal: Principal, id: string, call: CommandCall): Promise<Group> {
    await this.barrier.caughtUp(GROUP_PROJECTION, groupStreamId(id), call.correlationId);
    const group = await this.readModel.getGroup(scopeOf(principal), id);
    if (!group) throw gqlError(GqlErrorCode.NOT_FOUND, `Group not found: ${id}`, { argument: 'id' });
    return group;
  }
}

/** A new group id; derived from the idempotency key when there is one, so that a retry names the same group. */
export function newGroupId(principal: Principal, idempotencyKey: string | null | undefined): string {
  if (!idempotencyKey) return `grp-${randomUUID()}`;
  const digest = createHash('sha256').update(`${principal.actor}\u0000${idempotencyKey}`).digest('hex');
  return `grp-${digest.slice(0, 32)}`;
}
