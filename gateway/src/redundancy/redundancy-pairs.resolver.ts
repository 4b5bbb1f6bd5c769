import { Inject, UseGuards } from '@nestjs/common';
import { Args, Context, ID, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { CLOCK } from '@fleetwarden/platform';
import type { Clock } from '@fleetwarden/shared-domain';
import { AuthGuard, CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/jwt-tokens';
import { BatchLoader } from '../graphql/batch-loader';
import { perRequest, type GatewayContext } from '../graphql/gateway-context';
import { Server } from '../inventory/models/server.model';
import { Member, RedundancyPair } from './models/redundancy-pair.model';
import { RedundancyReadModel, pairScopeOf } from './redundancy.read-model';

const DAY_MS = 86_400_000;

/** Whole days from `since` to `now`; null without `since`. */
export function wholeDaysSince(since: Date | null, now: Date): number | null {
  if (since === null) return null;
  return Math.max(0, Math.floor((now.getTime() - since.getTime()) / DAY_MS));
}

/** The pair list and the pair page. */
@Resolver(() => RedundancyPair)
@UseGuards(AuthGuard)
export class RedundancyPairsResolver {
  constructor(
    private readonly readModel: RedundancyReadModel,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Query(() => [RedundancyPair], {
    description: 'Redundancy pairs the caller can see (a reseller: its own), by id.',
  })
  redundancyPairs(@CurrentPrincipal() principal: Principal): Promise<RedundancyPair[]> {
    return this.readModel.listPairs(pairScopeOf(principal));
  }

  @Query(() => RedundancyPair, {
    nullable: true,
    description: 'One redundancy pair; null when it does not exist or belongs to another tenant.',
  })
  redundancyPair(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<RedundancyPair | null> {
    return this.readModel.getPair(pairScopeOf(principal), id);
  }

  @ResolveField(() => Int, {
    nullable: true,
    description:
      "Whole days since the secondary last reached its primary, by the control plane's clock; null when it " +
      'reaches it. At 30 the secondary loses function.',
  })
  daysSinceSecondaryReachedPrimary(@Parent() pair: RedundancyPair): number | null {
    return wholeDaysSince(pair.secondaryUnreachableSince, this.clock.now());
  }
}

/** `Member.server`: the inventory's server, batched per request. */
@Resolver(() => Member)
export class MemberResolver {
  constructor(private readonly readModel: RedundancyReadModel) {}

  @ResolveField(() => Server, { nullable: true })
  server(
    @Parent() member: Member,
    @Context() ctx: GatewayContext,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Server | null> {
    const loader = perRequest(
      ctx,
      'member.server',
      () =>
        new BatchLoader<string, Server | null>(
          (ids: string[]) => this.readModel.serversById(pairScopeOf(principal), ids),
          () => null,
        ),
    );
    return loader.load(member.serverId);
  }
}
