import { CommandTimeoutError, NoRespondersError, RemoteCommandError } from '@fleetwarden/messaging';
import { ConfigurePair } from '@fleetwarden/redundancy-contracts';
import { FleetModel } from './fleet-data';
import { isRetryableConfigureError, SIM_OPERATOR_META, simConfigurePairData } from './pair-configurator';
import { pairIdOf, pairMemberIdOf, parsePairId, parsePairMemberId, simSyncSec } from './pair-data';

const fleet = new FleetModel({ servers: 0, resellers: 2, seed: 9, pairs: 2 });
const member = (id: string) => fleet.server(fleet.indexOf(id) as number);

describe('pair ids', () => {
  it('names pairs and members, and reads them back', () => {
    expect(pairIdOf(1)).toBe('pair-0001');
    expect(pairIdOf(12345)).toBe('pair-12345');
    expect(pairMemberIdOf(7, 'primary')).toBe('srv-p0007a');
    expect(pairMemberIdOf(7, 'secondary')).toBe('srv-p0007b');
    expect(parsePairMemberId('srv-p0007b')).toEqual({ pair: 7, role: 'secondary' });
    expect(parsePairId('pair-0007')).toBe(7);
    for (const bad of ['srv-p0000a', 'srv-p007a', 'srv-p00007a', 'srv-00007', 'srv-p0007c']) {
      expect(parsePairMemberId(bad)).toBeUndefined();
    }
    for (const bad of ['pair-0000', 'pair-007', 'pair-00007', 'pair-x']) expect(parsePairId(bad)).toBeUndefined();
  });

  it('gives each member and round a replication time of 2-6 clock seconds, by seed', () => {
    const times = Array.from({ length: 200 }, (_, round) => simSyncSec(1, 'srv-p0001b', round));
    expect(Math.min(...times)).toBe(2);
    expect(Math.max(...times)).toBe(6);
    expect(simSyncSec(1, 'srv-p0001b', 3)).toBe(times[3]);
  });
});

describe('simConfigurePairData', () => {
  const data = simConfigurePairData({
    seed: 9,
    pair: fleet.pair(2),
    primary: member('srv-p0002a'),
    secondary: member('srv-p0002b'),
    keepAliveSec: 5,
  });

  it('configures the pair with its members, the seed key and the default timings', () => {
    expect(data).toEqual({
      pairId: 'pair-0002',
      primaryServerId: 'srv-p0002a',
      secondaryServerId: 'srv-p0002b',
      primaryAddress: member('srv-p0002a').config.fqdn,
      secondaryAddress: member('srv-p0002b').config.fqdn,
      switchAddress: expect.stringMatching(/^switch-pair-0002\.[a-z0-9-]+\.example\.net$/),
      redundancyKey: 'sim-key-9-pair-0002',
      autoFailover: true,
      keepAliveIntervalSec: 5,
      failoverThresholdSec: 15,
      holdDownSec: 300,
      notificationTargets: [],
    });
  });

  it('is a request the contract accepts, as an operator', () => {
    expect(ConfigurePair.parseRequest({ data, meta: SIM_OPERATOR_META })).toEqual({
      data,
      meta: { role: 'operator', actor: 'operator:fleet-simulator' },
    });
  });

  it('keeps the failover threshold above a long keep-alive interval', () => {
    const slow = simConfigurePairData({
      seed: 9,
      pair: fleet.pair(1),
      primary: member('srv-p0001a'),
      secondary: member('srv-p0001b'),
      keepAliveSec: 20,
    });
    expect(slow).toMatchObject({ keepAliveIntervalSec: 20, failoverThresholdSec: 60 });
  });
});

describe('isRetryableConfigureError', () => {
  it('retries no answer and refusals that pass', () => {
    expect(isRetryableConfigureError(new NoRespondersError('x'))).toBe(true);
    expect(isRetryableConfigureError(new CommandTimeoutError('x', 100))).toBe(true);
    expect(isRetryableConfigureError(new Error('connection closed'))).toBe(true);
    expect(isRetryableConfigureError(new RemoteCommandError('PAIR.UNKNOWN_SERVERS', 'Unknown servers', 'x'))).toBe(
      true,
    );
    expect(isRetryableConfigureError(new RemoteCommandError('INTERNAL', 'boom', 'x'))).toBe(true);
    expect(isRetryableConfigureError(new RemoteCommandError('REDUNDANCY_UNAVAILABLE', 'starting', 'x'))).toBe(true);
  });

  it('does not retry a refusal that stays', () => {
    expect(isRetryableConfigureError(new RemoteCommandError('PAIR.SERVER_IN_OTHER_PAIR', 'taken', 'x'))).toBe(false);
    expect(isRetryableConfigureError(new RemoteCommandError('VALIDATION', 'bad', 'x'))).toBe(false);
  });
});
