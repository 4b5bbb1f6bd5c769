import type { ReplicationState, ServiceState } from '@fleetwarden/redundancy-contracts';
import type { JobRecord } from '../../common/agent-jobs';
import type { SimRedundancyService } from '../pair-member';
import type { SimPairView } from '../sim-pairs';
import type { SimUpdatePhase } from '../update-script';

/** The update jobs one simulated server executed, and the redelivered `update` commands it ignored. */
export interface SimServerJobs {
  executed: JobRecord[];
  duplicates: number;
}

/**
 * What control actions may do to a running simulator. Later actions (OS patches) add their
 * operations here and implement them in the simulator.
 */
export interface SimulatorControl {
  /** Splits server ids into those this simulator runs (deduplicated, in order) and the others. */
  resolve(serverIds: readonly string[]): { known: string[]; unknown: string[] };
  /** The agent goes silent; false when it already was. */
  silence(serverId: string): boolean;
  /** A silent agent says hello again and resumes heartbeats; false when it was not silent. */
  resume(serverId: string): boolean;
  /** The server's next update fails in `phase`, whatever its attempt; false when one was already scripted so. */
  scriptFailure(serverId: string, phase: SimUpdatePhase): boolean;
  /** Jobs per server id, for the listed servers this simulator runs, else for every server that received an update. */
  jobs(serverIds?: readonly string[]): Record<string, SimServerJobs>;
  /** The server is a member of one of the simulated redundancy pairs. */
  isPairMember(serverId: string): boolean;
  /** A member's keep-alive service stops sending (`false`) or sends again; false when it already was so. */
  setKeepAlive(serverId: string, sending: boolean): boolean;
  /** Sets the state a member reports for one of its redundancy services; false when it already was so. */
  setService(serverId: string, service: SimRedundancyService, state: ServiceState): boolean;
  /** A member reports `state` as its replication until its next control request; false when already forced so. */
  forceReplication(serverId: string, state: ReplicationState): boolean;
  /** The listed pairs (default every pair) with their members' state and control requests, and the unknown pair ids. */
  pairs(pairIds?: readonly string[]): { pairs: Record<string, SimPairView>; unknown: string[] };
}
