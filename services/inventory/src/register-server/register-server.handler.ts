import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import { RegisterServer, serverStreamId } from '@fleetwarden/inventory-contracts';
import { serverDecider } from '@fleetwarden/inventory-domain';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, CommandExecutor } from '@fleetwarden/platform';
import { ServerDirectory } from '../server-directory/server-directory';

/** `RegisterServer`: operators register a server before (or without) its agent's hello. */
@Controller()
export class RegisterServerHandler {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly directory: ServerDirectory,
  ) {}

  @MessagePattern(RegisterServer.name)
  async handle(@Payload() payload: unknown, @Ctx() ctx: JetStreamCommandContext): Promise<{ serverId: string }> {
    const data = parseOrThrow(RegisterServer.request, payload, `${RegisterServer.name} request`);
    const caller = authorize(ctx.getMeta(), RegisterServer.name, { operatorOnly: true });
    const result = await this.executor.execute({
      streamId: serverStreamId(data.serverId),
      decider: serverDecider,
      command: { type: 'RegisterServer', data },
      meta: caller.meta,
      context: 'inventory',
      resellerOf: (s) => s.reseller?.id ?? null,
    });
    this.directory.note(result.state, result.version);
    return { serverId: data.serverId };
  }
}
