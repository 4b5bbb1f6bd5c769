import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, CommandExecutor } from '@fleetwarden/platform';
import { catalogStreamId, PublishVersion } from '@fleetwarden/scheduling-contracts';
import { catalogDecider } from '@fleetwarden/scheduling-domain';

/** `PublishVersion` (operators only): a released version joins the catalog of its component. */
@Controller()
export class PublishVersionHandler {
  constructor(private readonly executor: CommandExecutor) {}

  @MessagePattern(PublishVersion.name)
  async handle(
    @Payload() payload: unknown,
    @Ctx() ctx: JetStreamCommandContext,
  ): Promise<{ component: string; version: string }> {
    const data = parseOrThrow(PublishVersion.request, payload, `${PublishVersion.name} request`);
    const caller = authorize(ctx.getMeta(), PublishVersion.name, { operatorOnly: true });
    await this.executor.execute({
      streamId: catalogStreamId(data.component),
      decider: catalogDecider,
      command: { type: 'PublishVersion', data },
      meta: caller.meta,
      context: 'scheduling',
      resellerOf: () => null,
    });
    return { component: data.component, version: data.version };
  }
}
