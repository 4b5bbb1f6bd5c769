import { evolveAll } from '@fleetwarden/shared-domain';
import { DeciderSpecification } from '@fleetwarden/testing';
import type { RolloutCommand, StartRollout } from './rollout.commands';
import { phaseTimeoutsFor, rolloutDecider, rolloutJobId } from './rollout.decider';
import type { RolloutEvent, RolloutStarted } from './rollout.events';
import type { RolloutState } from './rollout.types';

const spec = DeciderSpecification.for(rolloutDecider);
const T0 = '2026-11-28T22:00:00.000Z';
const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `s${i}`);
const target = [{ component: 'server-image' as const, version: '9.1.0.10' }];

function startData(overrides: Partial<StartRollout['data']> = {}): StartRollout['data'] {
  return {
    taskId: 't1',
    serverIds: ids(3),
    targetVersions: target,
    staggerSeconds: 180,
    maxConcurrency: null,
    window: null,
    failureThreshold: null,
    timeouts: phaseTimeoutsFor(['server-image']),
    attempt: 1,
    startedAt: T0,
    ...overrides,
  };
}
const started = (overrides: Partial<StartRollout['data']> = {}): RolloutStarted => ({
  type: 'RolloutStarted',
  data: { pairs: [], ...startData(overrides) },
});
const dispatched = (serverId: string, seconds = 0): RolloutEvent => ({
  type: 'ServerUpdateDispatched',
  data: { taskId: 't1', serverId, jobId: rolloutJobId('t1', serverId, 1), attempt: 1, dispatchedAt: at(seconds) },
});
const tick = (seconds: number, connected: string[]): RolloutCommand => ({
  type: 'Tick',
  data: { now: at(seconds), connectedServerIds: connected },
});
const done = (serverId: string, seconds: number, passed = true, version = '9.1.0.10'): RolloutCommand => ({
  type: 'RecordProgress',
  data: {
    serverId,
    jobId: rolloutJobId('t1', serverId, 1),
    phase: 'done',
    versions: [{ component: 'server-image', version }],
    validation: { passed },
    now: at(seconds),
  },
});
const agentFailed = (serverId: string, seconds: number): RolloutCommand => ({
  type: 'RecordProgress',
  data: { serverId, jobId: rolloutJobId('t1', serverId, 1), phase: 'failed', log: ['E: disk full'], now: at(seconds) },
});

/** Runs commands against a growing stream, as the service would. */
class Run {
  events: RolloutEvent[];
  constructor(first: RolloutStarted) {
    this.events = [first];
  }
  get state(): RolloutState {
    return evolveAll(rolloutDecider, this.events);
  }
  handle(command: RolloutCommand): RolloutEvent[] {
    const produced = rolloutDecider.decide(command, this.state);
    this.events.push(...produced);
    return produced;
  }
  of<T extends RolloutEvent['type']>(type: T): Extract<RolloutEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<RolloutEvent, { type: T }> => e.type === type);
  }
}

