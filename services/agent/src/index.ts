export { AgentPublisher, buildHello, progressMsgId, PublisherClosedError } from './common/agent-publisher';
export type { AgentIdentity, AgentPublisherOptions, AgentSnapshot } from './common/agent-publisher';
export { AgentJobs, CANCELLABLE_PHASES, parseAgentCommand } from './common/agent-jobs';
export type { AgentCommandReply, JobOutcome, JobRecord } from './common/agent-jobs';
export { JobLog, MAX_LOG_CHARS, MAX_LOG_LINE_CHARS, MAX_LOG_LINES } from './common/job-log';
export { UsageError } from './cli/cli-args';
export { AGENT_CONFIG_DEFAULTS, AgentConfigError, loadAgentConfigFile, parseAgentConfig } from './real/agent-config';
export type { AgentConfig, AgentUpdateConfig, ComponentUpdateCommands, NatsCredentials } from './real/agent-config';
export { createProbes, probeFiles, probeHostConfig, probeManifest, ProbeError, UNKNOWN_VERSION } from './real/probes';
export type { AgentProbes } from './real/probes';
export { diffSnapshots } from './real/snapshot-diff';
export { RealAgent } from './real/real-agent';
export type { RealAgentOptions } from './real/real-agent';
export { runShellCommand } from './real/shell-command';
export type { ShellCommandOptions, ShellCommandResult } from './real/shell-command';
export { UpdateExecutor } from './real/update-executor';
export type { UpdateExecutorOptions } from './real/update-executor';
export {
  FleetModel,
  resellerIdOf,
  resellerIndexOf,
  serverIdOf,
  SIM_SERVER_VERSION,
  SIM_WEB_APPS_VERSION,
  withVersions,
} from './sim/fleet-data';
export type { FleetSpec, ServerProfile } from './sim/fleet-data';
export { FLEET_DEFAULTS, parseFleetArgs } from './sim/fleet-options';
export type { FleetOptions } from './sim/fleet-options';
export { FleetSimulator } from './sim/fleet-simulator';
export {
  pairIdOf,
  pairMemberIdOf,
  parsePairId,
  parsePairMemberId,
  simPairSpec,
  simRedundancyKey,
  simSyncSec,
} from './sim/pair-data';
export type { SimPairSpec } from './sim/pair-data';
export {
  applyControl,
  initialMemberState,
  keepAliveOf,
  parseAgentControl,
  SIM_REDUNDANCY_SERVICES,
} from './sim/pair-member';
export type { AgentControlReply, PairMemberState, SimRedundancyService } from './sim/pair-member';
export {
  isRetryableConfigureError,
  PairConfigurator,
  SIM_OPERATOR_META,
  simConfigurePairData,
} from './sim/pair-configurator';
export type { ConfigurePairData, PairConfigurationStatus, PairConfiguratorOptions } from './sim/pair-configurator';
export { MAX_CONTROL_RECORDS, SimPairs } from './sim/sim-pairs';
export type {
  SimControlRequestRecord,
  SimPairMemberView,
  SimPairStats,
  SimPairView,
  SimPairsOptions,
} from './sim/sim-pairs';
export type { FleetSimulatorOptions, FleetSimulatorStats, VirtualAgent } from './sim/fleet-simulator';
export { SimUpdates } from './sim/sim-updates';
export type { SimUpdateStats, SimUpdatesOptions } from './sim/sim-updates';
export { SIM_UPDATE_PHASES, simFailingServerIds, simUpdateScript } from './sim/update-script';
export type { SimUpdatePhase, SimUpdateScript, SimUpdateScriptInput } from './sim/update-script';
export {
  DEFAULT_SIM_ACTIONS,
  defineSimAction,
  forEachPairMember,
  forEachServer,
  jobsAction,
  keepAliveStartAction,
  keepAliveStopAction,
  pairsAction,
  replicationAction,
  scriptFailuresAction,
  serverIdsMessage,
  serviceDownAction,
  serviceUpAction,
  SimActionRegistry,
  startAction,
  stopAction,
} from './sim/control/sim-actions';
export type { SimAction, SimActionResult, SimControlReply } from './sim/control/sim-actions';
export { simControlSubject } from './sim/control/sim-control.handler';
export type { SimServerJobs, SimulatorControl } from './sim/control/simulator-control';
