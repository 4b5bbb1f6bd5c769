import { connectNats } from '@fleetwarden/messaging';
import { createClock, fleetwardenVersion, runMain } from '@fleetwarden/platform';
import { parseArgsOrExit } from './cli/run-cli';
import { FleetModel } from './sim/fleet-data';
import { FLEET_USAGE, parseFleetArgs } from './sim/fleet-options';
import { FleetSimulator } from './sim/fleet-simulator';

const options = parseArgsOrExit('fleet', FLEET_USAGE, parseFleetArgs);

runMain({ name: 'fleet' }, async ({ config, logger, atExit }) => {
  const speed = options.speed ?? config.clockSpeed;
  if (options.speed !== undefined && process.env['FLEETWARDEN_CLOCK_SPEED'] && options.speed !== config.clockSpeed) {
    logger.warn(
      `--speed ${options.speed} overrides FLEETWARDEN_CLOCK_SPEED=${config.clockSpeed}: the stack must run at the same speed`,
      'fleet',
    );
  }
  const nc = await connectNats({ url: config.natsUrl, name: 'fleet-simulator' });
  atExit(async () => {
    if (!nc.isClosed()) await nc.close();
  });
  const simulator = new FleetSimulator({
    connection: nc,
    namespace: config.namespace,
    fleet: new FleetModel({
      servers: options.servers,
      pairs: options.pairs,
      resellers: options.resellers,
      seed: options.seed,
    }),
    clock: createClock(speed, config.clockOrigin),
    speed,
    heartbeatSec: options.heartbeatSec,
    failRate: options.failRate,
    keepAliveSec: options.keepAliveSec,
    agentVersion: `${fleetwardenVersion()}-sim`,
    logger,
  });
  simulator.start();
  return {
    async close() {
      await simulator.stop();
      const { servers, hellos, heartbeats, updates, pairs, patches } = simulator.stats();
      const redundancy =
        pairs.pairs > 0
          ? `; ${pairs.pairs} pairs (${pairs.configured} configured): ${pairs.keepAlives} keep-alives, ` +
            `${pairs.controlRequests} control requests`
          : '';
      logger.log(
        `stopped ${servers} agents after ${hellos} hellos, ${heartbeats} heartbeats and ${updates.started} ` +
          `update jobs (${updates.completed} completed, ${updates.failed} failed, ${updates.duplicates} duplicate deliveries ignored)` +
          `, ${patches.stored} OS-patch reports stored (${patches.commands} install-patches commands)` +
          redundancy,
        'fleet',
      );
      await nc.drain();
    },
  };
});
