import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, canSee, type Caller } from '@fleetwarden/platform';
import { ConfigurePair, ManualSwitchover, SetAutoFailover } from '@fleetwarden/redundancy-contracts';
import { pairNotFound, type PairCommand, type PairState } from '@fleetwarden/redundancy-domain';
import { RedundancyRuntime } from '../redundancy-runtime';
import { hashRedundancyKey } from '../pairs/redundancy-key';
import { redundancyTables } from '../view/redundancy-view';

/**
 * `ConfigurePair`, `SetAutoFailover`, `ManualSwitchover` on `<ns>.cmd.redundancy.*`. Each runs
 * through the pair book of this instance (the monitor's own when it leads, so that a switch and a
 * keep-alive are decided one after the other); another tenant's pair is "not found".
 */
@Controller()
export class PairCommandsHandler {
  constructor(private readonly runtime: RedundancyRuntime) {}

  @MessagePattern(ConfigurePair.name)
  async configure(@Payload() payload: unknown, @Ctx() ctx: JetStreamCommandContext): Promise<{ pairId: string }> {
    const data = parseOrThrow(ConfigurePair.request, payload, `${ConfigurePair.name} request`);
    const caller = authorize(ctx.getMeta(), ConfigurePair.name);
    const ids = [data.primaryServerId, data.secondaryServerId];
    const t = redundancyTables(this.runtime.schema);
    const { servers, members } = await this.runtime.store.transaction(async (tx) => ({
      servers: (
        await tx.query<{ server_id: string; reseller_id: string; decommissioned: boolean }>(
          `SELECT server_id, reseller_id, decommissioned FROM ${t.servers} WHERE server_id = ANY($1::text[])`,
          [ids],
        )
      ).rows,
      members: (
        await tx.query<{ server_id: string; pair_id: string }>(
          `SELECT server_id, pair_id FROM ${t.members} WHERE server_id = ANY($1::text[])`,
          [ids],
        )
      ).rows,
    }));
    const visible = servers.filter((s) => !s.decommissioned && canSee(caller, s.reseller_id));
    const unknownServerIds = [...new Set(ids)].filter((id) => !visible.some((s) => s.server_id === id));
    const serversInOtherPairs = members.filter((m) => m.pair_id !== data.pairId).map((m) => m.server_id);
    const resellers = [...new Set(visible.map((s) => s.reseller_id))];
    const tenant = caller.reseller ?? (resellers.length === 1 ? resellers[0] : null);
    const { redundancyKey, ...settings } = data;
    const redundancyKeyHash = await hashRedundancyKey(redundancyKey);
    await this.run(
      caller,
      data.pairId,
      tenant,
      () => ({
        type: 'ConfigurePair',
        data: { ...settings, redundancyKeyHash, tenant, configuredBy: caller.meta.actor ?? 'unknown' },
        resolved: { unknownServerIds, serversInOtherPairs },
      }),
      { allowNew: true },
    );
    return { pairId: data.pairId };
  }

  @MessagePattern(SetAutoFailover.name)
  async setAutoFailover(
    @Payload() payload: unknown,
    @Ctx() ctx: JetStreamCommandContext,
  ): Promise<{ pairId: string; enabled: boolean }> {
    const data = parseOrThrow(SetAutoFailover.request, payload, `${SetAutoFailover.name} request`);
    const caller = authorize(ctx.getMeta(), SetAutoFailover.name);
    await this.run(caller, data.pairId, null, () => ({
      type: 'SetAutoFailover',
      data: { pairId: data.pairId, enabled: data.enabled, by: caller.meta.actor ?? 'unknown' },
    }));
    return data;
  }

  @MessagePattern(ManualSwitchover.name)
  async switchover(
    @Payload() payload: unknown,
    @Ctx() ctx: JetStreamCommandContext,
  ): Promise<{ pairId: string; activeSystem: 'primary' | 'secondary'; switchedAt: string }> {
    const data = parseOrThrow(ManualSwitchover.request, payload, `${ManualSwitchover.name} request`);
    const caller = authorize(ctx.getMeta(), ManualSwitchover.name);
    const now = this.runtime.clock.now().toISOString();
    const state = await this.run(caller, data.pairId, null, () => ({
      type: 'ManualSwitchover',
      data: {
        pairId: data.pairId,
        now,
        by: caller.meta.actor ?? 'unknown',
        reason: data.reason,
        switchId: crypto.randomUUID(),
      },
    }));
    return { pairId: data.pairId, activeSystem: state.activeRole, switchedAt: state.lastSwitch?.at ?? now };
  }

  /** Runs a command after the tenancy check on the current state; returns the state after it. */
  private async run(
    caller: Caller,
    pairId: string,
    tenant: string | null,
    command: () => PairCommand,
    options: { allowNew?: boolean } = {},
  ): Promise<PairState> {
    const { monitor, isLeader } = this.runtime;
    const book = monitor.book;
    try {
      await book.run(pairId, tenant, (state) => {
        if (state.exists && !canSee(caller, state.config?.tenant ?? null)) throw pairNotFound(pairId);
        if (!state.exists && !options.allowNew) throw pairNotFound(pairId);
        return command();
      });
      const state = book.peek(pairId);
      if (!state) throw pairNotFound(pairId);
      return state;
    } finally {
      if (!isLeader) book.forget(pairId);
    }
  }
}
