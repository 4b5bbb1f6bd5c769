import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import { Subjects } from '@fleetwarden/contracts';
import type { AgentUpdateCommand } from '@fleetwarden/execution-contracts';
import { AgentReport } from '@fleetwarden/inventory-contracts';
import { connectNats } from '@fleetwarden/messaging';
import { createTestNamespace, TEST_NATS_URL } from '@fleetwarden/testing';
import type { AgentCommandReply } from '../common/agent-jobs';
import { AgentTraffic, MemoryLogger, ProgressStream, waitFor } from '../testing/agent-test.helpers';
import { parseAgentConfig, type AgentConfig } from './agent-config';
import { RealAgent } from './real-agent';

const SERVER_ID = 'srv-upd-1';
const ALL_PHASES = ['accepted', 'downloading', 'installing', 'restarting', 'validating', 'completed'];
/** A sleep no other process runs, so the test can tell it was killed. */
const SLEEP = 'sleep 31.7';

const UPDATE_COMMANDS = {
  'server-image': {
    download: 'echo "fetching $FLEETWARDEN_COMPONENT $FLEETWARDEN_VERSION for $FLEETWARDEN_JOB_ID"',
    install: [
      'echo "installing $FLEETWARDEN_VERSION"',
      'echo "$FLEETWARDEN_JOB_ID" >> runs.log',
      `printf '{"serverVersion":"%s","webAppsVersion":null}' "$FLEETWARDEN_VERSION" > manifest.json`,
    ].join('; '),
    restart: 'echo "restarted in phase $FLEETWARDEN_PHASE" >&2',
    validate:
      'test "$FLEETWARDEN_VERSION" != 9.9.9.999 || { echo "E: health check answered 500" >&2; exit 1; }; echo healthy',
  },
  'web-apps': {
    install: 'echo "E: Unable to locate package web-apps-$FLEETWARDEN_VERSION" >&2; exit 3',
    validate: 'true',
  },
  'client-apps': { install: `echo started; ${SLEEP}; echo never`, validate: 'true' },
};

/** Logs the job id and the patch ids it got as arguments; a patch `broken_1` makes it fail. */
const PATCH_COMMAND = {
  installCommand: [
    '/bin/sh',
    '-c',
    'echo "$FLEETWARDEN_JOB_ID:$#:$*" >> patches.log; for p; do [ "$p" != broken_1 ] || exit 4; done; echo done',
    'install-patches',
  ],
};

function agentConfig(dir: string, namespace: string, serverId: string, update?: object, patches?: object): AgentConfig {
  return parseAgentConfig(
    {
      serverId,
      natsUrl: TEST_NATS_URL,
      namespace,
      heartbeatIntervalSec: 1,
      reprobeEveryHeartbeats: 100_000,
      identity: {
        reseller: { id: 'reseller-9', name: 'Harbor Networks' },
        company: { id: 'company-9-1', name: 'Cedar Clinic Ltd' },
        address: '12 Mill Road, 55555 Dublin, IE',
        stage: 'patch',
        hostingProvider: 'partner',
      },
      manifestPath: 'manifest.json',
      filesDir: 'bin',
      hostConfig: { fqdn: 'ucs9.cedar.example.net', hostName: 'ucs9', publicIp: null, privateIp: '10.9.0.1' },
      ...(update ? { update } : {}),
      ...(patches ? { patches } : {}),
    },
    { baseDir: dir },
  );
}

function update(
  jobId: string,
  components: AgentUpdateCommand['components'],
  timeouts: Partial<AgentUpdateCommand['timeouts']> = {},
): AgentUpdateCommand {
  return {
    type: 'update',
    jobId,
    taskId: 'task-1',
    attempt: 1,
    components,
    timeouts: { downloadSec: 10, installSec: 10, restartSec: 10, validateSec: 10, ...timeouts },
  };
}

function sleeping(): boolean {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .some((line) => line.trim() === SLEEP);
}

