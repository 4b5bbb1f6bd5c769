export { AgentPublisher, buildHello } from './common/agent-publisher';
export type { AgentIdentity, AgentSnapshot } from './common/agent-publisher';
export { UsageError } from './cli/cli-args';
export { AGENT_CONFIG_DEFAULTS, AgentConfigError, loadAgentConfigFile, parseAgentConfig } from './real/agent-config';
export type { AgentConfig, NatsCredentials } from './real/agent-config';
export { createProbes, probeFiles, probeHostConfig, probeManifest, ProbeError, UNKNOWN_VERSION } from './real/probes';
export type { AgentProbes } from './real/probes';
export { diffSnapshots } from './real/snapshot-diff';
export { RealAgent } from './real/real-agent';
export type { RealAgentOptions } from './real/real-agent';
export {
  FleetModel,
  resellerIdOf,
  resellerIndexOf,
  serverIdOf,
  SIM_SERVER_VERSION,
  SIM_WEB_APPS_VERSION,
} from './sim/fleet-data';
export type { FleetSpec, ServerProfile } from './sim/fleet-data';
export { FLEET_DEFAULTS, parseFleetArgs } from './sim/fleet-options';
export type { FleetOptions } from './sim/fleet-options';
export { FleetSimulator } from './sim/fleet-simulator';
export type { FleetSimulatorOptions, FleetSimulatorStats, VirtualAgent } from './sim/fleet-simulator';
export {
  DEFAULT_SIM_ACTIONS,
  defineSimAction,
  forEachServer,
  serverIdsMessage,
  SimActionRegistry,
  startAction,
  stopAction,
} from './sim/control/sim-actions';
export type { SimAction, SimActionResult, SimControlReply } from './sim/control/sim-actions';
export { simControlSubject } from './sim/control/sim-control.handler';
export type { SimulatorControl } from './sim/control/simulator-control';
