import { NOT_IN_A_PAIR_ERROR, pairControlReply, parseControlRequest } from './pair-control';

const assume = { type: 'assume-control', pairId: 'pair-0001', switchId: 'sw-1', reason: 'failover: primary silent' };
const text = (value: unknown) => JSON.stringify(value);

describe('parseControlRequest', () => {
  describe('when the agent is in a pair', () => {
    it('takes a valid assume-control or release-control', () => {
      expect(parseControlRequest(text(assume), true)).toEqual({ kind: 'pair-control', message: assume });
      const release = { ...assume, type: 'release-control', switchId: null };
      expect(parseControlRequest(text(release), true)).toEqual({ kind: 'pair-control', message: release });
    });

    it.each([
      [{ ...assume, pairId: undefined }, 'invalid assume-control request: pairId:'],
      [{ ...assume, pairId: 'pair 1' }, 'invalid assume-control request: pairId:'],
      [{ ...assume, switchId: '' }, 'invalid assume-control request: switchId:'],
      [{ ...assume, reason: 42 }, 'invalid assume-control request: reason:'],
      [
        { ...assume, type: 'release-control', force: true },
        'invalid release-control request: (root): Unrecognized key: "force"',
      ],
    ])('refuses %j naming the field', (request, error) => {
      const parsed = parseControlRequest(text(request), true);
      expect(parsed).toEqual({ kind: 'refused', error: expect.stringContaining(error) });
    });
  });

  describe('when the agent is in no pair', () => {
    it('refuses assume-control and release-control, valid or not', () => {
      for (const request of [assume, { ...assume, type: 'release-control' }, { type: 'assume-control' }]) {
        expect(parseControlRequest(text(request), false)).toEqual({ kind: 'refused', error: NOT_IN_A_PAIR_ERROR });
      }
    });
  });

  it.each([true, false])('passes an ha-check on to its handler (in a pair: %s)', (inPair) => {
    expect(parseControlRequest(text({ type: 'ha-check' }), inPair)).toEqual({ kind: 'ha-check' });
  });

  it.each([
    ['{nope', 'control request is not JSON:'],
    ['null', 'type: must be assume-control, release-control or ha-check'],
    ['[1]', 'type: must be assume-control, release-control or ha-check'],
    [text({ pairId: 'pair-0001' }), 'type: must be assume-control, release-control or ha-check'],
    [text({ ...assume, type: 'reboot' }), 'type: must be assume-control, release-control or ha-check'],
  ])('refuses %s naming the fault', (request, error) => {
    expect(parseControlRequest(request, true)).toEqual({ kind: 'refused', error: expect.stringContaining(error) });
  });
});

describe('pairControlReply', () => {
  const options = { timeoutSec: 30 };

  it('confirms a command that exited 0', () => {
    expect(pairControlReply('assume-control', { kind: 'exited', code: 0 }, options)).toEqual({ ok: true });
  });

  it.each([
    [{ kind: 'exited', code: 3 } as const, 'assume-control command exited with code 3'],
    [{ kind: 'signalled', signal: 'SIGSEGV' } as const, 'assume-control command was killed by SIGSEGV'],
    [{ kind: 'timed-out' } as const, 'assume-control command timed out after 30 s'],
    [{ kind: 'aborted' } as const, 'assume-control command stopped: the agent is stopping'],
    [
      { kind: 'not-started', error: new Error('spawn ENOENT') } as const,
      'assume-control command could not start: spawn ENOENT',
    ],
  ])('refuses when the command ended %j', (result, error) => {
    expect(pairControlReply('assume-control', result, options)).toEqual({ ok: false, error });
  });

  it('adds the last line the command wrote, clipped', () => {
    expect(
      pairControlReply('release-control', { kind: 'exited', code: 1 }, { ...options, lastLine: ' switchd busy ' }),
    ).toEqual({ ok: false, error: 'release-control command exited with code 1: switchd busy' });
    const long = pairControlReply(
      'release-control',
      { kind: 'exited', code: 1 },
      { ...options, lastLine: 'x'.repeat(5000) },
    );
    expect(!long.ok && long.error.length).toBe(1000);
  });
});
