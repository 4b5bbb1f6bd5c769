import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/jwt-tokens';
import { ReadModelDb } from '../read-model/read-model-db';
import { toServer, type ServerRow } from '../inventory/inventory.read-model';
import type { Server } from '../inventory/models/server.model';
import type { Stage } from '../inventory/models/inventory.enums';
import { SERVER_COLUMNS, serversWithPresence } from '../inventory/server-list.sql';
import {
  TaskStatusFilter,
  type Component,
  type TaskServerStatus,
  type TaskStatus,
  type TaskType,
  type UpdatePhase,
} from './models/scheduling.enums';
import type { ComponentVersion, Task, TaskServer } from './models/task.model';
import type { Version } from './models/version.model';
import type { TaskCursorKey } from './task-cursor';

/** Whose tasks a caller sees: a reseller its own (tenant), operators and auditors all. */
export interface TaskScope {
  tenant: string | null;
}

export const taskScopeOf = (principal: Principal): TaskScope => ({
  tenant: principal.role === 'reseller' ? principal.reseller : null,
});

interface VersionRow {
  component: string;
  version: string;
  stage: string;
  schema_version: string;
  notes: string;
  published_at: Date | string;
  withdrawn: boolean;
}

interface TaskRow {
  id: string;
  name: string;
  type: string;
  status: string;
  posted_at: Date | string;
  posted_by: string;
  start_at: Date | string;
  versions: unknown;
  target_summary: string;
  total: number;
  completed: number;
  failed: number;
}

interface TaskServerRow {
  task_id: string;
  server_id: string;
  status: string;
  phase: string | null;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  attempt: number;
  error_log: unknown;
  log: unknown;
}

export interface TaskPage {
  tasks: Task[];
  hasNextPage: boolean;
}

const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));
const json = <T>(raw: unknown): T => (typeof raw === 'string' ? JSON.parse(raw) : raw) as T;

const TASK_COLUMNS = `t.id, t.name, t.type, t.status, t.posted_at, t.posted_by, t.start_at, t.versions,
  t.target_summary, t.total, t.completed, t.failed`;

function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    name: row.name,
    type: row.type as TaskType,
    status: row.status as TaskStatus,
    postedAt: toDate(row.posted_at),
    postedBy: row.posted_by,
    startAt: toDate(row.start_at),
    targetSummary: row.target_summary,
    versions: json<ComponentVersion[]>(row.versions),
    progress: { completed: Number(row.completed), failed: Number(row.failed), total: Number(row.total) },
  };
}

function toVersion(row: VersionRow): Version {
  return {
    component: row.component as Component,
    version: row.version,
    stage: row.stage as Stage,
    schemaVersion: row.schema_version,
    notes: row.notes,
    publishedAt: toDate(row.published_at),
    withdrawn: row.withdrawn,
  };
}

function toTaskServer(row: TaskServerRow): TaskServer {
  return {
    serverId: row.server_id,
    status: row.status as TaskServerStatus,
    phase: row.phase as UpdatePhase | null,
    startedAt: row.started_at === null ? null : toDate(row.started_at),
    finishedAt: row.finished_at === null ? null : toDate(row.finished_at),
    attempt: Number(row.attempt),
    errorLog: json<string[]>(row.error_log),
    log: json<string[]>(row.log),
  };
}

/** Queries of the catalog and task read models, always within a caller's {@link TaskScope}. */
@Injectable()
export class SchedulingReadModel {
  private readonly s: string;

  constructor(private readonly db: ReadModelDb) {
    this.s = db.schema;
  }

  /** Versions of a component, highest first (withdrawn ones included, flagged). */
  async versions(component: Component): Promise<Version[]> {
    const { rows } = await this.db.query<VersionRow>(
      `SELECT component, version, stage, schema_version, notes, published_at, withdrawn FROM ${this.s}.rm_versions
        WHERE component = $1 ORDER BY version_key DESC`,
      [component],
    );
    return rows.map(toVersion);
  }

  async version(component: Component, version: string): Promise<Version | null> {
    const { rows } = await this.db.query<VersionRow>(
      `SELECT component, version, stage, schema_version, notes, published_at, withdrawn FROM ${this.s}.rm_versions
        WHERE component = $1 AND version = $2`,
      [component, version],
    );
    return rows.length ? toVersion(rows[0]) : null;
  }

