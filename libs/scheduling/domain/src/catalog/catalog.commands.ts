import type { Component, ReleaseStage } from '../scheduling.types';

/** An operator publishes a released version of a component. */
export interface PublishVersion {
  type: 'PublishVersion';
  data: { component: Component; version: string; stage: ReleaseStage; schemaVersion: string; notes: string };
}

/** An operator withdraws a version: new tasks may no longer target it. */
export interface WithdrawVersion {
  type: 'WithdrawVersion';
  data: { component: Component; version: string; reason: string | null };
}

/** Every command of the catalog stream `catalog-<component>`. */
export type CatalogCommand = PublishVersion | WithdrawVersion;
