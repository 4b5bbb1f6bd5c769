import type { LoggerService } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { Subjects } from '@fleetwarden/contracts';
import { createEventStore, type EventStore } from '@fleetwarden/eventstore';
import { AgentCommand } from '@fleetwarden/execution-contracts';
import { connectNats } from '@fleetwarden/messaging';
import { createTestNamespace, createTestSchema, TEST_NATS_URL, type TestSchema } from '@fleetwarden/testing';
import { PatchDispatcher, type PatchJob } from './patch-dispatcher';

const RETRY_MS = 100;

const silentLogger: LoggerService = { log: () => undefined, warn: () => undefined, error: () => undefined };

function job(jobId: string, serverId: string): PatchJob {
  return {
    jobId,
    serverId,
    patches: ['openssl_3.0.13-0ubuntu3.4'],
    startedBy: 'operations',
    kind: 'regular',
    urgentUpdateId: null,
    reason: 'breached',
  };
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Plays the agents: records every command, and per server accepts it, or never answers. */
class FakeAgents {
  readonly received: Array<{ serverId: string; command: unknown }> = [];
  readonly mode = new Map<string, 'accept' | 'silent'>();
  private readonly sub: Subscription;

  constructor(nc: NatsConnection, namespace: string) {
    this.sub = nc.subscribe(`${namespace}.agent.*.cmd`, {
      callback: (_err, msg) => {
        const serverId = msg.subject.split('.')[2];
        const command = AgentCommand.parse(msg.json());
        this.received.push({ serverId, command });
        if (this.mode.get(serverId) === 'accept') msg.respond(JSON.stringify({ ok: true, jobId: command.jobId }));
      },
    });
  }

  count(jobId: string): number {
    return this.received.filter((r) => (r.command as { jobId: string }).jobId === jobId).length;
  }

  stop(): void {
    this.sub.unsubscribe();
  }
}

describe('PatchDispatcher with PostgreSQL and a NATS agent', () => {
  const namespace = createTestNamespace('patchdisp');
  const subjects = new Subjects(namespace);
  let schema: TestSchema;
  let store: EventStore;
  let nc: NatsConnection;
  let agentConnection: NatsConnection;
  let agents: FakeAgents;
  let dispatcher: PatchDispatcher;
  const newDispatcher = () =>
    new PatchDispatcher({
      store,
      schema: schema.schema,
      nc,
      subjects,
      clock: { now: () => new Date() },
      logger: silentLogger,
      retryMs: RETRY_MS,
      requestTimeoutMs: 1000,
    });
  const row = async (jobId: string) =>
    (
      await store.transaction((tx) =>
        tx.query<{ attempts: number; accepted_at: Date | null; last_error: string | null; job: PatchJob }>(
          `SELECT attempts, accepted_at, last_error, job FROM ${schema.schema}.compliance_patch_jobs WHERE job_id = $1`,
          [jobId],
        ),
      )
    ).rows[0];

  beforeAll(async () => {
    schema = await createTestSchema('patch_disp');
    store = await createEventStore({ databaseUrl: schema.connectionString, schema: schema.schema, poolSize: 2 });
    nc = await connectNats({ url: TEST_NATS_URL, name: 'patch-dispatcher-test' });
    agentConnection = await connectNats({ url: TEST_NATS_URL, name: 'patch-dispatcher-test-agents' });
    agents = new FakeAgents(agentConnection, namespace);
    await agentConnection.flush();
    dispatcher = newDispatcher();
    await dispatcher.ensureTables();
    await newDispatcher().ensureTables();
  });

  afterAll(async () => {
    await dispatcher?.stop();
    agents?.stop();
    await agentConnection?.drain();
    await nc?.drain();
    await store?.close();
    await schema?.drop();
  });

  it('stores each job once: a duplicate enqueue is ignored', async () => {
    await expect(dispatcher.enqueue([job('j-accept', 'srv-a'), job('j-silent', 'srv-s')])).resolves.toBe(2);
    await expect(dispatcher.enqueue([job('j-accept', 'srv-a'), job('j-offline', 'srv-o')])).resolves.toBe(1);
    await expect(dispatcher.enqueue([])).resolves.toBe(0);
    await expect(dispatcher.pending()).resolves.toBe(3);
    expect((await row('j-accept'))?.job).toEqual(job('j-accept', 'srv-a'));
    expect(agents.received).toEqual([]);
  });

  it('refuses a malformed job naming the field, storing none of the batch', async () => {
    await expect(dispatcher.enqueue([job('j-ok', 'srv-a'), { ...job('j-bad', 'srv-a'), patches: [] }])).rejects.toThrow(
      /patch job 1 \(j-bad\): patches:/,
    );
    await expect(dispatcher.enqueue([{ ...job('j-urgent', 'srv-a'), kind: 'urgent' }])).rejects.toThrow(
      /urgentUpdateId: required when kind is urgent/,
    );
    await expect(dispatcher.pending()).resolves.toBe(3);
  });

  it('delivers a job as an install-patches command, once accepted never again; re-sends the unanswered', async () => {
    agents.mode.set('srv-a', 'accept');
    agents.mode.set('srv-s', 'silent');
    await dispatcher.start();
    await waitFor(async () => (await row('j-accept'))?.accepted_at != null, 'j-accept to be accepted');
    expect(agents.received.find((r) => r.serverId === 'srv-a')?.command).toEqual({
      type: 'install-patches',
      jobId: 'j-accept',
      patches: ['openssl_3.0.13-0ubuntu3.4'],
      startedBy: 'operations',
      kind: 'regular',
      urgentUpdateId: null,
    });
    await waitFor(() => agents.count('j-silent') >= 3, 'j-silent to be sent three times');
    await waitFor(async () => ((await row('j-offline'))?.attempts ?? 0) >= 3, 'j-offline to be tried three times');
    expect(agents.count('j-accept')).toBe(1);
    expect(await row('j-accept')).toMatchObject({ attempts: 1, last_error: null });
    expect((await row('j-silent'))?.accepted_at).toBeNull();
    expect((await row('j-silent'))?.last_error).toBeTruthy();
    expect((await row('j-offline'))?.accepted_at).toBeNull();
    await expect(dispatcher.pending()).resolves.toBe(2);
  });

  it('sends a job enqueued while running', async () => {
    await dispatcher.enqueue([job('j-late', 'srv-a')]);
    await waitFor(async () => (await row('j-late'))?.accepted_at != null, 'j-late to be accepted');
    expect(agents.count('j-late')).toBe(1);
  });

  it('after a restart, picks up the pending jobs and delivers them once their agent answers', async () => {
    await dispatcher.stop();
    const sentBefore = agents.count('j-silent');
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS * 3));
    expect(agents.count('j-silent')).toBe(sentBefore);

    agents.mode.set('srv-s', 'accept');
    dispatcher = newDispatcher();
    await dispatcher.ensureTables();
    await dispatcher.start();
    await waitFor(async () => (await row('j-silent'))?.accepted_at != null, 'j-silent to be accepted');
    await expect(dispatcher.pending()).resolves.toBe(1);
    const accepted = agents.count('j-silent');
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS * 3));
    expect(agents.count('j-silent')).toBe(accepted);
    expect(agents.count('j-accept')).toBe(1);
  });
});
