import type { HaClockCheck, HaClusterSource, HaComponent, HaComponentRef, HaMessagingCheck } from './ha-cluster.types';

export type HaClusterConfigured = {
  type: 'HaClusterConfigured';
  data: { clusterId: string; components: HaComponent[]; tenant: string | null; configuredBy: string };
};

export type HaHealthChecked = {
  type: 'HaHealthChecked';
  data: {
    clusterId: string;
    checkId: string;
    at: string;
    source: HaClusterSource;
    components: HaComponentRef[];
    messaging: HaMessagingCheck[];
    clocks: HaClockCheck[];
    by: string;
  };
};

/** Every event of an HA cluster stream (`ha-cluster-<clusterId>`). */
export type HaClusterEvent = HaClusterConfigured | HaHealthChecked;
