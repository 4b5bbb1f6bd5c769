import { UseGuards } from '@nestjs/common';
import { Args, Context, ID, Info, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { AuthGuard, CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/jwt-tokens';
import { BatchLoader } from '../graphql/batch-loader';
import { perRequest, type GatewayContext } from '../graphql/gateway-context';
import { InventoryReadModel, scopeOf } from './inventory.read-model';
import { Group } from './models/group.model';
import { ServerOrder } from './models/inventory.enums';
import { ServerConnection } from './models/server.model';
import { DEFAULT_PAGE_SIZE, pageArgs, selectsField, toConnection } from './server-list.args';

/** The Group page: named sets of servers. */
@Resolver(() => Group)
@UseGuards(AuthGuard)
export class GroupsResolver {
  constructor(private readonly readModel: InventoryReadModel) {}

  @Query(() => [Group], {
    description: "Groups by name: every group for operators and auditors, a reseller's own groups for a reseller.",
  })
  groups(@CurrentPrincipal() principal: Principal): Promise<Group[]> {
    return this.readModel.listGroups(scopeOf(principal));
  }

  @Query(() => Group, { nullable: true, description: 'One group; null when it does not exist or is not visible.' })
  group(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string): Promise<Group | null> {
    return this.readModel.getGroup(scopeOf(principal), id);
  }

  @ResolveField(() => [ID], { description: 'Ids of the servers in the group, in id order.' })
  serverIds(
    @Parent() group: Group,
    @Context() ctx: GatewayContext,
    @CurrentPrincipal() principal: Principal,
  ): Promise<string[]> {
    const loader = perRequest(
      ctx,
      'group.serverIds',
      () =>
        new BatchLoader(
          (ids: string[]) => this.readModel.serverIdsOfGroups(scopeOf(principal), ids),
          (): string[] => [],
        ),
    );
    return loader.load(group.id);
  }

  @ResolveField(() => ServerConnection, { description: 'The servers of the group, by id.' })
  async servers(
    @Parent() group: Group,
    @CurrentPrincipal() principal: Principal,
    @Info() info: GraphQLResolveInfo,
    @Args('first', { type: () => Int, nullable: true, defaultValue: DEFAULT_PAGE_SIZE, description: '1 to 500.' })
    first?: number | null,
    @Args('after', { type: () => String, nullable: true }) after?: string | null,
  ): Promise<ServerConnection> {
    const page = pageArgs(first, after, ServerOrder.ID_ASC);
    const result = await this.readModel.listServers(
      scopeOf(principal),
      { ...page, filter: { groupId: group.id } },
      selectsField(info, 'totalCount'),
    );
    return toConnection(result, ServerOrder.ID_ASC, after);
  }
}
