import { createHash, randomUUID } from 'node:crypto';
import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, canSee, CommandExecutor, type Caller } from '@fleetwarden/platform';
import {
  ConfigureHaCluster,
  PairConfigured,
  RunHaHealthCheck,
  haClusterStreamId,
  pairStreamId,
  type HaComponent,
  type HaHealthReport,
} from '@fleetwarden/redundancy-contracts';
import {
  haClusterDecider,
  haClusterNotFound,
  type HaClusterCommand,
  type HaClusterEvent,
  type HaClusterSource,
  type HaClusterState,
  type HaHealthChecked,
} from '@fleetwarden/redundancy-domain';
import { RedundancyRuntime } from '../redundancy-runtime';
import { redundancyTables } from '../view/redundancy-view';
import { HaProber } from './ha-prober';

/** What one check covers: a configured cluster's components, or a pair's two members as servers. */
interface CheckTarget {
  source: HaClusterSource;
  components: HaComponent[];
  tenant: string | null;
}

/**
 * `ConfigureHaCluster` and `RunHaHealthCheck` on `<ns>.cmd.redundancy.*`. Another tenant's
 * cluster or pair is "not found". A check asks every component's agent at once (see
 * {@link HaProber}), has the decider judge the answers and records the report on the cluster's
 * stream before replying it.
 */
@Controller()
export class HaClusterCommandsHandler {
  constructor(
    private readonly runtime: RedundancyRuntime,
    private readonly executor: CommandExecutor,
    private readonly prober: HaProber,
  ) {}

  @MessagePattern(ConfigureHaCluster.name)
  async configure(
    @Payload() payload: unknown,
    @Ctx() ctx: JetStreamCommandContext,
  ): Promise<{ clusterId: string; components: HaComponent[] }> {
    const data = parseOrThrow(ConfigureHaCluster.request, payload, `${ConfigureHaCluster.name} request`);
    const caller = authorize(ctx.getMeta(), ConfigureHaCluster.name);
    const ids = [...new Set(data.components.map((c) => c.serverId))];
    const t = redundancyTables(this.runtime.schema);
    const { rows } = await this.runtime.store.transaction((tx) =>
      tx.query<{ server_id: string; reseller_id: string; decommissioned: boolean }>(
        `SELECT server_id, reseller_id, decommissioned FROM ${t.servers} WHERE server_id = ANY($1::text[])`,
        [ids],
      ),
    );
    const visible = rows.filter((s) => !s.decommissioned && canSee(caller, s.reseller_id));
    const unknownServerIds = ids.filter((id) => !visible.some((s) => s.server_id === id));
    const resellers = [...new Set(visible.map((s) => s.reseller_id))];
    const tenant = caller.reseller ?? (resellers.length === 1 ? resellers[0] : null);
    const pairExists = (await this.runtime.store.streamVersion(pairStreamId(data.clusterId))) > 0;
    const result = await this.execute(caller, data.clusterId, tenant, {
      type: 'ConfigureHaCluster',
      data: {
        clusterId: data.clusterId,
        components: data.components,
        tenant,
        configuredBy: caller.meta.actor ?? 'unknown',
      },
      resolved: { unknownServerIds, pairExists },
    });
    return { clusterId: data.clusterId, components: result.components };
  }

  @MessagePattern(RunHaHealthCheck.name)
  async check(@Payload() payload: unknown, @Ctx() ctx: JetStreamCommandContext): Promise<HaHealthReport> {
    const { clusterId } = parseOrThrow(RunHaHealthCheck.request, payload, `${RunHaHealthCheck.name} request`);
    const caller = authorize(ctx.getMeta(), RunHaHealthCheck.name);
    const streamId = haClusterStreamId(clusterId);
    const { state } = await this.executor.load(streamId, haClusterDecider);
    const target: CheckTarget | null = state.exists
      ? { source: 'cluster', components: state.components, tenant: state.tenant }
      : await this.pairTarget(clusterId);
    if (target === null || !canSee(caller, target.tenant)) throw haClusterNotFound(clusterId);

    const key = caller.meta.idempotencyKey;
    const checkId = key
      ? `chk-${createHash('sha256').update(`${clusterId}\u0000${key}`).digest('hex').slice(0, 32)}`
      : randomUUID();
    const earlier = await this.findCheck(streamId, checkId);
    if (earlier) return earlier;

    const probes = await this.prober.probe(clusterId, checkId, target.components);
    await this.execute(caller, clusterId, target.tenant, {
      type: 'RecordHaHealthCheck',
      data: {
        clusterId,
        checkId,
        now: this.runtime.clock.now().toISOString(),
        by: caller.meta.actor ?? 'unknown',
        source: target.source,
        components: target.components,
        probes,
      },
    });
    const recorded = await this.findCheck(streamId, checkId);
    if (!recorded) throw new Error(`check ${checkId} of ${clusterId} was not recorded`);
    return recorded;
  }

  /** The pair `pairId`'s two members as servers (addresses as configured), or null when there is no such pair. */
  private async pairTarget(pairId: string): Promise<CheckTarget | null> {
    const events = await this.runtime.store.readStream(pairStreamId(pairId));
    const last = events.filter((e) => e.type === PairConfigured.type).pop();
    if (!last) return null;
    const pair = PairConfigured.parse(last.data);
    return {
      source: 'pair',
      components: [
        { serverId: pair.primaryServerId, role: 'server', address: pair.primaryAddress },
        { serverId: pair.secondaryServerId, role: 'server', address: pair.secondaryAddress },
      ],
      tenant: pair.tenant,
    };
  }

  /** The report of check `checkId` when it is recorded on the stream. */
  private async findCheck(streamId: string, checkId: string): Promise<HaHealthReport | undefined> {
    const events = await this.runtime.store.readStream(streamId);
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i];
      if (e.type !== 'HaHealthChecked') continue;
      const { by: _by, ...report } = (e as unknown as HaHealthChecked).data;
      if (report.checkId === checkId) return report;
    }
    return undefined;
  }

  /** Runs a command on the cluster's stream after the tenancy check on the state it is decided on. */
  private async execute(
    caller: Caller,
    clusterId: string,
    tenant: string | null,
    command: HaClusterCommand,
  ): Promise<HaClusterState> {
    const guard = (state: HaClusterState) => {
      if (state.exists && !canSee(caller, state.tenant)) throw haClusterNotFound(clusterId);
    };
    const result = await this.executor.execute<HaClusterCommand, HaClusterEvent, HaClusterState>({
      streamId: haClusterStreamId(clusterId),
      decider: {
        ...haClusterDecider,
        decide: (cmd, state) => {
          guard(state);
          return haClusterDecider.decide(cmd, state);
        },
      },
      command,
      meta: caller.meta,
      context: 'redundancy',
      resellerOf: (state) => (state.exists ? state.tenant : tenant),
    });
    if (result.duplicate) guard(result.state);
    return result.state;
  }
}
