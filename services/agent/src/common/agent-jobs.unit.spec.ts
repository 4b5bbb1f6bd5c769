import type { AgentUpdateCommand } from '@fleetwarden/execution-contracts';
import { AgentJobs, parseAgentCommand } from './agent-jobs';

const NOW = new Date('2025-03-01T10:00:00Z');

function update(jobId: string, attempt = 1): AgentUpdateCommand {
  return {
    type: 'update',
    jobId,
    taskId: 'task-1',
    attempt,
    components: [{ component: 'server-image', version: '9.0.0.210' }],
    timeouts: { downloadSec: 60, installSec: 60, restartSec: 60, validateSec: 60 },
  };
}

describe('AgentJobs', () => {
  let jobs: AgentJobs;
  beforeEach(() => (jobs = new AgentJobs()));

  describe('when idle', () => {
    it('runs a new job and records it as running', () => {
      expect(jobs.decideUpdate(update('job-1'))).toEqual({ run: true });
      jobs.start(update('job-1'), NOW);
      expect(jobs.running).toMatchObject({ jobId: 'job-1', phase: 'accepted', outcome: 'running' });
      expect(jobs.list()).toEqual([
        {
          jobId: 'job-1',
          taskId: 'task-1',
          attempt: 1,
          startedAt: NOW.toISOString(),
          phase: 'accepted',
          outcome: 'running',
        },
      ]);
    });

    it('does not know a job it never had', () => {
      expect(jobs.decideCancel({ type: 'cancel', jobId: 'job-x' })).toEqual({
        stop: false,
        reply: { ok: false, error: 'unknown job job-x' },
      });
    });
  });

  describe('when a job runs', () => {
    beforeEach(() => jobs.start(update('job-1'), NOW));

    it('answers a redelivery of it again without running it, and counts it', () => {
      expect(jobs.decideUpdate(update('job-1'))).toEqual({
        run: false,
        reply: { ok: true, jobId: 'job-1' },
        duplicate: true,
      });
      expect(jobs.duplicates).toBe(1);
    });

    it('is busy for another job', () => {
      expect(jobs.decideUpdate(update('job-2'))).toEqual({
        run: false,
        reply: { ok: false, error: 'busy: job job-1 running' },
        duplicate: false,
      });
      expect(jobs.duplicates).toBe(0);
    });

    it.each(['accepted', 'downloading', 'installing'] as const)('cancels it while %s', (phase) => {
      jobs.advance('job-1', phase);
      expect(jobs.decideCancel({ type: 'cancel', jobId: 'job-1' })).toMatchObject({
        stop: true,
        job: { jobId: 'job-1', phase },
      });
    });

    it.each(['restarting', 'validating'] as const)('is too late to cancel while %s', (phase) => {
      jobs.advance('job-1', phase);
      expect(jobs.decideCancel({ type: 'cancel', jobId: 'job-1' })).toEqual({
        stop: false,
        reply: { ok: false, error: `too late: job job-1 is ${phase}` },
      });
    });
  });

  describe('when a job ended', () => {
    it('answers a redelivery of a finished job and runs the next one', () => {
      jobs.start(update('job-1'), NOW);
      jobs.finish('job-1', 'completed', NOW);
      expect(jobs.running).toBeUndefined();
      expect(jobs.decideUpdate(update('job-1'))).toMatchObject({ run: false, reply: { ok: true, jobId: 'job-1' } });
      expect(jobs.decideUpdate(update('job-2'))).toEqual({ run: true });
      expect(jobs.get('job-1')).toMatchObject({
        phase: 'completed',
        outcome: 'completed',
        finishedAt: NOW.toISOString(),
      });
    });

    it('is too late to cancel a completed or failed job; a cancelled one cancels again', () => {
      jobs.start(update('job-1'), NOW);
      jobs.finish('job-1', 'completed', NOW);
      jobs.start(update('job-2'), NOW);
      jobs.finish('job-2', 'failed', NOW, 'boom');
      jobs.start(update('job-3'), NOW);
      jobs.finish('job-3', 'cancelled', NOW, 'cancelled');
      expect(jobs.decideCancel({ type: 'cancel', jobId: 'job-1' })).toMatchObject({
        reply: { ok: false, error: 'too late: job job-1 already completed' },
      });
      expect(jobs.decideCancel({ type: 'cancel', jobId: 'job-2' })).toMatchObject({
        reply: { ok: false, error: 'too late: job job-2 already failed' },
      });
      expect(jobs.decideCancel({ type: 'cancel', jobId: 'job-3' })).toEqual({
        stop: false,
        reply: { ok: true, jobId: 'job-3' },
      });
      expect(jobs.get('job-3')).toMatchObject({ phase: 'failed', outcome: 'cancelled', error: 'cancelled' });
    });

    it('forgets the oldest finished jobs beyond its limit', () => {
      const small = new AgentJobs({ keep: 2 });
      for (const id of ['a', 'b', 'c']) {
        small.start(update(id), NOW);
        small.finish(id, 'completed', NOW);
      }
      expect(small.list().map((j) => j.jobId)).toEqual(['b', 'c']);
    });
  });
});

describe('parseAgentCommand', () => {
  it('parses an update and a cancel', () => {
    expect(parseAgentCommand(JSON.stringify(update('job-1')))).toEqual({ ok: true, command: update('job-1') });
    expect(parseAgentCommand('{"type":"cancel","jobId":"job-1"}')).toEqual({
      ok: true,
      command: { type: 'cancel', jobId: 'job-1' },
    });
  });

  it.each([
    ['{nope', 'command is not JSON'],
    ['{"type":"reboot","jobId":"j"}', 'type'],
    [JSON.stringify({ ...update('job-1'), attempt: 0 }), 'attempt'],
    [
      JSON.stringify({ ...update('job-1'), components: [{ component: 'firmware', version: '1' }] }),
      'components[0].component',
    ],
    [JSON.stringify({ ...update('job-1'), timeouts: { downloadSec: 1 } }), 'timeouts.installSec'],
  ])('refuses %s naming the field', (body, field) => {
    const parsed = parseAgentCommand(body);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reply).toEqual({ ok: false, error: expect.stringContaining(field) });
  });
});