describe('rollout', () => {
  describe('when not started', () => {
    it('starts with the frozen servers queued', () => {
      spec.given([]).when({ type: 'StartRollout', data: startData() }).then([started()]);
    });

    it('ignores a redelivered start', () => {
      spec.given([started()]).when({ type: 'StartRollout', data: startData() }).thenNothingHappens();
    });

    it('refuses an empty target set, a negative stagger and a bad window', () => {
      spec
        .given([])
        .when({ type: 'StartRollout', data: startData({ serverIds: [] }) })
        .thenThrows('ROLLOUT.INVALID_OPTIONS');
      spec
        .given([])
        .when({ type: 'StartRollout', data: startData({ staggerSeconds: -1 }) })
        .thenThrows('ROLLOUT.INVALID_OPTIONS');
      spec
        .given([])
        .when({
          type: 'StartRollout',
          data: startData({ window: { start: '22:00', end: '02:00', timeZone: 'Nowhere/X' } }),
        })
        .thenThrows('ROLLOUT.INVALID_WINDOW');
    });

    it('refuses a tick before the start', () => {
      spec.given([]).when(tick(0, [])).thenThrows('ROLLOUT.NOT_STARTED');
    });
  });

  describe('when running', () => {
    it('spaces 100 servers by the stagger: server k is dispatched at k x 180 s', () => {
      const run = new Run(started({ serverIds: ids(100) }));
      for (let s = 0; s <= 99 * 180; s += 30) run.handle(tick(s, ids(100)));
      const starts = run.of('ServerUpdateDispatched');
      expect(starts).toHaveLength(100);
      starts.forEach((e, k) => {
        expect(e.data.serverId).toBe(`s${k}`);
        expect(e.data.dispatchedAt).toBe(at(k * 180));
      });
    });

    it('dispatches only the servers that are due', () => {
      spec
        .given([started()])
        .when(tick(200, ids(3)))
        .then([dispatched('s0', 200), dispatched('s1', 200)]);
    });

    it('never decides a dispatch twice for the same server and attempt', () => {
      spec
        .given([started(), dispatched('s0')])
        .when(tick(10, ids(3)))
        .thenNothingHappens();
    });

    it('keeps at most maxConcurrency servers in flight', () => {
      const run = new Run(started({ serverIds: ids(5), staggerSeconds: 0, maxConcurrency: 2 }));
      expect(run.handle(tick(0, ids(5)))).toEqual([dispatched('s0'), dispatched('s1')]);
      expect(run.handle(tick(10, ids(5)))).toEqual([]);
      run.handle(done('s0', 20));
      expect(run.handle(tick(30, ids(5)))).toEqual([dispatched('s2', 30)]);
    });

    describe('with a maintenance window', () => {
      // T0 is 23:00 in Berlin (UTC+1).
      const window = { start: '22:00', end: '02:00', timeZone: 'Europe/Berlin' };

      it('dispatches inside a window that wraps midnight', () => {
        spec
          .given([started({ window })])
          .when(tick(2 * 3600, ids(3))) // 01:00 Berlin
          .then([dispatched('s0', 7200), dispatched('s1', 7200), dispatched('s2', 7200)]);
      });

      it('waits outside the window', () => {
        spec
          .given([started({ window })])
          .when(tick(4 * 3600, ids(3))) // 03:00 Berlin
          .thenNothingHappens();
      });

      it('reads the window in its own time zone', () => {
        const utcWindow = { start: '22:00', end: '23:00', timeZone: 'America/New_York' };
        // 22:00 UTC is 17:00 in New York.
        spec
          .given([started({ window: utcWindow })])
          .when(tick(0, ids(3)))
          .thenNothingHappens();
      });
    });

    describe('with a disconnected target', () => {
      const window = { start: '22:00', end: '23:30', timeZone: 'Europe/Berlin' };

      it('leaves it queued and dispatches it once it reconnects', () => {
        const run = new Run(started({ window, staggerSeconds: 0 }));
        expect(run.handle(tick(0, ['s0', 's2']))).toEqual([dispatched('s0'), dispatched('s2')]);
        expect(run.handle(tick(60, ['s0', 's2']))).toEqual([]);
        expect(run.handle(tick(120, ids(3)))).toEqual([dispatched('s1', 120)]);
      });

      it('marks it not started when the window ends first', () => {
        const run = new Run(started({ window, staggerSeconds: 0 }));
        run.handle(tick(0, ['s0', 's2']));
        run.handle(done('s0', 30));
        run.handle(done('s2', 40));
        expect(run.handle(tick(3600, ['s0', 's2'])).slice(0, 2)).toEqual([
          { type: 'ServerUpdateNotStarted', data: { taskId: 't1', serverId: 's1', reason: 'window-ended' } },
          expect.objectContaining({ type: 'RolloutFinished' }),
        ]);
      });
    });

    describe('validation', () => {
      const inFlight = [started(), dispatched('s0')];

      it('completes a server when validation passes with the target version', () => {
        spec
          .given(inFlight)
          .when(done('s0', 100))
          .then([
            {
              type: 'ServerUpdateCompleted',
              data: { taskId: 't1', serverId: 's0', jobId: 't1:s0:1', versions: target, finishedAt: at(100) },
            },
          ]);
      });

      it('fails a server whose functional check fails', () => {
        spec
          .given(inFlight)
          .when(done('s0', 100, false))
          .then([
            {
              type: 'ServerUpdateFailed',
              data: {
                taskId: 't1',
                serverId: 's0',
                jobId: 't1:s0:1',
                reason: 'validation failed',
                log: [],
                finishedAt: at(100),
              },
            },
          ]);
      });

      it('fails a server that reports another version', () => {
        const run = new Run(started());
        run.handle(tick(0, ids(3)));
        const [failed] = run.handle(done('s0', 100, true, '9.0.0.200'));
        expect(failed).toMatchObject({
          type: 'ServerUpdateFailed',
          data: { reason: 'version mismatch on server-image: expected 9.1.0.10, reported 9.0.0.200' },
        });
      });

      it('keeps the error log lines of a failed server', () => {
        const run = new Run(started());
        run.handle(tick(0, ids(3)));
        run.handle({
          type: 'RecordProgress',
          data: { serverId: 's0', jobId: 't1:s0:1', phase: 'installing', log: ['installing 9.1.0.10'], now: at(5) },
        });
        run.handle(agentFailed('s0', 10));
        const s0 = run.state.servers[0];
        expect(s0).toMatchObject({ status: 'failed', startedAt: at(0), finishedAt: at(10), attempt: 1 });
        expect(s0.errorLog).toEqual(['installing 9.1.0.10', 'E: disk full', 'agent reported a failure']);
      });
    });

    describe('timeouts', () => {
      const installing: RolloutEvent = {
        type: 'ServerUpdateProgressed',
        data: { taskId: 't1', serverId: 's0', jobId: 't1:s0:1', phase: 'installing', log: [], at: at(5) },
      };

      it('fails a server that stays too long in a phase', () => {
        spec
          .given([started(), dispatched('s0'), installing])
          .when({
            type: 'RecordTimeout',
            data: { serverId: 's0', jobId: 't1:s0:1', phase: 'installing', now: at(900) },
          })
          .then([
            {
              type: 'ServerUpdateFailed',
              data: {
                taskId: 't1',
                serverId: 's0',
                jobId: 't1:s0:1',
                reason: 'timed out while installing',
                log: [],
                finishedAt: at(900),
              },
            },
          ]);
      });

      it('a tick fails a job past its phase limit, and not one within it', () => {
        const limits = { dispatched: 100, downloading: 100, installing: 300, restarting: 100, validating: 100 };
        const given = [started({ timeouts: limits }), dispatched('s0'), installing];
        spec
          .given(given)
          .when(tick(5 + 299, []))
          .thenNothingHappens();
        spec
          .given(given)
          .when(tick(5 + 300, []))
          .then([
            {
              type: 'ServerUpdateFailed',
              data: {
                taskId: 't1',
                serverId: 's0',
                jobId: 't1:s0:1',
                reason: 'timed out while installing',
                log: [],
                finishedAt: at(305),
              },
            },
          ]);
      });

      it('counts a time limit from when the caller began watching, not across its own outage', () => {
        const limits = { dispatched: 60, downloading: 100, installing: 300, restarting: 100, validating: 100 };
        const state = evolveAll(rolloutDecider, [started({ timeouts: limits }), dispatched('s0')]);
        const late = { type: 'Tick' as const, data: { now: at(200), connectedServerIds: [], watchingSince: at(190) } };
        expect(rolloutDecider.decide(late, state)).toEqual([]);
        const after = { type: 'Tick' as const, data: { now: at(250), connectedServerIds: [], watchingSince: at(190) } };
        expect(rolloutDecider.decide(after, state)[0]).toMatchObject({ type: 'ServerUpdateFailed' });
      });

      it('a job that the agent never starts times out as dispatched', () => {
        const limits = { dispatched: 60, downloading: 100, installing: 300, restarting: 100, validating: 100 };
        const events = rolloutDecider.decide(
          tick(60, []),
          evolveAll(rolloutDecider, [started({ timeouts: limits }), dispatched('s0')]),
        );
        expect(events[0]).toMatchObject({ type: 'ServerUpdateFailed', data: { reason: 'timed out while dispatched' } });
      });

      it('takes the largest limit of the components of a job', () => {
        expect(phaseTimeoutsFor(['web-apps', 'server-image']).installing).toBe(3600);
        expect(phaseTimeoutsFor(['client-apps']).restarting).toBe(300);
      });

      it('ignores a timeout of a phase the server has already left', () => {
        spec
          .given([started(), dispatched('s0'), installing])
          .when({
            type: 'RecordTimeout',
            data: { serverId: 's0', jobId: 't1:s0:1', phase: 'downloading', now: at(900) },
          })
          .thenNothingHappens();
      });
    });

    describe('idempotent progress', () => {
      const downloading: RolloutEvent = {
        type: 'ServerUpdateProgressed',
        data: { taskId: 't1', serverId: 's0', jobId: 't1:s0:1', phase: 'downloading', log: [], at: at(5) },
      };
      const report = (jobId: string, phase: 'downloading' | 'done'): RolloutCommand => ({
        type: 'RecordProgress',
        data: { serverId: 's0', jobId, phase, now: at(6) },
      });

      it('ignores a redelivered phase', () => {
        spec
          .given([started(), dispatched('s0'), downloading])
          .when(report('t1:s0:1', 'downloading'))
          .thenNothingHappens();
      });

      it('ignores progress of another job id', () => {
        spec
          .given([started(), dispatched('s0')])
          .when(report('t1:s0:0', 'downloading'))
          .thenNothingHappens();
      });

      it('ignores progress of a server that is already final', () => {
        const completed: RolloutEvent = {
          type: 'ServerUpdateCompleted',
          data: { taskId: 't1', serverId: 's0', jobId: 't1:s0:1', versions: target, finishedAt: at(9) },
        };
        spec
          .given([started(), dispatched('s0'), completed])
          .when(done('s0', 10, false))
          .thenNothingHappens();
      });

      it('refuses progress of a server outside the rollout', () => {
        spec
          .given([started()])
          .when({ type: 'RecordProgress', data: { serverId: 'zz', jobId: 'x', phase: 'done', now: at(1) } })
          .thenThrows('ROLLOUT.SERVER_NOT_IN_ROLLOUT');
      });
    });

    describe('cancel before the start', () => {
      it('finishes the rollout as cancelled, and the late start changes nothing', () => {
        const cancelled = spec.given([]).when({ type: 'CancelRollout', data: { taskId: 't1', now: T0 } });
        cancelled.then([
          {
            type: 'RolloutFinished',
            data: {
              taskId: 't1',
              outcome: 'cancelled',
              completed: 0,
              failed: 0,
              notStarted: 0,
              cancelled: 0,
              completedServerIds: [],
              failedServerIds: [],
              finishedAt: T0,
            },
          },
        ]);
        const state = evolveAll(
          rolloutDecider,
          rolloutDecider.decide(
            { type: 'CancelRollout', data: { taskId: 't1', now: T0 } },
            rolloutDecider.initialState(),
          ),
        );
        expect(rolloutDecider.decide({ type: 'StartRollout', data: startData() }, state)).toEqual([]);
        expect(rolloutDecider.decide(tick(10, ids(3)), state)).toEqual([]);
      });
    });

    describe('cancel mid-run', () => {
      it('cancels only the servers not yet dispatched', () => {
        const run = new Run(started({ serverIds: ids(5) }));
        for (let s = 0; s <= 400; s += 60) run.handle(tick(s, ids(5)));
        expect(run.handle({ type: 'CancelRollout', data: { taskId: 't1', now: at(400) } })).toEqual(
          ['s3', 's4'].map((serverId) => ({ type: 'ServerUpdateCancelled', data: { taskId: 't1', serverId } })),
        );
        expect(run.handle(tick(450, ids(5)))).toEqual([]);
        run.handle(done('s0', 500));
        run.handle(done('s1', 510));
        const last = run.handle(done('s2', 520));
        expect(last.at(-1)).toEqual({
          type: 'RolloutFinished',
          data: {
            taskId: 't1',
            outcome: 'cancelled',
            completed: 3,
            failed: 0,
            notStarted: 0,
            cancelled: 2,
            completedServerIds: ['s0', 's1', 's2'],
            failedServerIds: [],
            finishedAt: at(520),
          },
        });
      });
    });

    describe('failure threshold', () => {
      it('halts after the 3rd of 10 scripted failures; in-flight servers are still reported', () => {
        const servers = ids(20);
        const run = new Run(started({ serverIds: servers, staggerSeconds: 60, failureThreshold: 3 }));
        const scripted = new Set(['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9']);
        // s0..s4 are dispatched; s0..s2 fail; s3, s4 are in flight when the rollout halts.
        for (let s = 0; s <= 240; s += 60) run.handle(tick(s, servers));
        run.handle(agentFailed('s0', 250));
        run.handle(agentFailed('s1', 251));
        expect(run.of('RolloutHalted')).toHaveLength(0);
        const halting = run.handle(agentFailed('s2', 252));
        expect(halting.map((e) => e.type)).toEqual([
          'ServerUpdateFailed',
          ...servers.slice(5).map(() => 'ServerUpdateNotStarted'),
          'RolloutHalted',
        ]);
        expect(run.handle(tick(290, servers))).toEqual([]);
        for (const id of ['s3', 's4']) if (scripted.has(id)) run.handle(agentFailed(id, 300));
        const finished = run.of('RolloutFinished');
        expect(finished).toEqual([
          {
            type: 'RolloutFinished',
            data: {
              taskId: 't1',
              outcome: 'failed',
              completed: 0,
              failed: 5,
              notStarted: 15,
              cancelled: 0,
              completedServerIds: [],
              failedServerIds: ['s0', 's1', 's2', 's3', 's4'],
              finishedAt: at(300),
            },
          },
        ]);
        expect(run.of('RolloutHalted').map((e) => e.data)).toEqual([
          {
            taskId: 't1',
            failed: 3,
            failedServerIds: ['s0', 's1', 's2'],
            startedServerIds: ['s0', 's1', 's2', 's3', 's4'],
            at: at(252),
          },
        ]);
      });
    });

    describe('finishing', () => {
      it('finishes 100 servers with 5 failures as failed, 95 completed', () => {
        const servers = ids(100);
        const failing = new Set(['s7', 's23', 's42', 's64', 's99']);
        const run = new Run(started({ serverIds: servers }));
        for (let s = 0; s <= 99 * 180 + 60; s += 60) {
          for (const e of run.handle(tick(s, servers))) {
            if (e.type !== 'ServerUpdateDispatched') continue;
            const id = e.data.serverId;
            run.handle(failing.has(id) ? agentFailed(id, s + 30) : done(id, s + 30));
          }
        }
        expect(run.of('RolloutFinished').map((e) => e.data)).toEqual([
          {
            taskId: 't1',
            outcome: 'failed',
            completed: 95,
            failed: 5,
            notStarted: 0,
            cancelled: 0,
            completedServerIds: servers.filter((id) => !failing.has(id)),
            failedServerIds: servers.filter((id) => failing.has(id)),
            finishedAt: at(99 * 180 + 30),
          },
        ]);
        expect(rolloutDecider.decide(tick(99 * 180 + 120, servers), run.state)).toEqual([]);
      });
    });
  });
});

