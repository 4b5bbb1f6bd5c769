import { z } from 'zod';
import {
  defineSimAction,
  forEachServer,
  serverIdsMessage,
  SimActionRegistry,
  type SimActionResult,
} from './sim-actions';
import type { SimUpdatePhase } from '../update-script';
import type { SimServerJobs, SimulatorControl } from './simulator-control';

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
  readonly scripted = new Map<string, SimUpdatePhase>();
  scriptFailure(id: string, phase: SimUpdatePhase) {
    if (this.scripted.get(id) === phase) return false;
    this.scripted.set(id, phase);
    return true;
  }
  readonly executed: Record<string, SimServerJobs> = {
    'srv-00001': {
      executed: [
        {
          jobId: 'job-1',
          taskId: 'task-1',
          attempt: 1,
          startedAt: '2025-01-01T00:00:00.000Z',
          phase: 'completed',
          outcome: 'completed',
          finishedAt: '2025-01-01T00:00:01.000Z',
        },
      ],
      duplicates: 2,
    },
  };
  jobs(serverIds?: readonly string[]) {
    const ids = serverIds ?? Object.keys(this.executed);
    return Object.fromEntries(ids.map((id) => [id, this.executed[id] ?? { executed: [], duplicates: 0 }]));
  }
}

describe('SimActionRegistry', () => {
  let sim: FakeSimulator;
  const registry = new SimActionRegistry();
  beforeEach(() => (sim = new FakeSimulator()));

  it('knows stop, start, script-failures and jobs', () => {
    expect(registry.names()).toEqual(['jobs', 'script-failures', 'start', 'stop']);
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

  describe('script-failures', () => {
    it('scripts a failure in installing by default, or in the phase given', () => {
      expect(registry.handle({ action: 'script-failures', serverIds: ['srv-00001', 'srv-09999'] }, sim)).toEqual({
        ok: true,
        action: 'script-failures',
        affected: 1,
        unknownServerIds: ['srv-09999'],
      });
      expect(
        registry.handle({ action: 'script-failures', serverIds: ['srv-00002'], phase: 'validating' }, sim),
      ).toMatchObject({ ok: true, affected: 1 });
      expect([...sim.scripted]).toEqual([
        ['srv-00001', 'installing'],
        ['srv-00002', 'validating'],
      ]);
    });

    it('refuses an unknown phase', () => {
      expect(
        registry.handle({ action: 'script-failures', serverIds: ['srv-00001'], phase: 'completed' }, sim),
      ).toMatchObject({ ok: false, error: expect.stringContaining('phase:') });
    });
  });

  describe('jobs', () => {
    it('lists every server with jobs when no server is named', () => {
      expect(registry.handle({ action: 'jobs' }, sim)).toEqual({
        ok: true,
        action: 'jobs',
        affected: 1,
        jobs: { 'srv-00001': sim.executed['srv-00001'] },
      });
    });

    it('lists the named servers, empty when they ran nothing', () => {
      expect(registry.handle({ action: 'jobs', serverIds: ['srv-00002', 'srv-09999'] }, sim)).toEqual({
        ok: true,
        action: 'jobs',
        affected: 1,
        jobs: { 'srv-00002': { executed: [], duplicates: 0 } },
        unknownServerIds: ['srv-09999'],
      });
    });
  });

  it.each([
    [null, 'invalid control message: (root):'],
    ['stop', 'invalid control message'],
    [{ serverIds: ['srv-00001'] }, 'invalid control message: action:'],
    [
      { action: 'explode', serverIds: ['srv-00001'] },
      'unknown action "explode" (known: jobs, script-failures, start, stop)',
    ],
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
    expect(extended.names()).toEqual(['jobs', 'replication', 'script-failures', 'start', 'stop']);
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
