import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { PubSub } from 'mercurius';
import { CommittedChangeFeed, type ChangeRow } from '../read-model/committed-change.feed';
import { ReadModelDb } from '../read-model/read-model-db';
import type { TaskStatus } from './models/scheduling.enums';
import type { Task } from './models/task.model';
import { SchedulingReadModel } from './scheduling.read-model';

/** Topic of `taskProgress(taskId)` on the mercurius pub/sub of this process. */
export const taskProgressTopic = (taskId: string): string => `TASK_PROGRESS:${taskId}`;
/** Payload published on {@link taskProgressTopic}. */
export interface TaskProgressMessage {
  taskProgress: Task;
  /** Reseller owning the task; null for an operator's task. */
  tenant: string | null;
}

interface ProgressRow extends ChangeRow {
  task_id: string;
  tenant: string | null;
  status: string;
  completed: number;
  failed: number;
  total: number;
}

/** Publishes committed rows of `rm_task_progress_changes` to `taskProgress` subscribers. */
@Injectable()
export class TaskProgressFeed extends CommittedChangeFeed<ProgressRow> {
  /** Tasks read for the current batch (one read per task per batch). */
  private tasks = new Map<string, Task | null>();

  constructor(
    db: ReadModelDb,
    private readonly readModel: SchedulingReadModel,
    adapterHost: HttpAdapterHost,
  ) {
    super(db, adapterHost, 'rm_task_progress_changes', 'task_id, tenant, status, completed, failed, total');
  }

  protected override startBatch(): void {
    this.tasks = new Map();
  }

  protected async publish(pubsub: PubSub, r: ProgressRow): Promise<void> {
    if (!this.tasks.has(r.task_id))
      this.tasks.set(r.task_id, await this.readModel.getTask({ tenant: null }, r.task_id));
    const task = this.tasks.get(r.task_id);
    if (!task) return;
    const message: TaskProgressMessage = {
      taskProgress: {
        ...task,
        status: r.status as TaskStatus,
        progress: { completed: Number(r.completed), failed: Number(r.failed), total: Number(r.total) },
      },
      tenant: r.tenant,
    };
    await pubsub.publish({ topic: taskProgressTopic(r.task_id), payload: message });
  }
}
