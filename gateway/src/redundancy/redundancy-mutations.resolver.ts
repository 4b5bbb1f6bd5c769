import { UseGuards } from '@nestjs/common';
import { Args, Context, ID, Mutation, Resolver } from '@nestjs/graphql';
import {
  ConfigurePair,
  ManualSwitchover,
  SetAutoFailover,
  pairStreamId,
  type NotificationTarget,
} from '@fleetwarden/redundancy-contracts';
import { AuthGuard, CurrentPrincipal, Roles } from '../auth/auth.guard';
import type { Principal } from '../auth/jwt-tokens';
import type { GatewayContext } from '../graphql/gateway-context';
import { GqlErrorCode, badUserInput, gqlError } from '../graphql/graphql-errors';
import { commandCall, type CommandCall } from '../inventory/inventory-commands';
import { ProjectionBarrier } from '../read-model/projection-barrier';
import { NotificationTargetKind } from './models/redundancy.enums';
import { ConfigurePairInput, type NotificationTargetInput } from './models/redundancy.inputs';
import { RedundancyPair } from './models/redundancy-pair.model';
import { RedundancyCommands } from './redundancy-commands';
import { PAIR_PROJECTION } from './redundancy.projection';
import { RedundancyReadModel, pairScopeOf } from './redundancy.read-model';

const IDEMPOTENCY_KEY_DOC =
  'Repeating a mutation with the same key applies it once and returns the first outcome. Default: a new key.';
const idempotencyKeyArg = () =>
  Args('idempotencyKey', { type: () => String, nullable: true, description: IDEMPOTENCY_KEY_DOC });

/** `pairId` -> `id`, every other command field as is. */
const pairArgument = (f: string): string => (f === 'pairId' ? 'id' : f);

/** A notification target as the command takes it: `subject` or `url` by kind, never both. */
function toTarget(t: NotificationTargetInput, index: number): NotificationTarget {
  const path = `input.notificationTargets.${index}`;
  if (t.kind === NotificationTargetKind.SUBJECT) {
    if (t.url !== null && t.url !== undefined) throw badUserInput(`${path}.url`, 'only for WEBHOOK targets');
    return { kind: 'subject', subject: t.subject ?? '' };
  }
  if (t.subject !== null && t.subject !== undefined) throw badUserInput(`${path}.subject`, 'only for SUBJECT targets');
  return { kind: 'webhook', url: t.url ?? '' };
}

/**
 * Redundancy mutations: each sends one command to the redundancy service, then waits until the
 * pair read model shows the outcome and returns the pair. Operators and resellers may call them
 * (auditors none); the service decides whether a reseller may act on a pair's servers, and a
 * reseller acting on a pair it cannot see gets NOT_FOUND.
 */
@Resolver()
@UseGuards(AuthGuard)
@Roles('operator', 'reseller')
export class RedundancyMutationsResolver {
  constructor(
    private readonly commands: RedundancyCommands,
    private readonly readModel: RedundancyReadModel,
    private readonly barrier: ProjectionBarrier,
  ) {}

  @Mutation(() => RedundancyPair, {
    nullable: true,
    description:
      "Configures a primary/secondary pair, or reconfigures it (its members stay). Both servers must be the caller's " +
      '(a reseller) and in no other pair; the threshold must be above the keep-alive interval. The redundancy key is ' +
      'stored as a salted hash only and never returned.',
  })
  async configurePair(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('input', { type: () => ConfigurePairInput }) input: ConfigurePairInput,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<RedundancyPair> {
    const call = commandCall(ctx, idempotencyKey, (f) => `input.${pairArgument(f)}`);
    await this.commands.send(
      ConfigurePair,
      {
        pairId: input.id,
        primaryServerId: input.primaryServerId,
        secondaryServerId: input.secondaryServerId,
        primaryAddress: input.primaryAddress ?? undefined,
        secondaryAddress: input.secondaryAddress ?? undefined,
        switchAddress: input.switchAddress ?? undefined,
        redundancyKey: input.redundancyKey,
        autoFailover: input.autoFailover ?? undefined,
        keepAliveIntervalSec: input.keepAliveIntervalSec ?? undefined,
        failoverThresholdSec: input.failoverThresholdSec ?? undefined,
        holdDownSec: input.holdDownSec ?? undefined,
        notificationTargets: (input.notificationTargets ?? []).map(toTarget),
      },
      principal,
      call,
    );
    return this.pairAfter(principal, input.id, call);
  }

  @Mutation(() => RedundancyPair, {
    nullable: true,
    description:
      'Hands control to the standby. Refused (CONFLICT, with the reason) unless both members are available, every ' +
      'redundancy service on both is up and the standby has finished replicating (UPDATED).',
  })
  async manualSwitchover(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('reason', { type: () => String, nullable: true, description: 'Default: "manual switchover".' })
    reason?: string | null,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<RedundancyPair> {
    const call = commandCall(ctx, idempotencyKey, pairArgument);
    await this.requirePair(principal, id);
    await this.commands.send(ManualSwitchover, { pairId: id, reason: reason ?? undefined }, principal, call);
    return this.pairAfter(principal, id, call);
  }

  @Mutation(() => RedundancyPair, {
    nullable: true,
    description: 'Turns automatic failover of a pair on or off.',
  })
  async setAutoFailover(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('id', { type: () => ID }) id: string,
    @Args('enabled') enabled: boolean,
    @idempotencyKeyArg() idempotencyKey?: string | null,
  ): Promise<RedundancyPair> {
    const call = commandCall(ctx, idempotencyKey, pairArgument);
    await this.requirePair(principal, id);
    await this.commands.send(SetAutoFailover, { pairId: id, enabled }, principal, call);
    return this.pairAfter(principal, id, call);
  }

  /** A reseller may act only on its own pairs: any other id is NOT_FOUND. */
  private async requirePair(principal: Principal, id: string): Promise<void> {
    if (principal.role !== 'reseller') return;
    if (!(await this.readModel.getPair(pairScopeOf(principal), id))) {
      throw gqlError(GqlErrorCode.NOT_FOUND, `Pair not found: ${id}`, { argument: 'id' });
    }
  }

  private async pairAfter(principal: Principal, id: string, call: CommandCall): Promise<RedundancyPair> {
    await this.barrier.caughtUp(PAIR_PROJECTION, pairStreamId(id), call.correlationId);
    const pair = await this.readModel.getPair(pairScopeOf(principal), id);
    if (!pair) throw gqlError(GqlErrorCode.NOT_FOUND, `Pair not found: ${id}`, { argument: 'id' });
    return pair;
  }
}
