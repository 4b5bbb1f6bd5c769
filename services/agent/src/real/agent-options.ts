import { parseFlags, UsageError } from '../cli/cli-args';

export const AGENT_USAGE = `usage: npm run agent -- --config <file>

  --config <file>  agent config (JSON): serverId, natsUrl, credentials, namespace,
                   heartbeatIntervalSec, identity, manifestPath, filesDir, hostConfig,
                   update (shell commands per component: download?, install, restart?, validate),
                   redundancy (keep-alive probes and assume/release-control commands of a pair member)

environment: FLEETWARDEN_CLOCK_SPEED, FLEETWARDEN_CLOCK_ORIGIN, LOG_LEVEL`;

export interface AgentOptions {
  configPath: string;
  help: boolean;
}

/** Parses the agent's flags; throws {@link UsageError} naming the flag at fault. */
export function parseAgentArgs(argv: readonly string[]): AgentOptions {
  const flags = parseFlags(argv, { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (flags.help) return { configPath: '', help: true };
  if (!flags.config) throw new UsageError('--config <file> is required');
  return { configPath: flags.config, help: false };
}
