import type { AgentKeepAliveMessage } from '@fleetwarden/redundancy-contracts';
import { MemoryLogger } from '../testing/agent-test.helpers';
import type { AgentRedundancyConfig } from './redundancy-config';
import { describeState, RedundancyMember } from './redundancy-member';
import type { ProbedRedundancy, RedundancyState } from './redundancy-probes';

const STATE: RedundancyState = {
  inControl: false,
  switchingService: 'up',
  ipPhoneService: 'up',
  keepAliveService: 'up',
  replicationStatus: 'updated',
  peerReachable: true,
};

const config = (keepAliveIntervalSec: number): AgentRedundancyConfig => ({
  workDir: '/',
  keepAliveIntervalSec,
  probeTimeoutSec: 1,
  controlTimeoutSec: 1,
  probes: { switching: 'x', ipPhone: 'x', keepAlive: 'x', inControl: 'x', replication: 'x', peer: '127.0.0.1:1' },
  assumeControl: 'x',
  releaseControl: 'x',
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Probes that take `ms` each and count how many run at once. */
function slowProbes(ms: () => number, state: () => ProbedRedundancy = () => ({ state: STATE, problems: [] })) {
  const stats = { runs: 0, running: 0, maxRunning: 0 };
  const probe = async () => {
    stats.runs++;
    stats.running++;
    stats.maxRunning = Math.max(stats.maxRunning, stats.running);
    await sleep(ms());
    stats.running--;
    return state();
  };
  return { stats, probe };
}

function member(intervalSec: number, probe: () => Promise<ProbedRedundancy>, logger = new MemoryLogger()) {
  const sent: Array<AgentKeepAliveMessage & { at: number }> = [];
  const m = new RedundancyMember({
    serverId: 'srv-p0001a',
    config: config(intervalSec),
    clock: { now: () => new Date('2030-01-01T00:00:00.000Z') },
    publish: (message) => sent.push({ ...message, at: performance.now() }),
    logger,
    probe,
  });
  return { m, sent, logger };
}

describe('RedundancyMember keep-alives', () => {
  it('sends one at once, then one every interval, with the probed state', async () => {
    const { probe } = slowProbes(() => 1);
    const { m, sent } = member(0.05, probe);
    m.start();
    await sleep(280);
    await m.stop();
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(sent.length).toBeLessThanOrEqual(7);
    expect(sent[0]).toEqual({
      serverId: 'srv-p0001a',
      sentAt: '2030-01-01T00:00:00.000Z',
      ...STATE,
      at: expect.any(Number),
    });
    expect(m.keepAlivesSent).toBe(sent.length);
  });

  it('never runs the probes twice at once, even when they take longer than the interval', async () => {
    const { stats, probe } = slowProbes(() => 70);
    const { m, sent } = member(0.02, probe);
    m.start();
    await Promise.all([sleep(100).then(() => m.sendKeepAlive()), sleep(110).then(() => m.sendKeepAlive())]);
    await sleep(150);
    await m.stop();
    expect(stats.maxRunning).toBe(1);
    expect(sent.length).toBeGreaterThanOrEqual(3);
    const gaps = sent.slice(1).map((k, i) => k.at - sent[i].at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(60);
  });

  it('shares one waiting run between the calls made while another runs', async () => {
    const { stats, probe } = slowProbes(() => 30);
    const { m, sent } = member(60, probe);
    m.start();
    await sleep(5);
    const [a, b, c] = await Promise.all([m.sendKeepAlive(), m.sendKeepAlive(), m.sendKeepAlive()]);
    await m.stop();
    expect([a, b, c]).toEqual([true, true, true]);
    expect(stats.runs).toBe(2);
    expect(sent).toHaveLength(2);
  });

  it('sends nothing for a run whose probes fail, and carries on', async () => {
    let calls = 0;
    const { m, sent, logger } = member(0.03, async () => {
      if (++calls === 1) throw new Error('fork failed');
      return { state: STATE, problems: [] };
    });
    m.start();
    await sleep(100);
    await m.stop();
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(logger.lines).toContainEqual(
      expect.stringContaining('redundancy probes failed, no keep-alive: fork failed'),
    );
  });

  it('logs the state when it changes only, with the failed probes', async () => {
    let down = false;
    const { m, logger } = member(0.02, async () =>
      down
        ? { state: { ...STATE, ipPhoneService: 'down' }, problems: ['ipPhone: exited with code 3: inactive'] }
        : { state: STATE, problems: [] },
    );
    m.start();
    await sleep(70);
    down = true;
    await sleep(70);
    await m.stop();
    const states = logger.lines.filter((l) => l.includes('keep-alive: '));
    expect(states).toEqual([
      `log keep-alive: ${describeState(STATE)}`,
      `warn keep-alive: ${describeState({ ...STATE, ipPhoneService: 'down' })} (ipPhone: exited with code 3: inactive)`,
    ]);
  });

  it('counts a keep-alive the publisher refused as not sent', async () => {
    const logger = new MemoryLogger();
    const m = new RedundancyMember({
      serverId: 'srv-p0001a',
      config: config(60),
      clock: { now: () => new Date() },
      publish: () => {
        throw new Error('invalid keepalive');
      },
      logger,
      probe: async () => ({ state: STATE, problems: [] }),
    });
    await expect(m.sendKeepAlive()).resolves.toBe(false);
    expect(m.keepAlivesSent).toBe(0);
    expect(logger.lines).toContainEqual(expect.stringContaining('keep-alive not sent (1 so far): invalid keepalive'));
  });

  it('stops sending once stopped', async () => {
    const { probe } = slowProbes(() => 20);
    const { m, sent } = member(0.01, probe);
    m.start();
    await sleep(50);
    await m.stop();
    const count = sent.length;
    await sleep(60);
    expect(sent).toHaveLength(count);
  });
});
