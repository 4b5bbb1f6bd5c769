import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseOrThrow } from '@fleetwarden/contracts';
import { CancelRollout } from '@fleetwarden/execution-contracts';
import { NotFoundError } from '@fleetwarden/shared-domain';
import type { JetStreamCommandContext } from '@fleetwarden/messaging';
import { authorize, canSee } from '@fleetwarden/platform';
import { ExecutionRuntime } from '../execution-runtime';
import { executionTables, setTaskStatus, sql } from '../rollouts/execution-tables';

/**
 * `CancelRollout` (sent by the scheduling service when a processing task is cancelled): the
 * servers not yet dispatched are cancelled, those already started run on and are named in the
 * reply. Before the rollout began (its start not handled yet) the rollout ends cancelled, and the
 * late start changes nothing. Runs through the same per-task queue as the driver when this
 * instance leads; otherwise the expected-version check orders it against the leader's writes.
 */
@Controller()
export class CancelRolloutHandler {
  constructor(private readonly runtime: ExecutionRuntime) {}

  @MessagePattern(CancelRollout.name)
  async handle(
    @Payload() payload: unknown,
    @Ctx() ctx: JetStreamCommandContext,
  ): Promise<{ taskId: string; startedServerIds: string[]; cancelledServerIds: string[] }> {
    const { taskId } = parseOrThrow(CancelRollout.request, payload, `${CancelRollout.name} request`);
    const caller = authorize(ctx.getMeta(), CancelRollout.name);
    const { store, schema, driver, clock } = this.runtime;
    const t = executionTables(schema);
    const { rows } = await sql<{ tenant: string | null }>(store, `SELECT tenant FROM ${t.tasks} WHERE task_id = $1`, [
      taskId,
    ]);
    // Unknown here only while the task's events are still on their way: the scheduling service,
    // the only sender, has checked the task and the caller.
    const tenant = rows[0]?.tenant ?? caller.reseller;
    if (rows[0] && !canSee(caller, tenant)) {
      throw new NotFoundError('ROLLOUT.TASK_NOT_FOUND', `Task ${taskId} not found`, { details: { taskId } });
    }
    const now = clock.now().toISOString();
    await driver.book.run(taskId, tenant, () => ({ type: 'CancelRollout', data: { taskId, now } }));
    const state = driver.book.peek(taskId);
    if (!driver.isLeader) driver.book.forget(taskId);
    if (state?.status === 'finished' && rows[0]) await setTaskStatus(store, schema, taskId, 'finished');
    const servers = state?.servers ?? [];
    return {
      taskId,
      startedServerIds: servers.filter((s) => s.startedAt !== null).map((s) => s.serverId),
      cancelledServerIds: servers.filter((s) => s.status === 'cancelled').map((s) => s.serverId),
    };
  }
}
