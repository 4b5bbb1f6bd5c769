import { Inject, UseGuards } from '@nestjs/common';
import { Args, Context, ID, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { CLOCK } from '@fleetwarden/platform';
import type { Clock } from '@fleetwarden/shared-domain';
import { AuthGuard, CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/jwt-tokens';
import { BatchLoader } from '../graphql/batch-loader';
import { perRequest, type GatewayContext } from '../graphql/gateway-context';
import { badUserInput } from '../graphql/graphql-errors';
import { Server } from '../inventory/models/server.model';
import { ComplianceReadModel, resellerScope } from './compliance.read-model';
import {
  ChargeList,
  ComplianceSummary,
  PatchAutomation,
  PatchBatch,
  PatchCycle,
  ServerCompliance,
  UrgentUpdate,
} from './models/compliance.model';

/** Longest range `charges` answers, in days. */
export const MAX_CHARGE_RANGE_DAYS = 400;
const DAY_MS = 86_400_000;
/** Operations takes the latest patches this often. */
export const PATCH_CYCLE_DAYS = 14;

const resellerArg = (description: string) => Args('reseller', { type: () => ID, nullable: true, description });

/** The compliance queries: the summary, the charges, urgent updates and patch batches. */
@Resolver()
@UseGuards(AuthGuard)
export class ComplianceResolver {
  constructor(
    private readonly readModel: ComplianceReadModel,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Query(() => ComplianceSummary, {
    description:
      "Patch compliance of the operator-hosted, live servers, by the gateway's clock with days in the operator's " +
      'time zone: counts per state and per bucket of days since the last install, and the charges to expect. ' +
      'A reseller sees its own servers only.',
  })
  compliance(
    @CurrentPrincipal() principal: Principal,
    @resellerArg('Only this reseller (a reseller: itself); every reseller when null.') reseller?: string | null,
  ): Promise<ComplianceSummary> {
    return this.readModel.summary(resellerScope(principal, reseller), this.clock.now());
  }

  @Query(() => ChargeList, {
    description:
      'Charges recorded in [from, to) (at most 400 days), oldest first, and their sum. A reseller sees its own only.',
  })
  charges(
    @CurrentPrincipal() principal: Principal,
    @Args('from', { type: () => Date }) from: Date,
    @Args('to', { type: () => Date, description: 'Exclusive; after `from`.' }) to: Date,
    @resellerArg('Only this reseller (a reseller: itself); every reseller when null.') reseller?: string | null,
  ): Promise<ChargeList> {
    if (!(from instanceof Date) || Number.isNaN(from.getTime())) throw badUserInput('from', 'must be a date-time');
    if (!(to instanceof Date) || Number.isNaN(to.getTime())) throw badUserInput('to', 'must be a date-time');
    if (to.getTime() <= from.getTime()) throw badUserInput('to', 'must be after "from"');
    if (to.getTime() - from.getTime() > MAX_CHARGE_RANGE_DAYS * DAY_MS) {
      throw badUserInput('to', `must be at most ${MAX_CHARGE_RANGE_DAYS} days after "from"`);
    }
    return this.readModel.charges(resellerScope(principal, reseller), from, to);
  }

  @Query(() => [UrgentUpdate], {
    description:
      'Urgent updates, newest first, with the progress of each affected reseller. A reseller sees those that affect ' +
      'it, with its own progress only.',
  })
  urgentUpdates(@CurrentPrincipal() principal: Principal): Promise<UrgentUpdate[]> {
    return this.readModel.urgentUpdates(resellerScope(principal, null));
  }

  @Query(() => [PatchBatch], { description: 'Patch batches of the approval cycle, newest first.' })
  patchBatches(): Promise<PatchBatch[]> {
    return this.readModel.patchBatches();
  }

  @Query(() => PatchCycle, {
    description:
      "Where the 14-day approval cycle stands by the gateway's clock: the last download and when the next is due.",
  })
  async patchCycle(): Promise<PatchCycle> {
    const batches = await this.readModel.patchBatches();
    const last = batches[0]?.downloadedAt ?? null;
    const approved = batches
      .map((b) => b.approvedAt)
      .filter((at): at is Date => at !== null)
      .sort((a, b) => b.getTime() - a.getTime());
    const due = last === null ? null : new Date(last.getTime() + PATCH_CYCLE_DAYS * DAY_MS);
    return {
      cycleDays: PATCH_CYCLE_DAYS,
      lastDownloadedAt: last,
      nextDownloadDueAt: due,
      overdue: due === null || due.getTime() <= this.clock.now().getTime(),
      lastApprovedAt: approved[0] ?? null,
    };
  }

  @Query(() => PatchAutomation, {
    nullable: true,
    description: "A reseller's automated OS updates (a reseller: its own); null when never set.",
  })
  patchAutomation(
    @CurrentPrincipal() principal: Principal,
    @Args('reseller', { type: () => ID }) reseller: string,
  ): Promise<PatchAutomation | null> {
    return this.readModel.automation(resellerScope(principal, reseller) ?? reseller);
  }
}

/** `Server.compliance`, batched per request. */
@Resolver(() => Server)
export class ServerComplianceResolver {
  constructor(
    private readonly readModel: ComplianceReadModel,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @ResolveField(() => ServerCompliance, {
    nullable: true,
    description:
      "Patch compliance by the gateway's clock, days in the operator's time zone; null for a partner-hosted or " +
      'decommissioned server (not subject to the patch policy).',
  })
  compliance(@Parent() server: Server, @Context() ctx: GatewayContext): Promise<ServerCompliance | null> {
    const loader = perRequest(ctx, 'server.compliance', () => {
      const now = this.clock.now();
      return new BatchLoader<string, ServerCompliance | null>(
        (ids: string[]) => this.readModel.ofServers(ids, now),
        () => null,
      );
    });
    return loader.load(server.id);
  }
}
