import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import { RenameGroup, groupStreamId } from '@fleetwarden/inventory-contracts';
import { groupDecider } from '@fleetwarden/inventory-domain';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, CommandExecutor } from '@fleetwarden/platform';
import { executeGuarded } from '../common/guarded-execution';
import { groupGuard } from '../common/group-guard';

/** `RenameGroup` */
@Controller()
export class RenameGroupHandler {
  constructor(private readonly executor: CommandExecutor) {}

  @MessagePattern(RenameGroup.name)
  async handle(@Payload() payload: unknown, @Ctx() ctx: JetStreamCommandContext): Promise<{ groupId: string }> {
    const data = parseOrThrow(RenameGroup.request, payload, `${RenameGroup.name} request`);
    const caller = authorize(ctx.getMeta(), RenameGroup.name);
    await executeGuarded(
      this.executor,
      {
        streamId: groupStreamId(data.groupId),
        decider: groupDecider,
        command: { type: 'RenameGroup', data },
        meta: caller.meta,
        context: 'inventory',
        resellerOf: (s) => s.reseller,
      },
      groupGuard(caller, data.groupId),
    );
    return { groupId: data.groupId };
  }
}
