import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import {
  ApprovePatchBatch,
  RecordPatchBatchDownload,
  RecordPatchBatchPilot,
  patchBatchStreamId,
} from '@fleetwarden/compliance-contracts';
import { patchBatchDecider, type PatchBatchCommand, type PatchBatchState } from '@fleetwarden/compliance-domain';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, type Caller } from '@fleetwarden/platform';
import { ComplianceRuntime } from '../compliance-runtime';

/**
 * The approval cycle of patch batches (operators only): `RecordPatchBatchDownload`,
 * `RecordPatchBatchPilot`, `ApprovePatchBatch` on `<ns>.cmd.compliance.*`.
 */
@Controller()
export class PatchBatchCommandsHandler {
  constructor(private readonly runtime: ComplianceRuntime) {}

  @MessagePattern(RecordPatchBatchDownload.name)
  async download(@Payload() payload: unknown, @Ctx() ctx: JetStreamCommandContext): Promise<{ batchId: string }> {
    const data = parseOrThrow(RecordPatchBatchDownload.request, payload, `${RecordPatchBatchDownload.name} request`);
    const caller = authorize(ctx.getMeta(), RecordPatchBatchDownload.name, { operatorOnly: true });
    await this.run(caller, data.batchId, (by, now) => ({
      type: 'RecordPatchBatchDownload',
      data: { ...data, by, now },
    }));
    return { batchId: data.batchId };
  }

  @MessagePattern(RecordPatchBatchPilot.name)
  async pilot(
    @Payload() payload: unknown,
    @Ctx() ctx: JetStreamCommandContext,
  ): Promise<{ batchId: string; watchEndsAt: string }> {
    const data = parseOrThrow(RecordPatchBatchPilot.request, payload, `${RecordPatchBatchPilot.name} request`);
    const caller = authorize(ctx.getMeta(), RecordPatchBatchPilot.name, { operatorOnly: true });
    const state = await this.run(caller, data.batchId, (by, now) => ({
      type: 'RecordPatchBatchPilot',
      data: { ...data, by, now },
    }));
    return { batchId: data.batchId, watchEndsAt: state.watchEndsAt ?? '' };
  }

  @MessagePattern(ApprovePatchBatch.name)
  async approve(
    @Payload() payload: unknown,
    @Ctx() ctx: JetStreamCommandContext,
  ): Promise<{ batchId: string; patches: string[]; approvedAt: string }> {
    const data = parseOrThrow(ApprovePatchBatch.request, payload, `${ApprovePatchBatch.name} request`);
    const caller = authorize(ctx.getMeta(), ApprovePatchBatch.name, { operatorOnly: true });
    const state = await this.run(caller, data.batchId, (by, now) => ({
      type: 'ApprovePatchBatch',
      data: { batchId: data.batchId, by, now },
    }));
    return { batchId: data.batchId, patches: [...state.patches], approvedAt: state.approvedAt ?? '' };
  }

  private async run(
    caller: Caller,
    batchId: string,
    command: (by: string, now: string) => PatchBatchCommand,
  ): Promise<PatchBatchState> {
    const { executor, clock } = this.runtime;
    const result = await executor.execute({
      streamId: patchBatchStreamId(batchId),
      decider: patchBatchDecider,
      command: command(caller.meta.actor ?? 'unknown', clock.now().toISOString()),
      meta: caller.meta,
      context: 'compliance',
      resellerOf: () => null,
    });
    return result.state;
  }
}
