import type { SimHaCheckControl } from '../sim-ha-check';
import { SimActionRegistry, clockSkewAction, messagingDownAction, messagingUpAction } from './sim-actions';
import type { SimulatorControl } from './simulator-control';

const KNOWN = ['srv-00001', 'srv-00002'];

/** Only what the HA check actions use; the rest is never called. */
function fakeSimulator(
  withHaCheck = true,
): SimulatorControl & Partial<SimHaCheckControl> & { skews: Map<string, number>; down: Set<string> } {
  const skews = new Map<string, number>();
  const down = new Set<string>();
  const base = {
    skews,
    down,
    resolve: (ids: readonly string[]) => {
      const unique = [...new Set(ids)];
      return { known: unique.filter((id) => KNOWN.includes(id)), unknown: unique.filter((id) => !KNOWN.includes(id)) };
    },
  } as unknown as SimulatorControl & { skews: Map<string, number>; down: Set<string> };
  if (!withHaCheck) return base;
  return Object.assign(base, {
    setClockSkew: (id: string, ms: number) => {
      if ((skews.get(id) ?? 0) === ms) return false;
      skews.set(id, ms);
      return true;
    },
    setMessaging: (id: string, up: boolean) => {
      if (down.has(id) === !up) return false;
      if (up) down.delete(id);
      else down.add(id);
      return true;
    },
  });
}

describe('HA check sim actions', () => {
  const registry = new SimActionRegistry([clockSkewAction, messagingDownAction, messagingUpAction]);

  it("clock-skew shifts the listed servers' clocks, in seconds", () => {
    const sim = fakeSimulator();
    expect(registry.handle({ action: 'clock-skew', serverIds: ['srv-00001', 'srv-99999'], skewSec: 90 }, sim)).toEqual({
      ok: true,
      action: 'clock-skew',
      affected: 1,
      unknownServerIds: ['srv-99999'],
    });
    expect(sim.skews.get('srv-00001')).toBe(90_000);
    expect(registry.handle({ action: 'clock-skew', serverIds: ['srv-00001'], skewSec: 90 }, sim)).toMatchObject({
      affected: 0,
    });
    expect(registry.handle({ action: 'clock-skew', serverIds: ['srv-00001'] }, sim)).toMatchObject({
      ok: false,
      error: expect.stringContaining('skewSec'),
    });
  });

  it('messaging-down and messaging-up cut and restore the listed servers', () => {
    const sim = fakeSimulator();
    expect(registry.handle({ action: 'messaging-down', serverIds: KNOWN }, sim)).toMatchObject({ affected: 2 });
    expect([...sim.down]).toEqual(KNOWN);
    expect(registry.handle({ action: 'messaging-up', serverIds: ['srv-00002'] }, sim)).toMatchObject({ affected: 1 });
    expect([...sim.down]).toEqual(['srv-00001']);
  });

  it('fails with the reason on a simulator without HA checks', () => {
    expect(registry.handle({ action: 'messaging-down', serverIds: ['srv-00001'] }, fakeSimulator(false))).toEqual({
      ok: false,
      error: '"messaging-down" failed: this simulator does not simulate HA checks',
    });
  });
});
