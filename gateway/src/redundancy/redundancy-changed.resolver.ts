import { UseGuards } from '@nestjs/common';
import { Args, Context, ID, Resolver, Subscription } from '@nestjs/graphql';
import type { PubSub } from 'mercurius';
import { AuthGuard } from '../auth/auth.guard';
import type { GatewayContext } from '../graphql/gateway-context';
import { RedundancyPair } from './models/redundancy-pair.model';
import { REDUNDANCY_CHANGED_TOPIC, type RedundancyChangedMessage } from './redundancy-changes.feed';

/** Whether a subscriber may see a pair's change: a reseller only its own pairs; `pairId` narrows further. */
export function deliversPairTo(
  message: RedundancyChangedMessage,
  ctx: Pick<GatewayContext, 'principal'>,
  pairId: string | null | undefined,
): boolean {
  const principal = ctx.principal;
  if (!principal) return false;
  if (principal.role === 'reseller' && message.tenant !== principal.reseller) return false;
  return pairId === null || pairId === undefined || message.redundancyChanged.id === pairId;
}

@Resolver()
export class RedundancyChangedResolver {
  @Subscription(() => RedundancyPair, {
    description:
      'A redundancy pair as each of its events left it (configured, auto-failover set, member state reported, ' +
      'keep-alive lost or restored, control switched, failover blocked, isolation warning, function lost, ' +
      "switch notified), pushed after the read model has it. Over WebSocket on /graphql; send { authorization: 'Bearer " +
      "<token>' } as the connection-init payload. A reseller receives its own pairs only.",
    filter: (payload: RedundancyChangedMessage, variables: { pairId?: string | null }, ctx: GatewayContext) =>
      deliversPairTo(payload, ctx, variables.pairId),
    resolve: (payload: RedundancyChangedMessage) => payload.redundancyChanged,
  })
  @UseGuards(AuthGuard)
  redundancyChanged(
    @Context('pubsub') pubsub: PubSub,
    @Args('pairId', { type: () => ID, nullable: true, description: 'Only this pair; every visible pair when null.' })
    _pairId?: string | null,
  ) {
    return pubsub.subscribe(REDUNDANCY_CHANGED_TOPIC);
  }
}
