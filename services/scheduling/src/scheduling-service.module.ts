import { Module } from '@nestjs/common';
import type { ServiceDefinition } from '@fleetwarden/platform';
import { CancelTaskHandler } from './cancel-task/cancel-task.handler';
import { ExecutionCommands } from './cancel-task/execution-commands';
import { DeleteTaskHandler } from './delete-task/delete-task.handler';
import { ExecutionEventsHandler } from './execution-events/execution-events.handler';
import { PingHandler } from './ping/ping.handler';
import { PublishVersionHandler } from './publish-version/publish-version.handler';
import { RetryFailedServersHandler } from './retry-failed-servers/retry-failed-servers.handler';
import { ScheduleUpdateTaskHandler } from './schedule-update-task/schedule-update-task.handler';
import { TaskScheduler } from './schedule-update-task/task-scheduler';
import { SCHEDULING_SERVICE_NAME } from './scheduling-service.constants';
import { SchedulingRuntime } from './scheduling-runtime';
import { WithdrawVersionHandler } from './withdraw-version/withdraw-version.handler';

/**
 * The scheduling service: `<ns>.cmd.scheduling.*` commands (catalog and update tasks), its own
 * view of the fleet, the durable timers that start tasks, and a durable consumer of the execution
 * events that halts and finishes them. Needs `PlatformModule` in the application (see
 * {@link SCHEDULING_SERVICE} and `startServiceApp`).
 */
@Module({
  controllers: [
    PingHandler,
    PublishVersionHandler,
    WithdrawVersionHandler,
    ScheduleUpdateTaskHandler,
    CancelTaskHandler,
    DeleteTaskHandler,
    RetryFailedServersHandler,
    ExecutionEventsHandler,
  ],
  providers: [TaskScheduler, SchedulingRuntime, ExecutionCommands],
})
export class SchedulingServiceModule {}

/** How to run the scheduling service, alone (`main.ts`) or in the runner. */
export const SCHEDULING_SERVICE: ServiceDefinition = {
  name: SCHEDULING_SERVICE_NAME,
  context: 'scheduling',
  module: SchedulingServiceModule,
};
