import { UseGuards } from '@nestjs/common';
import { Args, Context, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';
import {
  ConfigureHaCluster,
  RunHaHealthCheck,
  type HaComponent as HaComponentData,
  type HaHealthReport as HaHealthReportData,
} from '@fleetwarden/redundancy-contracts';
import { AuthGuard, CurrentPrincipal, Roles } from '../auth/auth.guard';
import type { Principal } from '../auth/jwt-tokens';
import type { GatewayContext } from '../graphql/gateway-context';
import { GqlErrorCode } from '../graphql/graphql-errors';
import { commandCall } from '../inventory/inventory-commands';
import { HaCommands } from './ha-commands';
import { ConfigureHaClusterInput } from './models/ha-cluster.inputs';
import { HaClockResult, HaClusterSource, HaComponentRole, HaMessagingResult } from './models/ha-health.enums';
import { HaCluster, HaHealthReport, type HaComponent } from './models/ha-health.model';

const component = (c: { serverId: string; role: string }): HaComponent => ({
  id: c.serverId,
  role: c.role as HaComponentRole,
});

/** The report as GraphQL shows it: components by `id`, the check's time as `checkedAt`. */
export function toHaHealthReport(r: HaHealthReportData): HaHealthReport {
  return {
    clusterId: r.clusterId,
    checkId: r.checkId,
    checkedAt: new Date(r.at),
    source: r.source as HaClusterSource,
    components: r.components.map(component),
    messaging: r.messaging.map((m) => ({
      from: component(m.from),
      to: component(m.to),
      result: m.result as HaMessagingResult,
      transferTimeMs: m.transferTimeMs,
      recommendation: m.recommendation,
      detail: m.detail,
    })),
    clocks: r.clocks.map((c) => ({
      server: component(c.server),
      skewMs: c.skewMs,
      result: c.result as HaClockResult,
      recommendation: c.recommendation,
      detail: c.detail,
    })),
  };
}

const toCluster = (clusterId: string, components: HaComponentData[]): HaCluster => ({
  id: clusterId,
  components: components.map((c) => ({ id: c.serverId, role: c.role as HaComponentRole, address: c.address })),
});

/**
 * The HA health check (seed: "UMS HA Health Check"): `haHealthCheck` runs it through the
 * redundancy service and returns the report it recorded; `configureHaCluster` sets a cluster's
 * components. Operators and resellers (their own servers and pairs); auditors neither.
 */
@Resolver()
@UseGuards(AuthGuard)
@Roles('operator', 'reseller')
export class HaHealthResolver {
  constructor(private readonly commands: HaCommands) {}

  @Query(() => HaHealthReport, {
    nullable: true,
    description:
      'Runs the HA health check of a cluster, or of a redundancy pair (by its id: its two members), and returns ' +
      "the report it recorded: every component's messaging round trip to every other (OK with the transfer time, " +
      'SLOW, NO_CONNECTION, COMPONENT_DOWN) and its clock (CLOCK_SKEW at a minute or more), each with a ' +
      "recommendation. A component's agent that does not answer within 3 s is COMPONENT_DOWN. Null when the " +
      'caller has no cluster or pair of that id.',
  })
  async haHealthCheck(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('clusterId', { type: () => ID }) clusterId: string,
  ): Promise<HaHealthReport | null> {
    const call = commandCall(ctx, null, (f) => f);
    try {
      return toHaHealthReport(await this.commands.send(RunHaHealthCheck, { clusterId }, principal, call));
    } catch (err) {
      if (err instanceof GraphQLError && err.extensions.code === GqlErrorCode.NOT_FOUND) return null;
      throw err;
    }
  }

  @Mutation(() => HaCluster, {
    description:
      'Configures an HA cluster, or reconfigures it: 2-20 components (servers and load balancers), each on its own ' +
      "server of the caller's tenant, with the address its messaging is reached at. The id of a redundancy pair " +
      'is refused (check the pair by its id).',
  })
  async configureHaCluster(
    @CurrentPrincipal() principal: Principal,
    @Context() ctx: GatewayContext,
    @Args('input', { type: () => ConfigureHaClusterInput }) input: ConfigureHaClusterInput,
    @Args('idempotencyKey', {
      type: () => String,
      nullable: true,
      description: 'Repeating the mutation with the same key applies it once. Default: a new key.',
    })
    idempotencyKey?: string | null,
  ): Promise<HaCluster> {
    const call = commandCall(ctx, idempotencyKey, (f) => (f === 'clusterId' ? 'input.id' : `input.${f}`));
    const reply = await this.commands.send(
      ConfigureHaCluster,
      {
        clusterId: input.id,
        components: input.components.map((c) => ({ serverId: c.serverId, role: c.role, address: c.address })),
      },
      principal,
      call,
    );
    return toCluster(reply.clusterId, reply.components);
  }
}
