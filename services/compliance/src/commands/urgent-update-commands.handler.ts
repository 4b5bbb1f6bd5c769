import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import { DeclareUrgentUpdate, urgentUpdateStreamId } from '@fleetwarden/compliance-contracts';
import { urgentUpdateDecider, type AffectedServers } from '@fleetwarden/compliance-domain';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize } from '@fleetwarden/platform';
import { ComplianceRuntime } from '../compliance-runtime';
import { complianceTables } from '../view/compliance-view';

/**
 * `DeclareUrgentUpdate` (operators only). Which servers need which patches is not known per
 * server, so every operator-hosted server that is not decommissioned is affected, grouped by
 * reseller; partner-hosted servers are outside the patch policy.
 */
@Controller()
export class UrgentUpdateCommandsHandler {
  constructor(private readonly runtime: ComplianceRuntime) {}

  @MessagePattern(DeclareUrgentUpdate.name)
  async declare(
    @Payload() payload: unknown,
    @Ctx() ctx: JetStreamCommandContext,
  ): Promise<{ urgentUpdateId: string; resellerCount: number; serverCount: number }> {
    const data = parseOrThrow(DeclareUrgentUpdate.request, payload, `${DeclareUrgentUpdate.name} request`);
    const caller = authorize(ctx.getMeta(), DeclareUrgentUpdate.name, { operatorOnly: true });
    const { store, schema, executor, clock } = this.runtime;
    const t = complianceTables(schema);
    const { rows } = await store.transaction((tx) =>
      tx.query<{ reseller_id: string; server_ids: string[] }>(
        `SELECT reseller_id, array_agg(server_id ORDER BY server_id) AS server_ids FROM ${t.servers}
         WHERE hosting_provider = 'operator' AND NOT decommissioned GROUP BY reseller_id ORDER BY reseller_id`,
      ),
    );
    const affected: AffectedServers[] = rows.map((r) => ({ reseller: r.reseller_id, serverIds: r.server_ids }));
    const { state } = await executor.execute({
      streamId: urgentUpdateStreamId(data.urgentUpdateId),
      decider: urgentUpdateDecider,
      command: {
        type: 'DeclareUrgentUpdate',
        data: { ...data, by: caller.meta.actor ?? 'unknown', now: clock.now().toISOString() },
        resolved: { affected },
      },
      meta: caller.meta,
      context: 'compliance',
      resellerOf: () => null,
    });
    return {
      urgentUpdateId: data.urgentUpdateId,
      resellerCount: state.resellers.length,
      serverCount: state.resellers.reduce((sum, r) => sum + r.serverIds.length, 0),
    };
  }
}
