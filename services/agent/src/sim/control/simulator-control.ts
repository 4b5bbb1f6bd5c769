/**
 * What control actions may do to a running simulator. Later actions (keep-alives, updates,
 * OS patches) add their operations here and implement them in the simulator.
 */
export interface SimulatorControl {
  /** Splits server ids into those this simulator runs (deduplicated, in order) and the others. */
  resolve(serverIds: readonly string[]): { known: string[]; unknown: string[] };
  /** The agent goes silent; false when it already was. */
  silence(serverId: string): boolean;
  /** A silent agent says hello again and resumes heartbeats; false when it was not silent. */
  resume(serverId: string): boolean;
}
