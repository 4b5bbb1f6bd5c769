import { z } from 'zod';
import {
  defineSimAction,
  forEachServer,
  serverIdsMessage,
  SimActionRegistry,
  type SimActionResult,
} from './sim-actions';
import type { SimulatorControl } from './simulator-control';

class FakeSimulator implements SimulatorControl {
  readonly online = new Set(['srv-00001', 'srv-00002', 'srv-00003']);
  readonly all = new Set(this.online);

  resolve(serverIds: readonly string[]) {
    const unique = [...new Set(serverIds)];
    return { known: unique.filter((id) => this.all.has(id)), unknown: unique.filter((id) => !this.all.has(id)) };
  }
  silence(id: string) {
    return this.online.delete(id);
  }
  resume(id: string) {
    if (this.online.has(id)) return false;
    this.online.add(id);
    return true;
  }
}

describe('SimActionRegistry', () => {
  let sim: FakeSimulator;
  const registry = new SimActionRegistry();
  beforeEach(() => (sim = new FakeSimulator()));

  it('knows stop and start', () => {
    expect(registry.names()).toEqual(['start', 'stop']);
  });

  describe('stop', () => {
    it('silences the listed servers and counts those it changed', () => {
      expect(registry.handle({ action: 'stop', serverIds: ['srv-00001', 'srv-00002'] }, sim)).toEqual({
        ok: true,
        action: 'stop',
        affected: 2,
      });
      expect([...sim.online]).toEqual(['srv-00003']);
      expect(registry.handle({ action: 'stop', serverIds: ['srv-00001', 'srv-00001'] }, sim)).toMatchObject({
        affected: 0,
      });
    });

    it('lists the ids it does not run', () => {
      expect(registry.handle({ action: 'stop', serverIds: ['srv-00003', 'srv-09999'] }, sim)).toEqual({
        ok: true,
        action: 'stop',
        affected: 1,
        unknownServerIds: ['srv-09999'],
      });
    });
  });

  describe('start', () => {
    it('resumes only silent servers', () => {
      sim.silence('srv-00002');
      expect(registry.handle({ action: 'start', serverIds: ['srv-00001', 'srv-00002'] }, sim)).toEqual({
        ok: true,
        action: 'start',
        affected: 1,
      });
      expect(sim.online.has('srv-00002')).toBe(true);
    });
  });

  it.each([
    [null, 'invalid control message: (root):'],
    ['stop', 'invalid control message'],
    [{ serverIds: ['srv-00001'] }, 'invalid control message: action:'],
    [{ action: 'explode', serverIds: ['srv-00001'] }, 'unknown action "explode" (known: start, stop)'],
    [{ action: 'stop' }, 'invalid "stop" message: serverIds:'],
    [{ action: 'stop', serverIds: [] }, 'serverIds: must list at least one server id'],
    [{ action: 'stop', serverIds: 'srv-00001' }, 'serverIds:'],
    [{ action: 'stop', serverIds: ['srv 1'] }, 'serverIds[0]:'],
    [{ action: 'stop', serverIds: ['srv-00001'], extra: 1 }, 'extra'],
  ])('refuses %j without touching the simulator', (message, error) => {
    const reply = registry.handle(message, sim);
    expect(reply.ok).toBe(false);
    expect(reply.ok === false && reply.error).toContain(error);
    expect(sim.online.size).toBe(3);
  });

  it('takes new actions with their own message shape', () => {
    const seen: string[] = [];
    const replication = defineSimAction({
      name: 'replication',
      description: 'test action',
      schema: serverIdsMessage('replication').extend({ state: z.enum(['synchronizing', 'updated']) }),
      run: (message, s): SimActionResult =>
        forEachServer(message.serverIds, s, (id) => {
          seen.push(`${id}:${message.state}`);
          return true;
        }),
    });
    const extended = new SimActionRegistry().register(replication);
    expect(extended.names()).toEqual(['replication', 'start', 'stop']);
    expect(extended.handle({ action: 'replication', serverIds: ['srv-00001'], state: 'updated' }, sim)).toEqual({
      ok: true,
      action: 'replication',
      affected: 1,
    });
    expect(seen).toEqual(['srv-00001:updated']);
    expect(extended.handle({ action: 'replication', serverIds: ['srv-00001'], state: 'x' }, sim)).toMatchObject({
      ok: false,
    });
    expect(() => extended.register(replication)).toThrow('registered twice');
  });

  it('turns a failing action into an error reply', () => {
    const broken = defineSimAction({
      name: 'broken',
      description: 'throws',
      schema: serverIdsMessage('broken'),
      run: () => {
        throw new Error('boom');
      },
    });
    expect(new SimActionRegistry([broken]).handle({ action: 'broken', serverIds: ['srv-00001'] }, sim)).toEqual({
      ok: false,
      error: '"broken" failed: boom',
    });
  });
});
