import { z } from 'zod';
import type { ReplicationState, ServiceState } from '@fleetwarden/redundancy-contracts';
import type { SimRedundancyService } from '../pair-member';
import type { SimPairView } from '../sim-pairs';
import {
  defineSimAction,
  forEachServer,
  serverIdsMessage,
  SimActionRegistry,
  type SimActionResult,
} from './sim-actions';
import type { SimUpdatePhase } from '../update-script';
import type { SimServerJobs, SimulatorControl } from './simulator-control';

const ALL_ACTIONS = [
  'clock-skew',
  'install-patches',
  'jobs',
  'keepalive-start',
  'keepalive-stop',
  'messaging-down',
  'messaging-up',
  'pairs',
  'patch-history',
  'replication',
  'script-failures',
  'service-down',
  'service-up',
  'start',
  'stop',
];

class FakeSimulator implements SimulatorControl {
  readonly online = new Set(['srv-00001', 'srv-00002', 'srv-00003', 'srv-p0001a', 'srv-p0001b']);
  readonly all = new Set(this.online);
  readonly members = new Set(['srv-p0001a', 'srv-p0001b']);
  readonly keepAliveStopped = new Set<string>();
  readonly services = new Map<string, ServiceState>();
  readonly forced = new Map<string, ReplicationState>();
  readonly pairView = { pairId: 'pair-0001' } as SimPairView;

  isPairMember(id: string) {
    return this.members.has(id);
  }
  setKeepAlive(id: string, sending: boolean) {
    if (this.keepAliveStopped.has(id) === !sending) return false;
    if (sending) this.keepAliveStopped.delete(id);
    else this.keepAliveStopped.add(id);
    return true;
  }
  setService(id: string, service: SimRedundancyService, state: ServiceState) {
    const key = `${id}:${service}`;
    if ((this.services.get(key) ?? 'up') === state) return false;
    this.services.set(key, state);
    return true;
  }
  forceReplication(id: string, state: ReplicationState) {
    if (this.forced.get(id) === state) return false;
    this.forced.set(id, state);
    return true;
  }
  pairs(pairIds?: readonly string[]) {
    const ids = pairIds ?? ['pair-0001'];
    return {
      pairs: Object.fromEntries(ids.filter((id) => id === 'pair-0001').map((id) => [id, this.pairView])),
      unknown: ids.filter((id) => id !== 'pair-0001'),
    };
  }

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

  it('knows the update, presence and redundancy actions', () => {
    expect(registry.names()).toEqual(ALL_ACTIONS);
  });

