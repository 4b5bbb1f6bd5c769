import { Inject, Injectable, Optional, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import type { CommandMeta, Subjects } from '@fleetwarden/contracts';
import { CancelRollout } from '@fleetwarden/execution-contracts';
import { CommandTimeoutError, JetStreamClientProxy, NoRespondersError } from '@fleetwarden/messaging';
import { NATS_CONNECTION, SUBJECTS } from '@fleetwarden/platform';
import { ExecutionUnavailableError } from '../common/scheduling-service.errors';
import { SCHEDULING_SERVICE_OPTIONS, type SchedulingServiceOptions } from '../scheduling-runtime';

/** Default of {@link SchedulingServiceOptions.executionTimeoutMs}. */
export const DEFAULT_EXECUTION_TIMEOUT_MS = 2000;

/** What the execution service answers to `CancelRollout`. */
export interface RolloutCancelled {
  taskId: string;
  /** Servers whose job had started: they run on. */
  startedServerIds: string[];
  cancelledServerIds: string[];
}

/**
 * Sends commands to the execution service (`<ns>.cmd.execution.*`) on the process's NATS
 * connection. When no instance listens or none answers in time it throws
 * {@link ExecutionUnavailableError}; an error reply keeps its remote code.
 */
@Injectable()
export class ExecutionCommands implements OnApplicationShutdown {
  private readonly client: JetStreamClientProxy;

  constructor(
    @Inject(NATS_CONNECTION) nats: NatsConnection,
    @Inject(SUBJECTS) subjects: Subjects,
    @Optional() @Inject(SCHEDULING_SERVICE_OPTIONS) options: SchedulingServiceOptions | null,
  ) {
    this.client = new JetStreamClientProxy({
      connection: nats,
      subjects,
      timeoutMs: options?.executionTimeoutMs ?? DEFAULT_EXECUTION_TIMEOUT_MS,
    });
  }

  /** Stops the task's rollout from starting further servers; replies which had started. */
  async cancelRollout(taskId: string, meta: CommandMeta): Promise<RolloutCancelled> {
    let reply: unknown;
    try {
      reply = await this.client.command(
        { context: CancelRollout.context, command: CancelRollout.name },
        CancelRollout.request.parse({ taskId }),
        { meta },
      );
    } catch (err) {
      if (err instanceof NoRespondersError) {
        throw new ExecutionUnavailableError(taskId, 'no instance is running', { cause: err });
      }
      if (err instanceof CommandTimeoutError) {
        throw new ExecutionUnavailableError(taskId, `no reply within ${err.timeoutMs} ms`, { cause: err });
      }
      throw err;
    }
    const checked = CancelRollout.reply.safeParse(reply);
    if (!checked.success || checked.data.taskId !== taskId) {
      throw new Error(`CancelRollout of task ${taskId}: unexpected reply ${JSON.stringify(reply)}`);
    }
    return checked.data;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