describe('RealAgent executing updates on NATS', () => {
  const namespace = createTestNamespace('t_agent_');
  const subjects = new Subjects(namespace);
  const logger = new MemoryLogger();
  let dir: string;
  let observer: NatsConnection;
  let traffic: AgentTraffic;
  let progress: ProgressStream;
  let agent: RealAgent;

  const command = async (body: unknown, serverId = SERVER_ID): Promise<AgentCommandReply> => {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    return (await observer.request(`${namespace}.agent.${serverId}.cmd`, payload, { timeout: 2000 })).json();
  };
  const finished = (jobId: string) => () => progress.final(jobId) !== undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-updates-'));
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ serverVersion: '9.0.0.200' }));
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin', 'CoreServer.exe'), 'core');
    observer = await connectNats({ url: TEST_NATS_URL, name: 'agent-updates-observer' });
    traffic = new AgentTraffic(observer, namespace);
    progress = await ProgressStream.open(observer, subjects);
    agent = new RealAgent({
      config: agentConfig(dir, namespace, SERVER_ID, UPDATE_COMMANDS, PATCH_COMMAND),
      agentVersion: '0.0.0-test',
      logger,
      killGraceMs: 200,
    });
    await agent.start();
  });

  afterAll(async () => {
    await agent?.stop();
    traffic?.stop();
    await progress?.close();
    await observer?.drain();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs the commands phase by phase and completes with the probed versions', async () => {
    await expect(command(update('job-1', [{ component: 'server-image', version: '9.0.0.210' }]))).resolves.toEqual({
      ok: true,
      jobId: 'job-1',
    });
    await waitFor(finished('job-1'), 'job-1 to end');
    expect(progress.phases('job-1')).toEqual(ALL_PHASES);
    const byPhase = Object.fromEntries(progress.of({ jobId: 'job-1' }).map((m) => [m.phase, m]));
    expect(byPhase.accepted.log).toEqual(['accepted job job-1 (task task-1, attempt 1): server-image 9.0.0.210']);
    expect(byPhase.installing.log).toEqual(['fetching server-image 9.0.0.210 for job-1']);
    expect(byPhase.restarting.log).toEqual(['installing 9.0.0.210']);
    expect(byPhase.validating.log).toEqual(['restarted in phase restarting']);
    expect(byPhase.completed).toMatchObject({
      serverId: SERVER_ID,
      versions: [{ component: 'server-image', version: '9.0.0.210' }],
      validation: { passed: true, detail: expect.stringContaining('server-image') },
      log: ['healthy'],
    });
    expect(progress.stored.filter((s) => s.message.jobId === 'job-1').map((s) => s.msgId)).toEqual(
      ALL_PHASES.map((p) => `job-1:${p}`),
    );
  });

  it('re-probes after the job and reports the new version', async () => {
    await waitFor(
      () =>
        traffic
          .messages(SERVER_ID, 'report')
          .some((m) => AgentReport.parse(m.body).versions?.serverVersion === '9.0.0.210'),
      'a report of the new version',
    );
  });

  it('answers a redelivered job again without running it again', async () => {
    await expect(command(update('job-1', [{ component: 'server-image', version: '9.0.0.210' }]))).resolves.toEqual({
      ok: true,
      jobId: 'job-1',
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fs.readFileSync(path.join(dir, 'runs.log'), 'utf8')).toBe('job-1\n');
    expect(progress.phases('job-1')).toEqual(ALL_PHASES);
  });

  it('fails with the exit code and the failing lines when a command exits non-zero', async () => {
    await command(update('job-2', [{ component: 'web-apps', version: '9.0.1.20' }]));
    await waitFor(finished('job-2'), 'job-2 to end');
    expect(progress.phases('job-2')).toEqual(['accepted', 'downloading', 'installing', 'failed']);
    expect(progress.final('job-2')).toMatchObject({
      error: 'install of web-apps exited with code 3',
      log: ['E: Unable to locate package web-apps-9.0.1.20', 'fleetwarden: install of web-apps exited with code 3'],
    });
    expect(progress.final('job-2')?.versions).toBeUndefined();
  });

  it('fails validation when the validate command exits non-zero', async () => {
    await command(update('job-3', [{ component: 'server-image', version: '9.9.9.999' }]));
    await waitFor(finished('job-3'), 'job-3 to end');
    expect(progress.phases('job-3')).toEqual([...ALL_PHASES.slice(0, 5), 'failed']);
    expect(progress.final('job-3')).toMatchObject({
      error: 'validation failed: validate of server-image exited with code 1',
      validation: { passed: false, detail: 'validate of server-image exited with code 1' },
      log: expect.arrayContaining(['E: health check answered 500']),
    });
  });

  it('kills a phase that outlives its timeout, with every process it started', async () => {
    const started = performance.now();
    await command(update('job-4', [{ component: 'client-apps', version: '1.2.3' }], { installSec: 1 }));
    await waitFor(finished('job-4'), 'job-4 to time out', 5000);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(progress.final('job-4')).toMatchObject({
      phase: 'failed',
      error: 'timed out while installing',
      log: ['started', expect.stringContaining('took longer than 1 s')],
    });
    expect(sleeping()).toBe(false);
  });

  it('is busy while a job runs, and cancels it while installing', async () => {
    await command(update('job-5', [{ component: 'client-apps', version: '1.2.4' }], { installSec: 60 }));
    await waitFor(() => progress.phases('job-5').includes('installing'), 'job-5 to install');
    await waitFor(sleeping, 'the install command to run');
    await expect(command(update('job-6', [{ component: 'server-image', version: '9.0.0.211' }]))).resolves.toEqual({
      ok: false,
      error: 'busy: job job-5 running',
    });
    await expect(command({ type: 'cancel', jobId: 'job-5' })).resolves.toEqual({ ok: true, jobId: 'job-5' });
    await waitFor(finished('job-5'), 'job-5 to stop');
    expect(progress.final('job-5')).toMatchObject({ phase: 'failed', error: 'cancelled' });
    expect(sleeping()).toBe(false);
    await expect(command({ type: 'cancel', jobId: 'job-1' })).resolves.toEqual({
      ok: false,
      error: 'too late: job job-1 already completed',
    });
    await expect(command({ type: 'cancel', jobId: 'job-99' })).resolves.toEqual({
      ok: false,
      error: 'unknown job job-99',
    });
  });

  it('refuses an invalid command naming the field', async () => {
    await expect(command('{"type":"update"}')).resolves.toMatchObject({
      ok: false,
      error: expect.stringContaining('jobId'),
    });
    await expect(command('not json')).resolves.toMatchObject({ ok: false, error: expect.stringContaining('JSON') });
  });

  it('refuses an update of a component it has no commands for', async () => {
    const other = new RealAgent({
      config: agentConfig(dir, namespace, 'srv-upd-2'),
      agentVersion: '0.0.0-test',
      logger,
    });
    await other.start();
    try {
      await expect(
        command(update('job-7', [{ component: 'server-image', version: '9.0.0.210' }]), 'srv-upd-2'),
      ).resolves.toEqual({ ok: false, error: 'no update commands configured for server-image' });
      await expect(command(installPatches('patch-7', ['libc6_2.35']), 'srv-upd-2')).resolves.toEqual({
        ok: false,
        error:
          'install-patches refused: no patch install command configured (patches.installCommand in the agent config)',
      });
    } finally {
      await other.stop();
    }
    expect(progress.phases('job-7')).toEqual([]);
    expect(progress.patches.filter((p) => p.message.serverId === 'srv-upd-2')).toEqual([]);
    expect(progress.invalid).toEqual([]);
  });

  it('installs patches with the configured command once per job id and reports the install', async () => {
    const patches = ['openssl_3.0.13-0ubuntu3.4', 'libc6_2.35-0ubuntu3.8'];
    const before = Date.now();
    await expect(command(installPatches('patch-1', patches))).resolves.toEqual({ ok: true, jobId: 'patch-1' });
    await expect(command(installPatches('patch-1', patches))).resolves.toEqual({ ok: true, jobId: 'patch-1' });
    await waitFor(() => progress.patches.some((p) => p.message.taskId === 'patch-1'), 'the patch report');
    const [report] = progress.patches.filter((p) => p.message.taskId === 'patch-1');
    expect(report.message).toMatchObject({
      serverId: SERVER_ID,
      patches,
      startedBy: 'operations',
      kind: 'urgent',
      urgentUpdateId: 'urgent-1',
    });
    expect(Date.parse(report.message.installedAt)).toBeGreaterThanOrEqual(before);
    expect(report.msgId).toBe(`${SERVER_ID}:${report.message.installedAt}`);
    expect(fs.readFileSync(path.join(dir, 'patches.log'), 'utf8')).toBe(`patch-1:2:${patches.join(' ')}\n`);
  });

  it('does not report a failed install, and installs it when the job is sent again', async () => {
    await expect(command(installPatches('patch-2', ['broken_1']))).resolves.toEqual({ ok: true, jobId: 'patch-2' });
    await waitFor(
      () => logger.lines.some((l) => l.includes('patch job patch-2 failed: the install command exited with code 4')),
      'the failure',
    );
    await expect(command(installPatches('patch-2', ['broken_1']))).resolves.toEqual({ ok: true, jobId: 'patch-2' });
    await waitFor(
      () => fs.readFileSync(path.join(dir, 'patches.log'), 'utf8').split('patch-2:').length === 3,
      'the second try',
    );
    expect(progress.patches.filter((p) => p.message.taskId === 'patch-2')).toEqual([]);
  });
});

function installPatches(jobId: string, patches: string[]) {
  return {
    type: 'install-patches',
    jobId,
    patches,
    startedBy: 'operations',
    kind: 'urgent',
    urgentUpdateId: 'urgent-1',
  };
}
