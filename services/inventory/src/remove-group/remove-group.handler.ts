import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import { RemoveGroup, groupStreamId } from '@fleetwarden/inventory-contracts';
import { groupDecider, groupNotFound, type GroupState } from '@fleetwarden/inventory-domain';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, canSee, CommandExecutor } from '@fleetwarden/platform';
import { executeGuarded } from '../common/guarded-execution';
import { groupGuard } from '../common/group-guard';

/** `RemoveGroup`: the group goes; its servers stay. */
@Controller()
export class RemoveGroupHandler {
  constructor(private readonly executor: CommandExecutor) {}

  @MessagePattern(RemoveGroup.name)
  async handle(@Payload() payload: unknown, @Ctx() ctx: JetStreamCommandContext): Promise<{ groupId: string }> {
    const data = parseOrThrow(RemoveGroup.request, payload, `${RemoveGroup.name} request`);
    const caller = authorize(ctx.getMeta(), RemoveGroup.name);
    await executeGuarded(
      this.executor,
      {
        streamId: groupStreamId(data.groupId),
        decider: groupDecider,
        command: { type: 'RemoveGroup', data },
        meta: caller.meta,
        context: 'inventory',
        resellerOf: (s) => s.reseller,
      },
      groupGuard(caller, data.groupId),
      // A repeated RemoveGroup (same idempotency key) finds the group removed: that is its success.
      (state: GroupState) => {
        if (!canSee(caller, state.reseller)) throw groupNotFound(data.groupId);
      },
    );
    return { groupId: data.groupId };
  }
}
