import { isDomainError } from '@fleetwarden/shared-domain';
import { HaClusterErrorCode } from './ha-cluster.errors';
import type { HaAnsweredProbe } from './ha-cluster.types';
import { estimateClockSkewMs } from './ha-health.assessment';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();

/** Request sent at 0, reply received at 2000 (control plane); the agent measured for 1900 ms in between. */
const probe = (agentReceivedAt: string | null, agentSentAt: string): HaAnsweredProbe => ({
  serverId: 'srv-1',
  answered: true,
  requestSentAt: at(0),
  replyReceivedAt: at(2000),
  agentReceivedAt,
  agentSentAt,
  results: [],
});

describe('clock skew of an HA check', () => {
  it("is exact with the agent's receive time, however long the agent measured", () => {
    // 50 ms each way, agent clock 90 s ahead: received at 50 + 90 000, sent at 1950 + 90 000.
    expect(estimateClockSkewMs(probe(at(90_050), at(91_950)))).toBe(90_000);
    expect(estimateClockSkewMs(probe(at(-29_950), at(-28_050)))).toBe(-30_000);
  });

  it('without it, compares the send time with the middle of the round trip', () => {
    expect(estimateClockSkewMs(probe(null, at(1000 + 90_000)))).toBe(90_000);
  });

  it('refuses a time that is no date-time', () => {
    expect(() => estimateClockSkewMs(probe(null, 'soon'))).toThrow(
      expect.objectContaining({ code: HaClusterErrorCode.InvalidTime }),
    );
    expect(
      isDomainError(
        captured(() => estimateClockSkewMs(probe('soon', at(0)))),
        HaClusterErrorCode.InvalidTime,
      ),
    ).toBe(true);
  });
});

function captured(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
