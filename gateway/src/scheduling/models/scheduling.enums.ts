import { registerEnumType } from '@nestjs/graphql';

/** Product component with its own release line (values as stored in events). */
export enum Component {
  SERVER_IMAGE = 'server-image',
  WEB_APPS = 'web-apps',
  CLIENT_APPS = 'client-apps',
}

/** What an update task does (values as stored in events). */
export enum TaskType {
  UPGRADE_IMAGE = 'upgrade-image',
  UPDATE_WEB_APPS = 'update-web-apps',
  ROLLBACK = 'rollback',
}

/** Status of an update task (values as stored in the read model). */
export enum TaskStatus {
  PENDING = 'PENDING',
  PROCESSING = 'PROCESSING',
  COMPLETED = 'COMPLETED',
  CANCELLED = 'CANCELLED',
  FAILED = 'FAILED',
}

/** The task list's status filter. */
export enum TaskStatusFilter {
  ALL = 'ALL',
  PENDING = 'PENDING',
  PROCESSING = 'PROCESSING',
  COMPLETED = 'COMPLETED',
  CANCELLED = 'CANCELLED',
  FAILED = 'FAILED',
}

/** Status of one server of a task (values as stored in the read model). */
export enum TaskServerStatus {
  PENDING = 'PENDING',
  PROCESSING = 'PROCESSING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
  NOT_STARTED = 'NOT_STARTED',
}

/** Phase of a server's running update as the agent last reported it (values as stored in the read model). */
export enum UpdatePhase {
  DOWNLOADING = 'DOWNLOADING',
  INSTALLING = 'INSTALLING',
  RESTARTING = 'RESTARTING',
  VALIDATING = 'VALIDATING',
}

registerEnumType(Component, { name: 'Component', description: 'Product component with its own release line.' });
registerEnumType(TaskType, {
  name: 'TaskType',
  description: 'UPGRADE_IMAGE: upgrade the server image; UPDATE_WEB_APPS: deploy/update web apps; ROLLBACK.',
});
registerEnumType(TaskStatus, { name: 'TaskStatus' });
registerEnumType(TaskStatusFilter, { name: 'TaskStatusFilter', description: 'ALL: every status.' });
registerEnumType(TaskServerStatus, {
  name: 'TaskServerStatus',
  description: 'NOT_STARTED: never started (halted by the failure threshold, or the window ended).',
});
registerEnumType(UpdatePhase, {
  name: 'UpdatePhase',
  description: "Phase of a server's update as its agent last reported it.",
});
