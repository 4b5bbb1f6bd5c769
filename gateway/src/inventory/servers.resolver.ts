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
import { ServerFilter } from './models/inventory.inputs';
import { InstalledFile, Server, ServerConnection } from './models/server.model';
import { DEFAULT_PAGE_SIZE, listFilter, pageArgs, selectsField, toConnection } from './server-list.args';

/** The server list and the Server page. */
@Resolver(() => Server)
@UseGuards(AuthGuard)
export class ServersResolver {
  constructor(private readonly readModel: InventoryReadModel) {}

  @Query(() => ServerConnection, {
    description:
      "Servers the caller can see (a reseller: its own customers' servers), decommissioned ones excluded; " +
      'keyset-paginated: pass `pageInfo.endCursor` as `after` with the same `orderBy`.',
  })
  async servers(
    @CurrentPrincipal() principal: Principal,
    @Info() info: GraphQLResolveInfo,
    @Args('filter', { type: () => ServerFilter, nullable: true }) filter?: ServerFilter | null,
    @Args('orderBy', { type: () => ServerOrder, nullable: true, defaultValue: ServerOrder.ID_ASC })
    orderBy?: ServerOrder | null,
    @Args('first', { type: () => Int, nullable: true, defaultValue: DEFAULT_PAGE_SIZE, description: '1 to 500.' })
    first?: number | null,
    @Args('after', { type: () => String, nullable: true }) after?: string | null,
  ): Promise<ServerConnection> {
    const order = orderBy ?? ServerOrder.ID_ASC;
    const page = pageArgs(first, after, order);
    const result = await this.readModel.listServers(
      scopeOf(principal),
      { ...page, filter: listFilter(filter) },
      selectsField(info, 'totalCount'),
    );
    return toConnection(result, order, after);
  }

  @Query(() => Server, {
    nullable: true,
    description:
      'One server; null when it does not exist or belongs to another tenant. Decommissioned servers ' +
      'are returned (decommissioned: true) to operators and auditors only.',
  })
  server(@CurrentPrincipal() principal: Principal, @Args('id', { type: () => ID }) id: string): Promise<Server | null> {
    return this.readModel.getServer(scopeOf(principal), id);
  }

  @ResolveField(() => [InstalledFile])
  files(@Parent() server: Server, @Context() ctx: GatewayContext): Promise<InstalledFile[]> | InstalledFile[] {
    if (server.files) return server.files;
    const loader = perRequest(
      ctx,
      'server.files',
      () => new BatchLoader((ids: string[]) => this.readModel.filesOf(ids), noFiles),
    );
    return loader.load(server.id);
  }

  @ResolveField(() => [Group], { description: 'Groups holding this server that the caller can see.' })
  groups(
    @Parent() server: Server,
    @Context() ctx: GatewayContext,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Group[]> {
    const loader = perRequest(
      ctx,
      'server.groups',
      () => new BatchLoader((ids: string[]) => this.readModel.groupsOfServers(scopeOf(principal), ids), noGroups),
    );
    return loader.load(server.id);
  }
}

const noFiles = (): InstalledFile[] => [];
const noGroups = (): Group[] => [];
