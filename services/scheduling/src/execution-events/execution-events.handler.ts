import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { RolloutFinished, RolloutHalted } from '@fleetwarden/execution-contracts';
import type { EventEnvelope, EventHandlerExtras } from '@fleetwarden/messaging';
import { CommandExecutor } from '@fleetwarden/platform';
import { SchedulingErrorCode } from '@fleetwarden/scheduling-domain';
import { taskStreamId } from '@fleetwarden/scheduling-contracts';
import { isDomainError } from '@fleetwarden/shared-domain';
import { rolloutReactionDecider, type RolloutReport } from './rollout-reactions';

/** Handler part of the durable consumer's name: `<NS>_scheduling_execution-events`. */
export const EXECUTION_EVENTS_CONSUMER = 'execution-events';

/** Actor of the task commands caused by execution events. */
export const EXECUTION_EVENTS_ACTOR = 'system:execution';

/**
 * Brings update tasks up to date with their rollouts: a durable consumer of
 * `<ns>.events.execution.>` (acked once the task's events are committed) turns `RolloutHalted`
 * and `RolloutFinished` into task commands (see `commandsFor`). Idempotent by event id: the
 * commands carry it as their idempotency key, so a redelivered event appends nothing. A report
 * on a task that is no longer processing (cancelled, or already finished) is skipped.
 */
@Controller()
export class ExecutionEventsHandler {
  private readonly logger = new Logger(ExecutionEventsHandler.name);

  constructor(private readonly executor: CommandExecutor) {}

  @EventPattern('execution.>', { consumer: EXECUTION_EVENTS_CONSUMER } satisfies EventHandlerExtras)
  async handle(@Payload() envelope: EventEnvelope): Promise<void> {
    const report = reportOf(envelope);
    if (!report) return;
    try {
      await this.executor.execute({
        streamId: taskStreamId(report.data.taskId),
        decider: rolloutReactionDecider,
        command: report,
        meta: {
          actor: EXECUTION_EVENTS_ACTOR,
          role: 'system',
          correlationId: envelope.metadata.correlationId,
          idempotencyKey: envelope.eventId,
        },
        context: 'scheduling',
        resellerOf: (s) => s.tenant,
        causationId: envelope.eventId,
      });
    } catch (err) {
      if (!isDomainError(err, SchedulingErrorCode.TaskNotProcessing)) throw err;
      this.logger.debug(`${envelope.type} ${envelope.eventId} skipped: ${err.message}`);
    }
  }
}

/** The report an execution event carries, validated; null for the events tasks do not follow. */
function reportOf(envelope: EventEnvelope): RolloutReport | null {
  switch (envelope.type) {
    case RolloutHalted.type:
      requireVersion(envelope, RolloutHalted.version);
      return { type: RolloutHalted.type, data: RolloutHalted.parse(envelope.data) };
    case RolloutFinished.type:
      requireVersion(envelope, RolloutFinished.version);
      return { type: RolloutFinished.type, data: RolloutFinished.parse(envelope.data) };
    default:
      return null;
  }
}

function requireVersion(envelope: EventEnvelope, version: number): void {
  if (envelope.schemaVersion !== version) {
    throw new Error(`${envelope.type} v${envelope.schemaVersion} is not understood here (v${version} is)`);
  }
}
