import type { HaClusterSource, HaComponent, HaProbe } from './ha-cluster.types';

/**
 * Configures an HA cluster, or reconfigures it. `resolved` carries what the service looked up:
 * the listed servers that are no registered server of the caller, and whether the id is a pair's.
 */
export type ConfigureHaCluster = {
  type: 'ConfigureHaCluster';
  data: { clusterId: string; components: HaComponent[]; tenant: string | null; configuredBy: string };
  resolved: { unknownServerIds: string[]; pairExists: boolean };
};

/**
 * Records one health check: what each component's agent answered (or that it did not), judged
 * into the report. `components` are those checked: the cluster's, or a pair's two members
 * (`source: 'pair'`, on a stream with no cluster).
 */
export type RecordHaHealthCheck = {
  type: 'RecordHaHealthCheck';
  data: {
    clusterId: string;
    checkId: string;
    /** Control plane's clock when the check ended. */
    now: string;
    by: string;
    source: HaClusterSource;
    components: HaComponent[];
    probes: HaProbe[];
  };
};

export type HaClusterCommand = ConfigureHaCluster | RecordHaHealthCheck;
