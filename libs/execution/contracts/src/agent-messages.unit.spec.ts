import { AgentCommand, AgentProgress } from './agent-messages';

const update = {
  type: 'update',
  jobId: 'job-1',
  taskId: 'task-1',
  attempt: 1,
  components: [{ component: 'server-image', version: '9.0.0.300' }],
  timeouts: { downloadSec: 60, installSec: 60, restartSec: 60, validateSec: 60 },
};

describe('execution agent messages', () => {
  it('accepts update and cancel commands', () => {
    expect(AgentCommand.parse(update)).toEqual(update);
    expect(AgentCommand.parse({ type: 'cancel', jobId: 'job-1' })).toEqual({ type: 'cancel', jobId: 'job-1' });
  });

  it('rejects unknown types, unknown fields, empty components and unknown components', () => {
    expect(() => AgentCommand.parse({ type: 'reboot', jobId: 'j' })).toThrow();
    expect(() => AgentCommand.parse({ ...update, extra: 1 })).toThrow();
    expect(() => AgentCommand.parse({ ...update, components: [] })).toThrow();
    expect(() => AgentCommand.parse({ ...update, components: [{ component: 'os', version: '1' }] })).toThrow();
    expect(() => AgentCommand.parse({ ...update, timeouts: { downloadSec: 1 } })).toThrow();
  });

  it('accepts progress messages and rejects bad phases', () => {
    const progress = {
      serverId: 'srv-00001',
      jobId: 'job-1',
      phase: 'completed',
      sentAt: '2026-11-27T19:00:00.000Z',
      versions: [{ component: 'server-image', version: '9.0.0.300' }],
      validation: { passed: true, detail: 'ok' },
      log: ['done'],
    };
    expect(AgentProgress.parse(progress)).toEqual(progress);
    expect(() => AgentProgress.parse({ ...progress, phase: 'rebooting' })).toThrow();
    expect(() => AgentProgress.parse({ ...progress, log: undefined })).toThrow();
  });

  it('uses the cmd and progress subjects', () => {
    expect(AgentCommand.subject('srv-00001')).toMatch(/\.agent\.srv-00001\.cmd$/);
    expect(AgentProgress.subject('srv-00001')).toMatch(/\.agent\.srv-00001\.progress$/);
  });
});
