import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import { RemoveServersFromGroup, groupStreamId } from '@fleetwarden/inventory-contracts';
import { groupDecider } from '@fleetwarden/inventory-domain';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, CommandExecutor } from '@fleetwarden/platform';
import { executeGuarded } from '../common/guarded-execution';
import { groupGuard } from '../common/group-guard';
import { ServerLookup } from '../server-directory/server-lookup';

/**
 * `RemoveServersFromGroup`: servers not in the group are ignored, but every id must name a
 * server the caller may see; decommissioned servers can be removed.
 */
@Controller()
export class RemoveServersFromGroupHandler {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly servers: ServerLookup,
  ) {}

  @MessagePattern(RemoveServersFromGroup.name)
  async handle(
    @Payload() payload: unknown,
    @Ctx() ctx: JetStreamCommandContext,
  ): Promise<{ groupId: string; removed: number }> {
    const data = parseOrThrow(RemoveServersFromGroup.request, payload, `${RemoveServersFromGroup.name} request`);
    const caller = authorize(ctx.getMeta(), RemoveServersFromGroup.name);
    const streamId = groupStreamId(data.groupId);
    const guard = groupGuard(caller, data.groupId);
    const { state } = await this.executor.load(streamId, groupDecider);
    guard(state);
    await this.servers.requireServers(data.serverIds, caller, { allowDecommissioned: true, groupReseller: null });
    const result = await executeGuarded(
      this.executor,
      {
        streamId,
        decider: groupDecider,
        command: { type: 'RemoveServersFromGroup', data },
        meta: caller.meta,
        context: 'inventory',
        resellerOf: (s) => s.reseller,
      },
      guard,
    );
    const removed = result.events.reduce(
      (n, e) => n + (e.type === 'ServersRemovedFromGroup' ? e.data.serverIds.length : 0),
      0,
    );
    return { groupId: data.groupId, removed };
  }
}
