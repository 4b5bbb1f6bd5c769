import { UseGuards } from '@nestjs/common';
import { Args, Context, ID, Resolver, Subscription } from '@nestjs/graphql';
import type { PubSub } from 'mercurius';
import { AuthGuard } from '../auth/auth.guard';
import type { GatewayContext } from '../graphql/gateway-context';
import { ServerStatusChange } from './models/server.model';
import { SERVER_STATUS_TOPIC, type ServerStatusMessage } from './server-status.feed';

/** Whether a subscriber may see a change: resellers only their own servers; `reseller` narrows further. */
export function deliversTo(
  change: ServerStatusChange,
  ctx: Pick<GatewayContext, 'principal'>,
  reseller: string | null | undefined,
): boolean {
  const principal = ctx.principal;
  if (!principal) return false;
  if (principal.role === 'reseller' && change.reseller.id !== principal.reseller) return false;
  return reseller === null || reseller === undefined || change.reseller.id === reseller;
}

@Resolver()
export class ServerStatusResolver {
  @Subscription(() => ServerStatusChange, {
    description:
      'Servers registered, connected, disconnected or decommissioned, pushed after the read model has them. ' +
      "Over WebSocket on /graphql; send { authorization: 'Bearer <token>' } as the connection-init payload. " +
      "A reseller receives its own servers' changes only.",
    filter: (payload: ServerStatusMessage, variables: { reseller?: string | null }, ctx: GatewayContext) =>
      deliversTo(payload.serverStatusChanged, ctx, variables.reseller),
    resolve: (payload: ServerStatusMessage) => payload.serverStatusChanged,
  })
  @UseGuards(AuthGuard)
  serverStatusChanged(
    @Context('pubsub') pubsub: PubSub,
    @Args('reseller', { type: () => ID, nullable: true, description: "Only this reseller's servers." })
    _reseller?: string | null,
  ) {
    return pubsub.subscribe(SERVER_STATUS_TOPIC);
  }
}
