import { parseAgentMessage, routeAgentSubject } from './agent-message.parser';

const report = { serverId: 's-1', sentAt: '2025-03-01T10:00:00Z' };

describe('routeAgentSubject', () => {
  it('handles hellos and reports, ignores the kinds others deal with', () => {
    expect(routeAgentSubject('fleet.agent.s-1.hello')).toEqual({ action: 'handle', kind: 'hello', serverToken: 's-1' });
    expect(routeAgentSubject('fleet.agent.s-1.report')).toEqual({
      action: 'handle',
      kind: 'report',
      serverToken: 's-1',
    });
    for (const kind of ['heartbeat', 'cmd', 'progress']) {
      expect(routeAgentSubject(`fleet.agent.s-1.${kind}`)).toEqual({ action: 'ignore' });
    }
  });

  it('rejects unknown kinds', () => {
    const route = routeAgentSubject('fleet.agent.s-1.bogus');
    expect(route).toMatchObject({ action: 'reject', error: { code: 'AGENT.UNKNOWN_KIND' } });
  });
});

describe('parseAgentMessage', () => {
  it('returns a valid report', () => {
    expect(parseAgentMessage('report', 's-1', JSON.stringify(report))).toEqual({
      kind: 'report',
      serverId: 's-1',
      body: report,
    });
  });

  it.each([
    ['invalid JSON', 's-1', '{"serverId":', 'AGENT.INVALID_JSON'],
    ['wrong types', 's-1', JSON.stringify({ ...report, sentAt: 42 }), 'AGENT.INVALID_MESSAGE'],
    ['unknown fields', 's-1', JSON.stringify({ ...report, extra: 1 }), 'AGENT.INVALID_MESSAGE'],
    ["another server's id", 's-2', JSON.stringify(report), 'AGENT.SERVER_ID_MISMATCH'],
    ['a subject token that is no server id', 's~1', JSON.stringify(report), 'AGENT.BAD_SUBJECT'],
  ])('rejects %s', (_what, token, payload, code) => {
    expect(() => parseAgentMessage('report', token, payload)).toThrow(expect.objectContaining({ code }));
  });
});
