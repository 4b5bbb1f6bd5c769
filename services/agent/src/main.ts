import { createClock, fleetwardenVersion, redactUrl, runMain } from '@fleetwarden/platform';
import { parseArgsOrExit } from './cli/run-cli';
import { loadAgentConfigFile } from './real/agent-config';
import { AGENT_USAGE, parseAgentArgs } from './real/agent-options';
import { RealAgent } from './real/real-agent';

const options = parseArgsOrExit('agent', AGENT_USAGE, parseAgentArgs);

runMain({ name: 'agent' }, async ({ config, logger }) => {
  const agentConfig = loadAgentConfigFile(options.configPath, {
    defaultNamespace: process.env['FLEETWARDEN_NAMESPACE'] ? config.namespace : undefined,
  });
  const agent = new RealAgent({
    config: agentConfig,
    agentVersion: fleetwardenVersion(),
    logger,
    clock: createClock(config.clockSpeed, config.clockOrigin),
    speed: config.clockSpeed,
  });
  await agent.start();
  logger.log(
    `agent ${agentConfig.serverId} said hello on ${redactUrl(agentConfig.natsUrl)} (namespace ${agentConfig.namespace}); ` +
      `heartbeat every ${agentConfig.heartbeatIntervalSec} s, re-probe every ${agentConfig.reprobeEveryHeartbeats} heartbeats`,
    'agent',
  );
  return { close: () => agent.stop() };
});
