import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import { SetServerStage, serverStreamId, type Stage } from '@fleetwarden/inventory-contracts';
import { serverDecider } from '@fleetwarden/inventory-domain';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, CommandExecutor } from '@fleetwarden/platform';
import { executeGuarded } from '../common/guarded-execution';
import { InventoryRuntime } from '../inventory-runtime';
import { serverGuard } from '../common/server-guard';

/**
 * `SetServerStage`: moves a server image to another stage. Refused on the inactive member of a
 * redundancy pair (a configuration change; the redundancy service keeps its own settings).
 */
@Controller()
export class SetServerStageHandler {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly runtime: InventoryRuntime,
  ) {}

  @MessagePattern(SetServerStage.name)
  async handle(
    @Payload() payload: unknown,
    @Ctx() ctx: JetStreamCommandContext,
  ): Promise<{ serverId: string; stage: Stage }> {
    const data = parseOrThrow(SetServerStage.request, payload, `${SetServerStage.name} request`);
    const caller = authorize(ctx.getMeta(), SetServerStage.name);
    const inactiveMemberOf = await this.runtime.pairRoles.inactiveMemberOf(data.serverId);
    const result = await executeGuarded(
      this.executor,
      {
        streamId: serverStreamId(data.serverId),
        decider: serverDecider,
        command: { type: 'SetServerStage', data, resolved: { inactiveMemberOf } },
        meta: caller.meta,
        context: 'inventory',
        resellerOf: (s) => s.reseller?.id ?? null,
      },
      serverGuard(caller, data.serverId),
    );
    return { serverId: data.serverId, stage: result.state.stage ?? data.stage };
  }
}
