import { assertNever, evolveAll, type Decider } from './decider';

type Event = { type: 'Incremented'; data: { by: number } } | { type: 'Reset'; data: Record<string, never> };
type Command = { type: 'Increment'; data: { by: number } };

const counter: Decider<Command, Event, number> = {
  decide: (command) => [{ type: 'Incremented', data: { by: command.data.by } }],
  evolve: (state, event) => {
    switch (event.type) {
      case 'Incremented':
        return state + event.data.by;
      case 'Reset':
        return 0;
      default:
        return assertNever(event, 'event');
    }
  },
  initialState: () => 0,
};

describe('evolveAll', () => {
  it('folds events over the initial state', () => {
    const events: Event[] = [
      { type: 'Incremented', data: { by: 2 } },
      { type: 'Incremented', data: { by: 3 } },
    ];
    expect(evolveAll(counter, events)).toBe(5);
  });

  it('continues from a given state', () => {
    expect(
      evolveAll(
        counter,
        [
          { type: 'Reset', data: {} },
          { type: 'Incremented', data: { by: 1 } },
        ],
        10,
      ),
    ).toBe(1);
  });
});

describe('assertNever', () => {
  it('throws naming the unexpected type', () => {
    expect(() => assertNever({ type: 'Unknown' } as never, 'event')).toThrow('Unexpected event: Unknown');
  });
});