  describe('stop', () => {
    it('silences the listed servers and counts those it changed', () => {
      expect(registry.handle({ action: 'stop', serverIds: ['srv-00001', 'srv-00002'] }, sim)).toEqual({
        ok: true,
        action: 'stop',
        affected: 2,
      });
      expect([...sim.online]).toEqual(['srv-00003', 'srv-p0001a', 'srv-p0001b']);
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

  describe('keepalive-stop and keepalive-start', () => {
    it('stop and start the keep-alives of pair members only', () => {
      expect(
        registry.handle({ action: 'keepalive-stop', serverIds: ['srv-p0001a', 'srv-00001', 'srv-09999'] }, sim),
      ).toEqual({
        ok: true,
        action: 'keepalive-stop',
        affected: 1,
        unknownServerIds: ['srv-09999'],
        notPairMembers: ['srv-00001'],
      });
      expect([...sim.keepAliveStopped]).toEqual(['srv-p0001a']);
      expect(registry.handle({ action: 'keepalive-stop', serverIds: ['srv-p0001a'] }, sim)).toMatchObject({
        affected: 0,
      });
      expect(registry.handle({ action: 'keepalive-start', serverIds: ['srv-p0001a', 'srv-p0001b'] }, sim)).toEqual({
        ok: true,
        action: 'keepalive-start',
        affected: 1,
      });
      expect(sim.keepAliveStopped.size).toBe(0);
    });
  });

  describe('service-down and service-up', () => {
    it('set the reported state of the named service', () => {
      expect(registry.handle({ action: 'service-down', serverIds: ['srv-p0001b'], service: 'ip-phone' }, sim)).toEqual({
        ok: true,
        action: 'service-down',
        affected: 1,
      });
      expect(sim.services.get('srv-p0001b:ip-phone')).toBe('down');
      expect(
        registry.handle({ action: 'service-up', serverIds: ['srv-p0001b'], service: 'ip-phone' }, sim),
      ).toMatchObject({ ok: true, affected: 1 });
      expect(sim.services.get('srv-p0001b:ip-phone')).toBe('up');
    });

    it.each([
      [{ action: 'service-down', serverIds: ['srv-p0001a'] }, 'service:'],
      [{ action: 'service-down', serverIds: ['srv-p0001a'], service: 'dns' }, 'service:'],
      [{ action: 'service-up', serverIds: [], service: 'switching' }, 'serverIds: must list at least one server id'],
    ])('refuses %j naming the field', (message, error) => {
      const reply = registry.handle(message, sim);
      expect(reply.ok === false && reply.error).toContain(error);
      expect(sim.services.size).toBe(0);
    });
  });

  describe('replication', () => {
    it('forces the reported replication state', () => {
      expect(
        registry.handle({ action: 'replication', serverIds: ['srv-p0001b'], state: 'synchronizing' }, sim),
      ).toEqual({ ok: true, action: 'replication', affected: 1 });
      expect(sim.forced.get('srv-p0001b')).toBe('synchronizing');
    });

    it('refuses an unknown state', () => {
      expect(registry.handle({ action: 'replication', serverIds: ['srv-p0001b'], state: 'done' }, sim)).toMatchObject({
        ok: false,
        error: expect.stringContaining('state:'),
      });
    });
  });

  describe('pairs', () => {
    it('lists every pair, or the named ones with the unknown ids', () => {
      expect(registry.handle({ action: 'pairs' }, sim)).toEqual({
        ok: true,
        action: 'pairs',
        affected: 1,
        pairs: { 'pair-0001': sim.pairView },
      });
      expect(registry.handle({ action: 'pairs', pairIds: ['pair-0001', 'pair-0009'] }, sim)).toEqual({
        ok: true,
        action: 'pairs',
        affected: 1,
        pairs: { 'pair-0001': sim.pairView },
        unknownPairIds: ['pair-0009'],
      });
      expect(registry.handle({ action: 'pairs', pairIds: 'pair-0001' }, sim)).toMatchObject({
        ok: false,
        error: expect.stringContaining('pairIds:'),
      });
    });
  });

  it.each([
    [null, 'invalid control message: (root):'],
    ['stop', 'invalid control message'],
    [{ serverIds: ['srv-00001'] }, 'invalid control message: action:'],
    [{ action: 'explode', serverIds: ['srv-00001'] }, `unknown action "explode" (known: ${ALL_ACTIONS.join(', ')})`],
    [{ action: 'stop' }, 'invalid "stop" message: serverIds:'],
    [{ action: 'stop', serverIds: [] }, 'serverIds: must list at least one server id'],
    [{ action: 'stop', serverIds: 'srv-00001' }, 'serverIds:'],
    [{ action: 'stop', serverIds: ['srv 1'] }, 'serverIds[0]:'],
    [{ action: 'stop', serverIds: ['srv-00001'], extra: 1 }, 'extra'],
  ])('refuses %j without touching the simulator', (message, error) => {
    const reply = registry.handle(message, sim);
    expect(reply.ok).toBe(false);
    expect(reply.ok === false && reply.error).toContain(error);
    expect(sim.online.size).toBe(5);
  });

  it('takes new actions with their own message shape', () => {
    const seen: string[] = [];
    const flap = defineSimAction({
      name: 'flap',
      description: 'test action',
      schema: serverIdsMessage('flap').extend({ state: z.enum(['synchronizing', 'updated']) }),
      run: (message, s): SimActionResult =>
        forEachServer(message.serverIds, s, (id) => {
          seen.push(`${id}:${message.state}`);
          return true;
        }),
    });
    const extended = new SimActionRegistry().register(flap);
    expect(extended.names()).toEqual([...ALL_ACTIONS, 'flap'].sort());
    expect(extended.handle({ action: 'flap', serverIds: ['srv-00001'], state: 'updated' }, sim)).toEqual({
      ok: true,
      action: 'flap',
      affected: 1,
    });
    expect(seen).toEqual(['srv-00001:updated']);
    expect(extended.handle({ action: 'flap', serverIds: ['srv-00001'], state: 'x' }, sim)).toMatchObject({
      ok: false,
    });
    expect(() => extended.register(flap)).toThrow('registered twice');
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
