import type { NatsConnection } from '@nats-io/nats-core';
import { Subjects } from '@fleetwarden/contracts';
import type { AgentUpdateCommand } from '@fleetwarden/execution-contracts';
import { AgentHello, AgentReport } from '@fleetwarden/inventory-contracts';
import { connectNats } from '@fleetwarden/messaging';
import { createClock } from '@fleetwarden/platform';
import { createTestNamespace, TEST_NATS_URL } from '@fleetwarden/testing';
import type { AgentCommandReply } from '../common/agent-jobs';
import { AgentTraffic, MemoryLogger, ProgressStream, waitFor } from '../testing/agent-test.helpers';
import type { SimControlReply } from './control/sim-actions';
import { FleetModel, SIM_SERVER_VERSION } from './fleet-data';
import { FleetSimulator } from './fleet-simulator';
import { simInitialPatchInstall } from './patch-data';
import { simFailingServerIds } from './update-script';

const SERVERS = 30;
const SEED = 11;
const FAIL_RATE = 0.1;
/** Clock speed: an update takes 7-21 clock seconds, so 0.35-1.05 s here. */
const SPEED = 20;
const NEW_VERSION = '9.0.0.210';
const ALL_PHASES = ['accepted', 'downloading', 'installing', 'restarting', 'validating', 'completed'];

function update(jobId: string, attempt = 1, version = NEW_VERSION): AgentUpdateCommand {
  return {
    type: 'update',
    jobId,
    taskId: `task-${jobId}`,
    attempt,
    components: [{ component: 'server-image', version }],
    timeouts: { downloadSec: 600, installSec: 600, restartSec: 600, validateSec: 600 },
  };
}

