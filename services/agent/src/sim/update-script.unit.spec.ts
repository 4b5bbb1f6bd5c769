import { SIM_UPDATE_PHASES, simFailingServerIds, simUpdateScript, type SimUpdateScriptInput } from './update-script';

const input = (over: Partial<SimUpdateScriptInput> = {}): SimUpdateScriptInput => ({
  seed: 1,
  serverId: 'srv-00001',
  jobId: 'job-1',
  attempt: 1,
  failsFirstAttempt: false,
  ...over,
});

const ids = (n: number) => Array.from({ length: n }, (_, k) => `srv-${String(k + 1).padStart(5, '0')}`);

describe('simFailingServerIds', () => {
  it.each([
    [0, 50, 0],
    [0.1, 50, 5],
    [0.05, 30, 2],
    [0.01, 50, 1],
    [0.009, 50, 0],
    [0.5, 7, 4],
    [1, 50, 50],
    [0.02, 10_000, 200],
  ])('picks exactly round(%d x %d) = %d servers', (rate, n, expected) => {
    expect(simFailingServerIds(3, ids(n), rate).size).toBe(expected);
  });

  it('is a pure function of the seed and the set of ids', () => {
    const all = ids(200);
    const picked = simFailingServerIds(9, all, 0.1);
    expect(simFailingServerIds(9, [...all].reverse(), 0.1)).toEqual(picked);
    expect(simFailingServerIds(9, [...all, ...all], 0.1)).toEqual(picked);
    expect([...picked].every((id) => all.includes(id))).toBe(true);
    expect(simFailingServerIds(10, all, 0.1)).not.toEqual(picked);
  });

  it('grows with the rate: a lower rate fails a subset of a higher one', () => {
    const all = ids(300);
    const few = simFailingServerIds(4, all, 0.05);
    const more = simFailingServerIds(4, all, 0.2);
    for (const id of few) expect(more.has(id)).toBe(true);
  });

  it('refuses a rate outside [0, 1]', () => {
    expect(() => simFailingServerIds(1, ids(3), 1.5)).toThrow('failRate');
    expect(() => simFailingServerIds(1, ids(3), Number.NaN)).toThrow('failRate');
  });
});

describe('simUpdateScript', () => {
  it('is deterministic from seed, server id and job id', () => {
    expect(simUpdateScript(input())).toEqual(simUpdateScript(input()));
    const other = [simUpdateScript(input({ seed: 2 })), simUpdateScript(input({ serverId: 'srv-00002' }))];
    expect(other.map((s) => s.durationsSec)).not.toContainEqual(simUpdateScript(input()).durationsSec);
  });

  it('uses a few clock seconds per phase', () => {
    for (let k = 1; k <= 50; k++) {
      const { durationsSec } = simUpdateScript(input({ seed: 7, serverId: `srv-${k}`, jobId: 'job' }));
      for (const phase of SIM_UPDATE_PHASES) {
        expect(durationsSec[phase]).toBeGreaterThanOrEqual(1);
        expect(durationsSec[phase]).toBeLessThan(8);
      }
    }
  });

  it('succeeds unless the server fails its first attempts or a failure is scripted', () => {
    expect(simUpdateScript(input()).failIn).toBeNull();
    expect(simUpdateScript(input({ attempt: 3 })).failIn).toBeNull();
  });

  it('fails a first attempt of a failing server, in a phase chosen by the seed', () => {
    const phases = new Set<string | null>();
    for (let k = 1; k <= 200; k++) {
      phases.add(simUpdateScript(input({ failsFirstAttempt: true, jobId: `job-${k}` })).failIn);
    }
    expect([...phases].sort()).toEqual([...SIM_UPDATE_PHASES].sort());
  });

  it('lets a retry of a failing server succeed', () => {
    expect(simUpdateScript(input({ failsFirstAttempt: true, attempt: 2 })).failIn).toBeNull();
  });

  it('fails in the scripted phase whatever the attempt', () => {
    expect(simUpdateScript(input({ scriptedFailure: 'restarting', attempt: 4 })).failIn).toBe('restarting');
    expect(simUpdateScript(input({ scriptedFailure: 'downloading', failsFirstAttempt: true })).failIn).toBe(
      'downloading',
    );
  });
});
