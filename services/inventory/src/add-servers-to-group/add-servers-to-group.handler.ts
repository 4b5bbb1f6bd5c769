import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import { AddServersToGroup, groupStreamId } from '@fleetwarden/inventory-contracts';
import { groupDecider } from '@fleetwarden/inventory-domain';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, CommandExecutor } from '@fleetwarden/platform';
import { executeGuarded } from '../common/guarded-execution';
import { groupGuard } from '../common/group-guard';
import { ServerLookup } from '../server-directory/server-lookup';

/** `AddServersToGroup`: servers already in the group are ignored. */
@Controller()
export class AddServersToGroupHandler {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly servers: ServerLookup,
  ) {}

  @MessagePattern(AddServersToGroup.name)
  async handle(
    @Payload() payload: unknown,
    @Ctx() ctx: JetStreamCommandContext,
  ): Promise<{ groupId: string; added: number }> {
    const data = parseOrThrow(AddServersToGroup.request, payload, `${AddServersToGroup.name} request`);
    const caller = authorize(ctx.getMeta(), AddServersToGroup.name);
    const streamId = groupStreamId(data.groupId);
    const guard = groupGuard(caller, data.groupId);
    const { state } = await this.executor.load(streamId, groupDecider);
    guard(state);
    await this.servers.requireServers(data.serverIds, caller, {
      allowDecommissioned: false,
      groupReseller: state.reseller,
    });
    const result = await executeGuarded(
      this.executor,
      {
        streamId,
        decider: groupDecider,
        command: { type: 'AddServersToGroup', data },
        meta: caller.meta,
        context: 'inventory',
        resellerOf: (s) => s.reseller,
      },
      guard,
    );
    const added = result.events.reduce(
      (n, e) => n + (e.type === 'ServersAddedToGroup' ? e.data.serverIds.length : 0),
      0,
    );
    return { groupId: data.groupId, added };
  }
}
