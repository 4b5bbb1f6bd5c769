import {
  probeFailure,
  REPLICATION_WHEN_UNKNOWN,
  replicationOf,
  serviceStateOf,
  type ProbeRun,
} from './redundancy-probes';

const exited = (code: number, lines: string[] = []): ProbeRun => ({ result: { kind: 'exited', code }, lines });

describe('serviceStateOf', () => {
  it('is up when the probe exited 0, down otherwise', () => {
    expect(serviceStateOf(exited(0))).toBe('up');
    expect(serviceStateOf(exited(3, ['inactive']))).toBe('down');
    expect(serviceStateOf({ result: { kind: 'timed-out' }, lines: [] })).toBe('down');
    expect(serviceStateOf({ result: { kind: 'signalled', signal: 'SIGKILL' }, lines: [] })).toBe('down');
    expect(serviceStateOf({ result: { kind: 'not-started', error: new Error('EACCES') }, lines: [] })).toBe('down');
  });
});

describe('probeFailure', () => {
  it('is undefined for exit 0', () => {
    expect(probeFailure(exited(0, ['active']), 2)).toBeUndefined();
  });

  it.each([
    [exited(3, ['inactive', '']), 'exited with code 3: inactive'],
    [exited(1), 'exited with code 1'],
    [{ result: { kind: 'timed-out' }, lines: [] } as ProbeRun, 'timed out after 2 s'],
    [{ result: { kind: 'signalled', signal: 'SIGTERM' }, lines: [] } as ProbeRun, 'killed by SIGTERM'],
    [{ result: { kind: 'aborted' }, lines: [] } as ProbeRun, 'stopped'],
    [
      { result: { kind: 'not-started', error: new Error('spawn EACCES') }, lines: [] } as ProbeRun,
      'could not start: spawn EACCES',
    ],
  ])('says why %j failed', (run, why) => {
    expect(probeFailure(run, 2)).toBe(why);
  });
});

describe('replicationOf', () => {
  it.each(['monitoring', 'synchronizing', 'updated'])('reads %s from the last line printed', (state) => {
    expect(replicationOf(exited(0, ['checking...', `  ${state}  `, '']), 2)).toEqual({ state });
  });

  it('reads stdout only', () => {
    const run: ProbeRun = { ...exited(0, ['updated', 'warning: slow disk']), stdout: ['updated'] };
    expect(replicationOf(run, 2)).toEqual({ state: 'updated' });
  });

  it.each([
    [exited(0, ['UPDATED']), 'printed "UPDATED", not monitoring, synchronizing, updated'],
    [exited(0, ['updated', 'done']), 'printed "done", not monitoring, synchronizing, updated'],
    [exited(0, []), 'printed nothing, not monitoring, synchronizing, updated'],
    [exited(2, ['updated']), 'exited with code 2: updated'],
    [{ result: { kind: 'timed-out' }, lines: [] } as ProbeRun, 'timed out after 2 s'],
  ])('reports %j as synchronizing, and why', (run, problem) => {
    expect(replicationOf(run, 2)).toEqual({ state: REPLICATION_WHEN_UNKNOWN, problem });
    expect(REPLICATION_WHEN_UNKNOWN).toBe('synchronizing');
  });
});
