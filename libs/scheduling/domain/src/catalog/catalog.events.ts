import type { Component, ReleaseStage } from '../scheduling.types';

export interface VersionPublished {
  type: 'VersionPublished';
  data: { component: Component; version: string; stage: ReleaseStage; schemaVersion: string; notes: string };
}

export interface VersionWithdrawn {
  type: 'VersionWithdrawn';
  data: { component: Component; version: string; reason: string | null };
}

/** Every event of the catalog stream `catalog-<component>`. */
export type CatalogEvent = VersionPublished | VersionWithdrawn;

export type CatalogEventType = CatalogEvent['type'];