describe('FleetSimulator executing updates on NATS', () => {
  const namespace = createTestNamespace('t_sim_');
  const subjects = new Subjects(namespace);
  const fleet = new FleetModel({ servers: SERVERS, resellers: 2, seed: SEED });
  const ids = [...fleet.servers()].map((s) => s.serverId);
  const failing = simFailingServerIds(SEED, ids, FAIL_RATE);
  const logger = new MemoryLogger();
  let observer: NatsConnection;
  let simConnection: NatsConnection;
  let traffic: AgentTraffic;
  let progress: ProgressStream;
  let sim: FleetSimulator;
  const clock = createClock(SPEED, Date.now());
  /** The sim clock just before and just after the start. */
  let startedBetween: [number, number];

  const command = async (serverId: string, body: unknown, timeout = 2000): Promise<AgentCommandReply> => {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    const reply = await observer.request(`${namespace}.agent.${serverId}.cmd`, payload, { timeout });
    return reply.json<AgentCommandReply>();
  };
  const control = async (message: unknown): Promise<SimControlReply> =>
    (await observer.request(`${namespace}.sim.control`, JSON.stringify(message), { timeout: 2000 })).json();
  const finished = (jobIds: string[]) => () => jobIds.every((id) => progress.final(id) !== undefined);
  /** A server that is not among the ones failing first attempts, and not used by another test. */
  const reliable = (() => {
    const pool = ids.filter((id) => !failing.has(id)).reverse();
    return () => pool.pop() as string;
  })();

  beforeAll(async () => {
    observer = await connectNats({ url: TEST_NATS_URL, name: 'agent-sim-updates-observer' });
    traffic = new AgentTraffic(observer, namespace);
    progress = await ProgressStream.open(observer, subjects);
    simConnection = await connectNats({ url: TEST_NATS_URL, name: 'agent-sim-updates' });
    sim = new FleetSimulator({
      connection: simConnection,
      namespace,
      fleet,
      clock,
      speed: SPEED,
      heartbeatSec: 10,
      failRate: FAIL_RATE,
      agentVersion: '0.0.0-test',
      logger,
    });
    const before = clock.now().getTime();
    sim.start();
    startedBetween = [before, clock.now().getTime()];
    await sim.whenAllGreeted();
  });

  afterAll(async () => {
    await sim?.stop();
    await simConnection?.drain();
    traffic?.stop();
    await progress?.close();
    await observer?.drain();
  });

  it('runs a first attempt everywhere: exactly round(rate x N) servers fail, chosen by the seed', async () => {
    expect(failing.size).toBe(Math.round(FAIL_RATE * SERVERS));
    expect(sim.failingServerIds).toEqual(failing);
    const replies = await Promise.all(ids.map((id) => command(id, update(`a-${id}`))));
    expect(replies).toEqual(ids.map((id) => ({ ok: true, jobId: `a-${id}` })));
    await waitFor(finished(ids.map((id) => `a-${id}`)), 'every first attempt to end');

    const failed = ids.filter((id) => progress.final(`a-${id}`)?.phase === 'failed');
    expect(new Set(failed)).toEqual(failing);
    for (const id of ids) {
      const jobId = `a-${id}`;
      const phases = progress.phases(jobId);
      const messages = progress.of({ jobId });
      expect(messages.every((m) => m.serverId === id)).toBe(true);
      if (failing.has(id)) {
        expect(phases.slice(0, -1)).toEqual(ALL_PHASES.slice(0, phases.length - 1));
        expect(phases.at(-1)).toBe('failed');
        const final = progress.final(jobId);
        expect(final?.error).toBeTruthy();
        expect(final?.log.some((line) => line.startsWith('E: '))).toBe(true);
        expect(final?.versions).toBeUndefined();
      } else {
        expect(phases).toEqual(ALL_PHASES);
        expect(progress.final(jobId)).toMatchObject({
          versions: [{ component: 'server-image', version: NEW_VERSION }],
          validation: { passed: true },
        });
      }
    }
    const ours = progress.stored.filter((s) => s.message.jobId.startsWith('a-'));
    expect(ours.every((s) => s.msgId === `${s.message.jobId}:${s.message.phase}`)).toBe(true);
    expect(progress.invalid).toEqual([]);
  });

  it('reports the new server-image version of the servers that completed, and only of those', async () => {
    const completed = ids.filter((id) => !failing.has(id));
    const reported = (id: string) =>
      traffic.messages(id, 'report').map((m) => AgentReport.parse(m.body).versions?.serverVersion);
    await waitFor(() => completed.every((id) => reported(id).includes(NEW_VERSION)), 'reports of the new version');
    for (const id of failing) expect(reported(id)).toEqual([]);
    expect(sim.profile(completed[0])?.versions.serverVersion).toBe(NEW_VERSION);
    expect(sim.profile([...failing][0])?.versions.serverVersion).toBe(SIM_SERVER_VERSION);
  });

  it('lets a second attempt of the failed servers succeed', async () => {
    const retried = [...failing];
    for (const id of retried) await expect(command(id, update(`b-${id}`, 2))).resolves.toMatchObject({ ok: true });
    await waitFor(finished(retried.map((id) => `b-${id}`)), 'the retries to end');
    for (const id of retried) expect(progress.phases(`b-${id}`)).toEqual(ALL_PHASES);
  });

  it('answers a redelivered update again without running it twice', async () => {
    const id = ids[0];
    const before = progress.of({ jobId: `a-${id}` }).length;
    await expect(command(id, update(`a-${id}`))).resolves.toEqual({ ok: true, jobId: `a-${id}` });
    await expect(command(id, update(`a-${id}`))).resolves.toEqual({ ok: true, jobId: `a-${id}` });
    const reply = await control({ action: 'jobs', serverIds: [id] });
    expect(reply).toMatchObject({ ok: true, action: 'jobs', affected: 1 });
    const jobs = reply.ok ? reply.jobs?.[id] : undefined;
    expect(jobs?.duplicates).toBe(2);
    expect(jobs?.executed.filter((j) => j.jobId === `a-${id}`)).toEqual([
      expect.objectContaining({ jobId: `a-${id}`, taskId: `task-a-${id}`, attempt: 1, outcome: expect.any(String) }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(progress.of({ jobId: `a-${id}` })).toHaveLength(before);
  });

  it('refuses a second job while one runs', async () => {
    const id = reliable();
    await expect(command(id, update('busy-1', 2))).resolves.toEqual({ ok: true, jobId: 'busy-1' });
    await expect(command(id, update('busy-2', 2))).resolves.toEqual({ ok: false, error: 'busy: job busy-1 running' });
    await waitFor(finished(['busy-1']), 'the first job to end');
    expect(progress.phases('busy-2')).toEqual([]);
  });

  it('cancels a job not yet past installing, and refuses when it is too late', async () => {
    const id = reliable();
    await command(id, update('cancel-1', 2));
    await expect(command(id, { type: 'cancel', jobId: 'cancel-1' })).resolves.toEqual({ ok: true, jobId: 'cancel-1' });
    await waitFor(finished(['cancel-1']), 'the cancelled job to end');
    expect(progress.final('cancel-1')).toMatchObject({ phase: 'failed', error: 'cancelled' });
    expect(progress.phases('cancel-1')).not.toContain('restarting');
    await expect(command(id, { type: 'cancel', jobId: 'cancel-1' })).resolves.toEqual({ ok: true, jobId: 'cancel-1' });

    await command(id, update('cancel-2', 2));
    await waitFor(() => progress.phases('cancel-2').includes('restarting'), 'the job to restart');
    await expect(command(id, { type: 'cancel', jobId: 'cancel-2' })).resolves.toEqual({
      ok: false,
      error: expect.stringMatching(/^too late: job cancel-2 is (restarting|validating)$/),
    });
    await waitFor(finished(['cancel-2']), 'the job to end');
    expect(progress.final('cancel-2')?.phase).toBe('completed');
    await expect(command(id, { type: 'cancel', jobId: 'cancel-2' })).resolves.toEqual({
      ok: false,
      error: 'too late: job cancel-2 already completed',
    });
    await expect(command(id, { type: 'cancel', jobId: 'nope' })).resolves.toEqual({
      ok: false,
      error: 'unknown job nope',
    });
  });

  it('fails the next update of scripted servers in the phase asked for, whatever the attempt', async () => {
    const [first, second] = [reliable(), reliable()];
    await expect(
      control({ action: 'script-failures', serverIds: [first, second, 'srv-99999'], phase: 'validating' }),
    ).resolves.toEqual({ ok: true, action: 'script-failures', affected: 2, unknownServerIds: ['srv-99999'] });
    await Promise.all([command(first, update('scripted-1', 3)), command(second, update('scripted-2', 3))]);
    await waitFor(finished(['scripted-1', 'scripted-2']), 'the scripted jobs to end');
    for (const jobId of ['scripted-1', 'scripted-2']) {
      expect(progress.phases(jobId)).toEqual([...ALL_PHASES.slice(0, 5), 'failed']);
      expect(progress.final(jobId)).toMatchObject({ validation: { passed: false } });
    }
    await command(first, update('scripted-3', 4));
    await waitFor(finished(['scripted-3']), 'the next job to end');
    expect(progress.final('scripted-3')?.phase).toBe('completed');
  });

  it('answers an invalid command with the field at fault and carries on', async () => {
    const id = reliable();
    await expect(command(id, '{nope')).resolves.toMatchObject({
      ok: false,
      error: expect.stringContaining('not JSON'),
    });
    await expect(command(id, { ...update('bad-1'), attempt: 0 })).resolves.toMatchObject({
      ok: false,
      error: expect.stringContaining('attempt'),
    });
    await expect(command(id, { type: 'explode', jobId: 'bad-2' })).resolves.toMatchObject({
      ok: false,
      error: expect.stringContaining('type'),
    });
    await expect(command(id, update('good-1', 2))).resolves.toEqual({ ok: true, jobId: 'good-1' });
    await waitFor(finished(['good-1']), 'the valid job to end');
  });

  it('does not answer for a stopped server or a server it does not run', async () => {
    const id = reliable();
    await control({ action: 'stop', serverIds: [id] });
    await expect(command(id, update('offline-1', 2), 300)).rejects.toThrow();
    await expect(command('srv-99999', update('nobody-1', 2), 300)).rejects.toThrow();
    await control({ action: 'start', serverIds: [id] });
    await expect(command(id, update('offline-1', 2))).resolves.toEqual({ ok: true, jobId: 'offline-1' });
    await waitFor(finished(['offline-1']), 'the job to end');
  });

  it('holds the progress of a server that went offline mid-job and says hello with the new version', async () => {
    const id = reliable();
    await command(id, update('held-1', 2, '9.0.0.220'));
    await waitFor(() => progress.phases('held-1').includes('downloading'), 'the job to start');
    await control({ action: 'stop', serverIds: [id] });
    const hellos = traffic.count(id, 'hello');
    await new Promise((resolve) => setTimeout(resolve, (21 * 1000) / SPEED + 100));
    expect(progress.final('held-1')).toBeUndefined();
    await control({ action: 'start', serverIds: [id] });
    await waitFor(finished(['held-1']), 'the held progress');
    expect(progress.phases('held-1')).toEqual(ALL_PHASES);
    await waitFor(() => traffic.count(id, 'hello') > hellos, 'a new hello');
    expect(AgentHello.parse(traffic.messages(id, 'hello').at(-1)?.body).versions.serverVersion).toBe('9.0.0.220');
  });

  it('never executed a job twice on any server', async () => {
    const reply = await control({ action: 'jobs' });
    expect(reply.ok).toBe(true);
    const jobs = reply.ok ? (reply.jobs ?? {}) : {};
    expect(Object.keys(jobs).sort()).toEqual(ids);
    for (const { executed } of Object.values(jobs)) {
      expect(new Set(executed.map((j) => j.jobId)).size).toBe(executed.length);
    }
    const executed = Object.values(jobs).flatMap((j) => j.executed);
    expect(executed.filter((j) => j.outcome === 'running')).toEqual([]);
    expect(executed.every((j) => !Number.isNaN(Date.parse(j.startedAt)))).toBe(true);
    const finals = progress.stored.filter((s) => s.message.phase === 'completed' || s.message.phase === 'failed');
    expect(finals).toHaveLength(executed.length);
    expect(logger.lines.filter((l) => l.startsWith('error'))).toEqual([]);
  });

  describe('OS patches', () => {
    const DAY_MS = 86_400_000;
    const patchReports = (filter: (r: (typeof progress.patches)[number]['message']) => boolean) =>
      progress.patches.filter((p) => filter(p.message));

    it("reports each server's last install after its hello: 0-150 days before the start, outside the system", async () => {
      await sim.whenInitialPatchesStored();
      const initial = patchReports((m) => m.taskId === null && m.startedBy === 'reseller');
      expect(initial.map((p) => p.message.serverId).sort()).toEqual(ids);
      const starts = new Set<number>();
      for (const { msgId, message } of initial) {
        expect(msgId).toBe(`${message.serverId}:${message.installedAt}`);
        expect(message).toMatchObject({ kind: 'regular', urgentUpdateId: null });
        const installedAt = Date.parse(message.installedAt);
        expect(installedAt).toBeGreaterThanOrEqual(startedBetween[0] - 150 * DAY_MS);
        expect(installedAt).toBeLessThanOrEqual(startedBetween[1]);
        // The age comes from the seed: each install plus its seeded age is the start instant.
        const { ageMs, patches } = simInitialPatchInstall(SEED, fleet.indexOf(message.serverId) as number);
        expect(message.patches).toEqual(patches);
        starts.add(installedAt + ageMs);
      }
      expect(starts.size).toBe(1);
      const [start] = starts;
      expect(start).toBeGreaterThanOrEqual(startedBetween[0]);
      expect(start).toBeLessThanOrEqual(startedBetween[1]);
      const reply = await control({ action: 'patch-history' });
      expect(reply.ok && reply.patchHistory).toEqual(
        ids.map((serverId) => ({
          serverId,
          lastInstalledAt: initial.find((p) => p.message.serverId === serverId)?.message.installedAt,
          hostingProvider: fleet.server(fleet.indexOf(serverId) as number).hostingProvider,
          reseller: fleet.server(fleet.indexOf(serverId) as number).reseller.id,
        })),
      );
      expect(sim.stats().patches).toMatchObject({ stored: SERVERS, dropped: 0, waiting: 0 });
    });

    it('install-patches (control) makes the servers report an install with the fields given', async () => {
      const installedAt = new Date(clock.now().getTime() - DAY_MS).toISOString();
      const reply = await control({
        action: 'install-patches',
        count: 3,
        startedBy: 'operations',
        kind: 'urgent',
        urgentUpdateId: 'urgent-7',
        patches: ['openssl_3.0.13-0ubuntu3.4'],
        installedAt,
      });
      expect(reply).toEqual({
        ok: true,
        action: 'install-patches',
        affected: 3,
        serverIds: ids.slice(0, 3),
        installedAt: new Date(installedAt).toISOString(),
      });
      await waitFor(() => patchReports((m) => m.urgentUpdateId === 'urgent-7').length === 3, 'the urgent installs');
      expect(patchReports((m) => m.urgentUpdateId === 'urgent-7').map((p) => p.message)).toEqual(
        ids.slice(0, 3).map((serverId) =>
          expect.objectContaining({
            serverId,
            installedAt: new Date(installedAt).toISOString(),
            patches: ['openssl_3.0.13-0ubuntu3.4'],
            startedBy: 'operations',
            kind: 'urgent',
            taskId: null,
          }),
        ),
      );
      const history = await control({ action: 'patch-history', serverIds: [ids[0]] });
      expect(history.ok && history.patchHistory?.[0].lastInstalledAt).toBe(new Date(installedAt).toISOString());
      const future = await control({ action: 'install-patches', count: 1, installedAt: '2999-01-01T00:00:00Z' });
      expect(future).toMatchObject({
        ok: false,
        error: expect.stringContaining('installedAt: 2999-01-01T00:00:00Z is in the future'),
      });
    });

    it('runs an install-patches command once and reports it with taskId = jobId', async () => {
      const id = ids[5];
      const body = {
        type: 'install-patches',
        jobId: 'patch-job-1',
        patches: ['libc6_2.35-0ubuntu3.8'],
        startedBy: 'automated',
        kind: 'regular',
        urgentUpdateId: null,
      };
      const before = clock.now().getTime();
      await expect(command(id, body)).resolves.toEqual({ ok: true, jobId: 'patch-job-1' });
      await expect(command(id, body)).resolves.toEqual({ ok: true, jobId: 'patch-job-1' });
      await waitFor(() => patchReports((m) => m.taskId === 'patch-job-1').length > 0, 'the install report');
      const [report] = patchReports((m) => m.taskId === 'patch-job-1');
      expect(report.message).toMatchObject({
        serverId: id,
        patches: ['libc6_2.35-0ubuntu3.8'],
        startedBy: 'automated',
        kind: 'regular',
        urgentUpdateId: null,
      });
      expect(Date.parse(report.message.installedAt)).toBeGreaterThan(before);
      await new Promise((resolve) => setTimeout(resolve, (5 * 1000) / SPEED + 200));
      expect(patchReports((m) => m.taskId === 'patch-job-1')).toHaveLength(1);
      expect(sim.stats().patches).toMatchObject({ commands: 1, duplicates: 1 });
    });
  });
});
