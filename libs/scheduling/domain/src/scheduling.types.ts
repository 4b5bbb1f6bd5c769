/** Product component with its own release line: server image, web apps, client apps. */
export type Component = 'server-image' | 'web-apps' | 'client-apps';

export const COMPONENTS: readonly Component[] = ['server-image', 'web-apps', 'client-apps'];

/** Release stage of a published version. */
export type ReleaseStage = 'beta' | 'production' | 'patch';

/** What an update task does. */
export type TaskType = 'upgrade-image' | 'update-web-apps' | 'rollback';

/** Target version of one component. */
export interface ComponentVersion {
  component: Component;
  version: string;
}

/** A version of the catalog, as the catalog decider knows it. */
export interface CatalogEntry {
  component: Component;
  version: string;
  stage: ReleaseStage;
  /** Database-schema version `major.minor`. */
  schemaVersion: string;
  notes: string;
  withdrawn: boolean;
}

/** Servers and groups named by the caller. */
export interface Targets {
  serverIds: string[];
  groupIds: string[];
}

/** A server of a task's frozen target list. */
export interface TaskServer {
  serverId: string;
  /** Reseller owning the server. */
  reseller: string;
}

/** Daily maintenance window, local to `timeZone` (IANA); `end` before `start` crosses midnight. */
export interface MaintenanceWindow {
  /** `HH:MM` */
  start: string;
  /** `HH:MM` */
  end: string;
  timeZone: string;
}

/** Default staggered time between two server starts, in seconds. */
export const DEFAULT_STAGGER_SECONDS = 180;