describe('rollout of redundancy pairs', () => {
  const pair = { pairId: 'p1', primaryServerId: 'a', secondaryServerId: 'b', activeServerId: 'a' };
  const startPairs = (serverIds: string[]) =>
    new Run(
      rolloutDecider.decide(
        { type: 'StartRollout', data: startData({ serverIds, staggerSeconds: 60, pairs: [pair] }) },
        rolloutDecider.initialState(),
      )[0] as RolloutStarted,
    );
  const doneOf = (serverId: string, seconds: number): RolloutCommand => ({
    type: 'RecordProgress',
    data: {
      serverId,
      jobId: rolloutJobId('t1', serverId, 1),
      phase: 'done',
      versions: [{ component: 'server-image', version: '9.1.0.10' }],
      validation: { passed: true },
      now: at(seconds),
    },
  });

  it('puts the standby in the earlier place', () => {
    const run = startPairs(['a', 'x', 'b']);
    expect(run.events[0].data).toMatchObject({ serverIds: ['b', 'x', 'a'] });
  });

  it('updates the standby, asks for a switchover, then updates the former active member', () => {
    const run = startPairs(['a', 'b']);
    expect(run.handle(tick(0, ['a', 'b'])).map((e) => e.type)).toEqual(['ServerUpdateDispatched']);
    expect(run.of('ServerUpdateDispatched')[0].data.serverId).toBe('b');
    // a is due at 60 s but b is still updating: nothing.
    expect(run.handle(tick(60, ['a', 'b']))).toEqual([]);
    run.handle(doneOf('b', 90));
    expect(run.handle(tick(100, ['a', 'b']))).toEqual([
      {
        type: 'SwitchoverRequested',
        data: { taskId: 't1', pairId: 'p1', fromServerId: 'a', toServerId: 'b', at: at(100) },
      },
    ]);
    expect(run.handle(tick(110, ['a', 'b']))).toEqual([]);
    run.handle({ type: 'RecordSwitchover', data: { pairId: 'p1', activeServerId: 'b', now: at(120) } });
    const next = run.handle(tick(121, ['a', 'b']));
    expect(next.map((e) => [e.type, (e.data as { serverId?: string }).serverId])).toEqual([
      ['ServerUpdateDispatched', 'a'],
    ]);
  });

  it('never dispatches both members at once, whatever the order', () => {
    const run = startPairs(['a', 'b']);
    for (let s = 0; s <= 600; s += 30) run.handle(tick(s, ['a', 'b']));
    expect(run.of('ServerUpdateDispatched')).toHaveLength(1);
  });

  it('does not start the active member when the switchover is refused, or its standby is not a target', () => {
    const run = startPairs(['a', 'b']);
    run.handle(tick(0, ['a', 'b']));
    run.handle(doneOf('b', 30));
    run.handle(tick(60, ['a', 'b']));
    const refused = run.handle({
      type: 'RecordSwitchoverRefused',
      data: { pairId: 'p1', reason: 'standby secondary is still synchronizing', now: at(70) },
    });
    expect(refused[0]).toEqual({
      type: 'ServerUpdateNotStarted',
      data: {
        taskId: 't1',
        serverId: 'a',
        reason: 'switchover-refused',
        detail: 'standby secondary is still synchronizing',
      },
    });
    expect(refused.at(-1)?.type).toBe('RolloutFinished');

    const alone = startPairs(['a']);
    expect(alone.handle(tick(0, ['a']))[0]).toMatchObject({
      type: 'ServerUpdateNotStarted',
      data: { serverId: 'a', reason: 'switchover-refused' },
    });
  });
});
