import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import { DecommissionServer, serverStreamId } from '@fleetwarden/inventory-contracts';
import { serverDecider } from '@fleetwarden/inventory-domain';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, CommandExecutor } from '@fleetwarden/platform';
import { executeGuarded } from '../common/guarded-execution';
import { serverGuard } from '../common/server-guard';
import { ServerDirectory } from '../server-directory/server-directory';

/** `DecommissionServer`: takes a server out of the inventory; its agent is refused from then on. */
@Controller()
export class DecommissionServerHandler {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly directory: ServerDirectory,
  ) {}

  @MessagePattern(DecommissionServer.name)
  async handle(@Payload() payload: unknown, @Ctx() ctx: JetStreamCommandContext): Promise<{ serverId: string }> {
    const data = parseOrThrow(DecommissionServer.request, payload, `${DecommissionServer.name} request`);
    const caller = authorize(ctx.getMeta(), DecommissionServer.name);
    const result = await executeGuarded(
      this.executor,
      {
        streamId: serverStreamId(data.serverId),
        decider: serverDecider,
        command: { type: 'DecommissionServer', data },
        meta: caller.meta,
        context: 'inventory',
        resellerOf: (s) => s.reseller?.id ?? null,
      },
      serverGuard(caller, data.serverId),
    );
    this.directory.note(result.state, result.version);
    return { serverId: data.serverId };
  }
}