  /** A page of tasks newest first (deleted ones hidden), after the cursor. */
  async listTasks(
    scope: TaskScope,
    args: { status: TaskStatusFilter; first: number; after: TaskCursorKey | null },
  ): Promise<TaskPage> {
    const params: unknown[] = [];
    const where = ['NOT t.deleted'];
    if (scope.tenant !== null) {
      params.push(scope.tenant);
      where.push(`t.tenant = $${params.length}`);
    }
    if (args.status !== TaskStatusFilter.ALL) {
      params.push(args.status);
      where.push(`t.status = $${params.length}`);
    }
    if (args.after) {
      params.push(args.after[0], args.after[1]);
      where.push(`(t.posted_at, t.id) < ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(args.first + 1);
    const { rows } = await this.db.query<TaskRow>(
      `SELECT ${TASK_COLUMNS} FROM ${this.s}.rm_tasks t WHERE ${where.join(' AND ')}
        ORDER BY t.posted_at DESC, t.id DESC LIMIT $${params.length}`,
      params,
    );
    return { tasks: rows.slice(0, args.first).map(toTask), hasNextPage: rows.length > args.first };
  }

  /** One task the scope can see; deleted tasks too (history is kept). */
  async getTask(scope: TaskScope, id: string): Promise<Task | null> {
    const params: unknown[] = [id];
    let where = 't.id = $1';
    if (scope.tenant !== null) {
      params.push(scope.tenant);
      where += ' AND t.tenant = $2';
    }
    const { rows } = await this.db.query<TaskRow>(
      `SELECT ${TASK_COLUMNS} FROM ${this.s}.rm_tasks t WHERE ${where}`,
      params,
    );
    return rows.length ? toTask(rows[0]) : null;
  }

  /** Servers of tasks in start order, by task id. */
  async serversOfTasks(taskIds: readonly string[]): Promise<Map<string, TaskServer[]>> {
    const { rows } = await this.db.query<TaskServerRow>(
      `SELECT task_id, server_id, status, phase, started_at, finished_at, attempt, error_log, log
         FROM ${this.s}.rm_task_servers
        WHERE task_id = ANY($1::text[]) ORDER BY task_id, position`,
      [taskIds],
    );
    const result = new Map<string, TaskServer[]>();
    for (const row of rows) {
      const list = result.get(row.task_id) ?? [];
      list.push(toTaskServer(row));
      result.set(row.task_id, list);
    }
    return result;
  }

  /** Visible, not deleted tasks touching each server, newest first. */
  async tasksOfServers(scope: TaskScope, serverIds: readonly string[]): Promise<Map<string, Task[]>> {
    const params: unknown[] = [serverIds];
    let where = 'ts.server_id = ANY($1::text[]) AND NOT t.deleted';
    if (scope.tenant !== null) {
      params.push(scope.tenant);
      where += ' AND t.tenant = $2';
    }
    const { rows } = await this.db.query<TaskRow & { server_id: string }>(
      `SELECT ts.server_id, ${TASK_COLUMNS} FROM ${this.s}.rm_task_servers ts JOIN ${this.s}.rm_tasks t ON t.id = ts.task_id
        WHERE ${where} ORDER BY t.posted_at DESC, t.id DESC`,
      params,
    );
    const result = new Map<string, Task[]>();
    for (const row of rows) {
      const list = result.get(row.server_id) ?? [];
      list.push(toTask(row));
      result.set(row.server_id, list);
    }
    return result;
  }

  /** Servers by id as the inventory shows them to the scope (a reseller: its own, live ones). */
  async serversById(scope: TaskScope, ids: readonly string[]): Promise<Map<string, Server>> {
    const params: unknown[] = [ids];
    let where = 's.id = ANY($1::text[])';
    if (scope.tenant !== null) {
      params.push(scope.tenant);
      where += ' AND s.reseller_id = $2 AND NOT s.decommissioned';
    }
    const { rows } = await this.db.query<ServerRow>(
      `SELECT ${SERVER_COLUMNS} FROM ${serversWithPresence(this.s)} WHERE ${where}`,
      params,
    );
    return new Map(rows.map((r) => [r.id, toServer(r)]));
  }
}
