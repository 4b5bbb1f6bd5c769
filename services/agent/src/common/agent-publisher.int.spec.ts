import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import { Subjects } from '@fleetwarden/contracts';
import type { AgentProgressMessage } from '@fleetwarden/execution-contracts';
import { connectNats } from '@fleetwarden/messaging';
import { createTestNamespace, TEST_NATS_URL } from '@fleetwarden/testing';
import { ProgressStream, waitFor } from '../testing/agent-test.helpers';
import { AgentPublisher, PublisherClosedError } from './agent-publisher';

const PHASES = ['accepted', 'downloading', 'installing', 'restarting', 'validating', 'completed'] as const;

function progress(jobId: string, phase: AgentProgressMessage['phase'], serverId = 'srv-00001'): AgentProgressMessage {
  return { serverId, jobId, phase, sentAt: new Date().toISOString(), log: [`${jobId} ${phase}`] };
}

describe('AgentPublisher progress through JetStream', () => {
  const namespace = createTestNamespace('t_pub_');
  const subjects = new Subjects(namespace);
  let nc: NatsConnection;
  let stream: ProgressStream | undefined;

  beforeAll(async () => {
    nc = await connectNats({ url: TEST_NATS_URL, name: 'agent-publisher-test' });
  });

  afterAll(async () => {
    await stream?.close();
    await nc?.drain();
  });

  it('retries while there is no stream, then stores each job in order, each phase once', async () => {
    const retries: number[] = [];
    const publisher = new AgentPublisher(nc, subjects, {
      retryInitialMs: 20,
      retryMaxMs: 100,
      publishTimeoutMs: 500,
      onProgressRetry: (_err, attempt) => retries.push(attempt),
    });
    const sent = ['job-a', 'job-b'].flatMap((jobId, k) =>
      PHASES.map((phase) => publisher.progress(progress(jobId, phase, `srv-0000${k + 1}`))),
    );
    await waitFor(() => retries.length >= 3, 'a few failed publishes');
    expect(publisher.pendingProgress).toBe(sent.length);
    stream = await ProgressStream.open(nc, subjects);
    await Promise.all(sent);
    await expect(publisher.progress(progress('job-a', 'completed'))).resolves.toBeUndefined();
    await waitFor(() => stream!.stored.length >= 2 * PHASES.length, 'every message in the stream');
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const jobId of ['job-a', 'job-b']) expect(stream.phases(jobId)).toEqual([...PHASES]);
    expect(stream.stored.map((s) => s.msgId)).toEqual(
      stream.stored.map((s) => `${s.message.jobId}:${s.message.phase}`),
    );
    await expect(publisher.settle(100)).resolves.toBe(true);
  });

  it('refuses a message that breaks the contract without sending it', async () => {
    const publisher = new AgentPublisher(nc, subjects);
    await expect(publisher.progress({ ...progress('job-c', 'accepted'), serverId: 'srv 1' })).rejects.toThrow(
      'serverId',
    );
    expect(publisher.pendingProgress).toBe(0);
  });

  it('drops what is not stored when closed', async () => {
    const jsm = await jetstreamManager(nc);
    const other = new Subjects(createTestNamespace('t_pub_'));
    const publisher = new AgentPublisher(nc, other, { retryInitialMs: 20, retryMaxMs: 50 });
    const pending = publisher.progress(progress('job-d', 'accepted'));
    await expect(publisher.settle(100)).resolves.toBe(false);
    publisher.close();
    await expect(pending).rejects.toBeInstanceOf(PublisherClosedError);
    await expect(jsm.streams.info(other.agentProgressStream)).rejects.toThrow();
  });
});
