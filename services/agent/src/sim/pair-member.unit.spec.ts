import { AgentKeepAlive, type AgentControlMessage } from '@fleetwarden/redundancy-contracts';
import {
  applyControl,
  finishSync,
  forceReplication,
  initialMemberState,
  keepAliveOf,
  parseAgentControl,
  reportedReplication,
  sendsKeepAlives,
  setService,
  type PairMemberState,
} from './pair-member';

const assume: AgentControlMessage = {
  type: 'assume-control',
  pairId: 'pair-0001',
  switchId: 'sw-1',
  reason: 'failover',
};
const release: AgentControlMessage = { ...assume, type: 'release-control' };

function pair(): { a: PairMemberState; b: PairMemberState } {
  return {
    a: initialMemberState('pair-0001', 'srv-p0001a', 'primary'),
    b: initialMemberState('pair-0001', 'srv-p0001b', 'secondary'),
  };
}

const brief = (s: PairMemberState) => ({ inControl: s.inControl, replication: reportedReplication(s) });

describe('pair member', () => {
  describe('when just started', () => {
    it('has the primary in control, monitoring, and the secondary synchronizing', () => {
      const { a, b } = pair();
      expect(brief(a)).toEqual({ inControl: true, replication: 'monitoring' });
      expect(brief(b)).toEqual({ inControl: false, replication: 'synchronizing' });
      expect([a, b].every(sendsKeepAlives)).toBe(true);
    });

    it('sends a keep-alive the contract accepts, with every service up', () => {
      const { b } = pair();
      const message = keepAliveOf(b, new Date('2025-01-01T00:00:00Z'), true);
      expect(AgentKeepAlive.parse(message)).toEqual({
        serverId: 'srv-p0001b',
        sentAt: '2025-01-01T00:00:00.000Z',
        inControl: false,
        switchingService: 'up',
        ipPhoneService: 'up',
        keepAliveService: 'up',
        replicationStatus: 'synchronizing',
        peerReachable: true,
      });
    });

    it('turns the secondary updated once its first round of replication is over', () => {
      const { b } = pair();
      expect(finishSync(b, 0)).toBe(true);
      expect(reportedReplication(b)).toBe('updated');
      expect(finishSync(b, 0)).toBe(false);
    });
  });

  describe('on assume-control', () => {
    it('makes the member the source and a live peer that led the destination', () => {
      const { a, b } = pair();
      finishSync(b, 0);
      const syncing = applyControl(assume, b, a);
      expect(brief(b)).toEqual({ inControl: true, replication: 'monitoring' });
      expect(brief(a)).toEqual({ inControl: false, replication: 'synchronizing' });
      expect(syncing).toEqual([a]);
      expect(finishSync(a, a.syncRound)).toBe(true);
      expect(reportedReplication(a)).toBe('updated');
    });

    it('leaves a peer that is not alive as it is', () => {
      const { a, b } = pair();
      expect(applyControl(assume, b, undefined)).toEqual([]);
      expect(brief(b)).toEqual({ inControl: true, replication: 'monitoring' });
      expect(brief(a)).toEqual({ inControl: true, replication: 'monitoring' });
    });

    it('does not restart the replication of a peer that already is the destination', () => {
      const { a, b } = pair();
      finishSync(b, 0);
      expect(applyControl(assume, a, b)).toEqual([]);
      expect(brief(b)).toEqual({ inControl: false, replication: 'updated' });
    });

    it('drops a pending end of replication of the member', () => {
      const { a, b } = pair();
      applyControl(assume, b, a);
      expect(finishSync(b, 0)).toBe(false);
      expect(reportedReplication(b)).toBe('monitoring');
    });
  });

  describe('on release-control', () => {
    it('stands the source by and makes it a destination', () => {
      const { a } = pair();
      expect(applyControl(release, a, undefined)).toEqual([a]);
      expect(brief(a)).toEqual({ inControl: false, replication: 'synchronizing' });
    });

    it('leaves a destination replicating as it was', () => {
      const { b } = pair();
      finishSync(b, 0);
      expect(applyControl(release, b, undefined)).toEqual([]);
      expect(brief(b)).toEqual({ inControl: false, replication: 'updated' });
    });
  });

  describe('when its replication is forced', () => {
    it('reports the forced state until the next control request', () => {
      const { a, b } = pair();
      expect(forceReplication(b, 'synchronizing')).toBe(true);
      expect(forceReplication(b, 'synchronizing')).toBe(false);
      finishSync(b, 0);
      expect(reportedReplication(b)).toBe('synchronizing');
      applyControl(release, b, a);
      expect(reportedReplication(b)).toBe('updated');
    });
  });

  describe('services', () => {
    it('reports each service as set, and stops keep-alives while keep-alive is down', () => {
      const { a } = pair();
      expect(setService(a, 'switching', 'down')).toBe(true);
      expect(setService(a, 'switching', 'down')).toBe(false);
      expect(setService(a, 'ip-phone', 'down')).toBe(true);
      expect(keepAliveOf(a, new Date(0), false)).toMatchObject({
        switchingService: 'down',
        ipPhoneService: 'down',
        keepAliveService: 'up',
      });
      expect(sendsKeepAlives(a)).toBe(true);
      setService(a, 'keep-alive', 'down');
      expect(sendsKeepAlives(a)).toBe(false);
      setService(a, 'keep-alive', 'up');
      a.keepAliveStopped = true;
      expect(sendsKeepAlives(a)).toBe(false);
    });
  });

  describe('parseAgentControl', () => {
    it('takes a valid request for its pair', () => {
      expect(parseAgentControl(JSON.stringify(assume), 'pair-0001')).toEqual({ ok: true, message: assume });
    });

    it.each([
      ['{', 'control request is not JSON'],
      [JSON.stringify({ ...assume, type: 'take-over' }), 'type:'],
      [JSON.stringify({ ...assume, switchId: undefined }), 'switchId:'],
      [JSON.stringify({ ...assume, extra: 1 }), 'extra'],
      [
        JSON.stringify({ ...assume, pairId: 'pair-0002' }),
        'pairId: "pair-0002" is not this member\'s pair (pair-0001)',
      ],
    ])('refuses %s naming the field', (text, error) => {
      const parsed = parseAgentControl(text, 'pair-0001');
      expect(parsed.ok).toBe(false);
      expect(!parsed.ok && parsed.error).toContain(error);
    });
  });
});
