import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import { SetAutomatedUpdates, patchAutomationStreamId } from '@fleetwarden/compliance-contracts';
import { automatedUpdatesDecider } from '@fleetwarden/compliance-domain';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, canSee, FORBIDDEN_CODE } from '@fleetwarden/platform';
import { ForbiddenError } from '@fleetwarden/shared-domain';
import { ComplianceRuntime } from '../compliance-runtime';

/** `SetAutomatedUpdates`: a reseller for itself, or an operator for any reseller. */
@Controller()
export class AutomatedUpdatesCommandsHandler {
  constructor(private readonly runtime: ComplianceRuntime) {}

  @MessagePattern(SetAutomatedUpdates.name)
  async set(
    @Payload() payload: unknown,
    @Ctx() ctx: JetStreamCommandContext,
  ): Promise<{ reseller: string; enabled: boolean }> {
    const data = parseOrThrow(SetAutomatedUpdates.request, payload, `${SetAutomatedUpdates.name} request`);
    const caller = authorize(ctx.getMeta(), SetAutomatedUpdates.name);
    if (!canSee(caller, data.reseller)) {
      throw new ForbiddenError(FORBIDDEN_CODE, `a reseller may set the automated updates of itself only`, {
        details: { command: SetAutomatedUpdates.name, reseller: data.reseller },
      });
    }
    const { executor, clock } = this.runtime;
    await executor.execute({
      streamId: patchAutomationStreamId(data.reseller),
      decider: automatedUpdatesDecider,
      command: {
        type: 'SetAutomatedUpdates',
        data: { ...data, by: caller.meta.actor ?? 'unknown', now: clock.now().toISOString() },
      },
      meta: caller.meta,
      context: 'compliance',
      resellerOf: () => data.reseller,
    });
    return { reseller: data.reseller, enabled: data.enabled };
  }
}
