import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import { RecordEmergencyUpdate, RecordPatchInstall } from '@fleetwarden/compliance-contracts';
import { serverComplianceOf, unknownServer, type Money } from '@fleetwarden/compliance-domain';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, FORBIDDEN_CODE } from '@fleetwarden/platform';
import { ForbiddenError } from '@fleetwarden/shared-domain';
import { loadServers } from '../common/install-recorder';
import { ComplianceRuntime } from '../compliance-runtime';
import { complianceTables } from '../view/compliance-view';

type InstallReply = {
  serverId: string;
  recorded: boolean;
  charge: Money | null;
  unapprovedPatches: string[];
  state: 'ok' | 'alerted' | 'breached' | null;
};

/**
 * `RecordPatchInstall` and `RecordEmergencyUpdate` on `<ns>.cmd.compliance.*`, through the
 * server book. A reseller records installs on its own servers only (another's server is
 * unknown), and only its own or automated regular or urgent ones: installs by operations and
 * emergency updates are the operators'.
 */
@Controller()
export class ServerComplianceCommandsHandler {
  constructor(private readonly runtime: ComplianceRuntime) {}

  @MessagePattern(RecordPatchInstall.name)
  async recordInstall(@Payload() payload: unknown, @Ctx() ctx: JetStreamCommandContext): Promise<InstallReply> {
    const data = parseOrThrow(RecordPatchInstall.request, payload, `${RecordPatchInstall.name} request`);
    const caller = authorize(ctx.getMeta(), RecordPatchInstall.name);
    if (caller.role === 'reseller' && (data.startedBy === 'operations' || data.kind === 'emergency')) {
      throw new ForbiddenError(
        FORBIDDEN_CODE,
        'a reseller may not record installs started by operations or emergency installs',
        { details: { command: RecordPatchInstall.name, startedBy: data.startedBy, kind: data.kind } },
      );
    }
    const [outcome] = await this.runtime.recorder.recordAll([{ ...data, reseller: caller.reseller }]);
    if (!outcome.ok) throw outcome.error;
    const charge = outcome.events.find((e) => e.type === 'ChargeRecorded');
    const flagged = outcome.events.find((e) => e.type === 'UnapprovedPatchFlagged');
    const status = outcome.state ? serverComplianceOf(outcome.state, outcome.now, this.runtime.timeZone) : null;
    return {
      serverId: data.serverId,
      recorded: outcome.events.length > 0,
      charge: charge?.type === 'ChargeRecorded' ? { ...charge.data.amount } : null,
      unapprovedPatches: flagged?.type === 'UnapprovedPatchFlagged' ? [...flagged.data.patches] : [],
      state: status?.state ?? null,
    };
  }

  @MessagePattern(RecordEmergencyUpdate.name)
  async recordEmergency(
    @Payload() payload: unknown,
    @Ctx() ctx: JetStreamCommandContext,
  ): Promise<{ serverId: string; emergencyUpdateId: string; reseller: string }> {
    const data = parseOrThrow(RecordEmergencyUpdate.request, payload, `${RecordEmergencyUpdate.name} request`);
    const caller = authorize(ctx.getMeta(), RecordEmergencyUpdate.name, { operatorOnly: true });
    const { store, schema, book, clock } = this.runtime;
    const row = (await loadServers(store, complianceTables(schema).servers, [data.serverId])).get(data.serverId);
    if (!row || row.decommissioned) throw unknownServer(data.serverId);
    book.invalidate(data.serverId, row.stream_version);
    try {
      await book.run(data.serverId, row.reseller_id, () => ({
        type: 'RecordEmergencyUpdate',
        data: { ...data, by: caller.meta.actor ?? 'unknown', now: clock.now().toISOString() },
        resolved: { serverKnown: true, reseller: row.reseller_id, hostingProvider: row.hosting_provider },
      }));
    } finally {
      if (!this.runtime.isLeader) book.forget(data.serverId);
    }
    return { serverId: data.serverId, emergencyUpdateId: data.emergencyUpdateId, reseller: row.reseller_id };
  }
}
