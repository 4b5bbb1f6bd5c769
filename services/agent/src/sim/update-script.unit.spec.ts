import { SIM_UPDATE_PHASES, simUpdateScript } from './update-script';

describe('simUpdateScript', () => {
  it('is deterministic from seed, server id and job id', () => {
    expect(simUpdateScript(1, 'srv-00001', 'job-1', 0.5)).toEqual(simUpdateScript(1, 'srv-00001', 'job-1', 0.5));
    const other = [simUpdateScript(2, 'srv-00001', 'job-1', 0), simUpdateScript(1, 'srv-00002', 'job-1', 0)];
    expect(other.map((s) => s.durationsSec)).not.toContainEqual(
      simUpdateScript(1, 'srv-00001', 'job-1', 0).durationsSec,
    );
  });

  it('uses a few clock seconds per phase', () => {
    for (let k = 1; k <= 50; k++) {
      const { durationsSec } = simUpdateScript(7, `srv-${k}`, 'job', 0);
      for (const phase of SIM_UPDATE_PHASES) {
        expect(durationsSec[phase]).toBeGreaterThanOrEqual(1);
        expect(durationsSec[phase]).toBeLessThan(8);
      }
    }
  });

  it('fails about fail-rate of the servers, none at 0, all at 1 or when forced', () => {
    const ids = Array.from({ length: 1000 }, (_, k) => `srv-${k}`);
    const failed = ids.filter((id) => simUpdateScript(3, id, 'job-9', 0.1).failIn !== null).length;
    expect(failed).toBeGreaterThan(60);
    expect(failed).toBeLessThan(140);
    expect(ids.every((id) => simUpdateScript(3, id, 'j', 0).failIn === null)).toBe(true);
    expect(ids.every((id) => simUpdateScript(3, id, 'j', 1).failIn !== null)).toBe(true);
    expect(simUpdateScript(3, 'srv-1', 'j', 0, true).failIn).not.toBeNull();
  });
});
