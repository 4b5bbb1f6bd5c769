import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, CommandExecutor } from '@fleetwarden/platform';
import { catalogStreamId, WithdrawVersion } from '@fleetwarden/scheduling-contracts';
import { catalogDecider } from '@fleetwarden/scheduling-domain';

/** `WithdrawVersion` (operators only): new tasks may no longer target the version. */
@Controller()
export class WithdrawVersionHandler {
  constructor(private readonly executor: CommandExecutor) {}

  @MessagePattern(WithdrawVersion.name)
  async handle(
    @Payload() payload: unknown,
    @Ctx() ctx: JetStreamCommandContext,
  ): Promise<{ component: string; version: string }> {
    const data = parseOrThrow(WithdrawVersion.request, payload, `${WithdrawVersion.name} request`);
    const caller = authorize(ctx.getMeta(), WithdrawVersion.name, { operatorOnly: true });
    await this.executor.execute({
      streamId: catalogStreamId(data.component),
      decider: catalogDecider,
      command: { type: 'WithdrawVersion', data },
      meta: caller.meta,
      context: 'scheduling',
      resellerOf: () => null,
    });
    return { component: data.component, version: data.version };
  }
}
