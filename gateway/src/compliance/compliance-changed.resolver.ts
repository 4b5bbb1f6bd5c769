import { UseGuards } from '@nestjs/common';
import { Args, Context, ID, Resolver, Subscription } from '@nestjs/graphql';
import type { PubSub } from 'mercurius';
import { AuthGuard, CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/jwt-tokens';
import type { GatewayContext } from '../graphql/gateway-context';
import { COMPLIANCE_CHANGED_TOPIC, type ComplianceChangedMessage } from './compliance-changes.feed';
import { resellerScope } from './compliance.read-model';
import { ComplianceChange } from './models/compliance.model';

/** Whether a subscriber may see a change: a reseller only its own servers'; `reseller` narrows further. */
export function deliversComplianceTo(
  message: ComplianceChangedMessage,
  ctx: Pick<GatewayContext, 'principal'>,
  reseller: string | null | undefined,
): boolean {
  const principal = ctx.principal;
  if (!principal) return false;
  const change = message.complianceChanged;
  if (principal.role === 'reseller' && change.reseller !== principal.reseller) return false;
  return reseller === null || reseller === undefined || change.reseller === reseller;
}

@Resolver()
export class ComplianceChangedResolver {
  @Subscription(() => ComplianceChange, {
    description:
      'A compliance event of a server (installed, alerted, breached, operations patch scheduled, charge recorded, ' +
      'unapproved patch flagged, emergency update), pushed after the read model has it. Over WebSocket on /graphql; ' +
      "send { authorization: 'Bearer <token>' } as the connection-init payload. A reseller receives its own " +
      "servers' events only.",
    filter: (payload: ComplianceChangedMessage, variables: { reseller?: string | null }, ctx: GatewayContext) =>
      deliversComplianceTo(payload, ctx, variables.reseller),
    resolve: (payload: ComplianceChangedMessage) => payload.complianceChanged,
  })
  @UseGuards(AuthGuard)
  complianceChanged(
    @Context('pubsub') pubsub: PubSub,
    @CurrentPrincipal() principal: Principal,
    @Args('reseller', {
      type: () => ID,
      nullable: true,
      description: 'Only this reseller (a reseller: itself); every visible server when null.',
    })
    reseller?: string | null,
  ) {
    resellerScope(principal, reseller);
    return pubsub.subscribe(COMPLIANCE_CHANGED_TOPIC);
  }
}
