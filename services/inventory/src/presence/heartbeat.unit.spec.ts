import { AgentHeartbeat } from '@fleetwarden/inventory-contracts';
import { checkHeartbeat } from './heartbeat';

const valid = { serverId: 's-1', seq: 7, sentAt: '2025-03-01T10:00:00.123Z' };

describe('checkHeartbeat', () => {
  it('returns sentAt in ms for a heartbeat of the subject server', () => {
    expect(checkHeartbeat(valid, 's-1')).toBe(Date.parse(valid.sentAt));
    expect(checkHeartbeat({ ...valid, sentAt: '2025-03-01T11:00:00+01:00' }, 's-1')).toBe(
      Date.parse('2025-03-01T10:00:00Z'),
    );
  });

  it.each([
    ['not an object', 'hello', 'not a JSON object'],
    ['an array', [valid], 'not a JSON object'],
    ["another server's id", { ...valid, serverId: 's-2' }, 'does not match'],
    ['a negative seq', { ...valid, seq: -1 }, 'seq'],
    ['a fractional seq', { ...valid, seq: 1.5 }, 'seq'],
    ['a string seq', { ...valid, seq: '1' }, 'seq'],
    ['a date without time', { ...valid, sentAt: '2025-03-01' }, 'sentAt'],
    ['a time without offset', { ...valid, sentAt: '2025-03-01T10:00:00' }, 'sentAt'],
    ['an impossible date', { ...valid, sentAt: '2025-13-45T10:00:00Z' }, 'sentAt'],
    ['an extra key', { ...valid, extra: true }, 'unexpected keys'],
  ])('refuses %s', (_what, body, reason) => {
    const result = checkHeartbeat(body, 's-1');
    expect(typeof result).toBe('string');
    expect(result).toContain(reason);
  });

  it('agrees with the AgentHeartbeat contract', () => {
    const bodies: unknown[] = [
      valid,
      { ...valid, seq: 0 },
      { ...valid, seq: -1 },
      { ...valid, sentAt: 'yesterday' },
      { ...valid, extra: 1 },
      { serverId: 's-1', seq: 1 },
    ];
    for (const body of bodies) {
      expect(typeof checkHeartbeat(body, 's-1') === 'number').toBe(AgentHeartbeat.schema.safeParse(body).success);
    }
  });
});
