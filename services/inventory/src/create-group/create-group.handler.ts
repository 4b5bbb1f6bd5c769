import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import { CreateGroup, groupStreamId } from '@fleetwarden/inventory-contracts';
import { groupAlreadyExists, groupDecider } from '@fleetwarden/inventory-domain';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, canSee, CommandExecutor } from '@fleetwarden/platform';
import { ServerLookup } from '../server-directory/server-lookup';

/**
 * `CreateGroup`: a reseller's group belongs to it and holds only its servers; an operator's
 * group (reseller null) may hold any.
 */
@Controller()
export class CreateGroupHandler {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly servers: ServerLookup,
  ) {}

  @MessagePattern(CreateGroup.name)
  async handle(@Payload() payload: unknown, @Ctx() ctx: JetStreamCommandContext): Promise<{ groupId: string }> {
    const data = parseOrThrow(CreateGroup.request, payload, `${CreateGroup.name} request`);
    const caller = authorize(ctx.getMeta(), CreateGroup.name);
    const reseller = caller.role === 'reseller' ? caller.reseller : null;
    await this.servers.requireServers(data.serverIds, caller, { allowDecommissioned: false, groupReseller: reseller });
    const result = await this.executor.execute({
      streamId: groupStreamId(data.groupId),
      decider: groupDecider,
      command: { type: 'CreateGroup', data: { ...data, reseller } },
      meta: caller.meta,
      context: 'inventory',
      resellerOf: (s) => s.reseller,
    });
    if (result.duplicate && !canSee(caller, result.state.reseller)) throw groupAlreadyExists(data.groupId);
    return { groupId: data.groupId };
  }
}
