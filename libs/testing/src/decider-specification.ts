import { AssertionError, deepStrictEqual } from 'node:assert/strict';
import { evolveAll, type Decider } from '@fleetwarden/shared-domain';

/** What `thenThrows` expects: the error's `code`, or a predicate over the thrown value. */
export type ErrorExpectation = string | ((error: unknown) => boolean);

export interface DeciderThen<Event> {
  /** `decide` returns exactly these events, in this order (properties set to `undefined` are ignored). */
  then(expectedEvents: readonly Event[]): void;
  /** `decide` returns no events. */
  thenNothingHappens(): void;
  /** `decide` throws an error with this `code`, or one the predicate accepts. */
  thenThrows(expected: ErrorExpectation): void;
}

export interface DeciderWhen<Command, Event> {
  when(command: Command): DeciderThen<Event>;
}

export interface DeciderGiven<Command, Event> {
  /** The stream's past events; none for a new stream. */
  given(events?: readonly Event[]): DeciderWhen<Command, Event>;
}

/**
 * given/when/then for deciders:
 * `DeciderSpecification.for(decider).given(pastEvents).when(command).then(expectedEvents)`.
 * Failures throw `AssertionError`, so it works under any test runner.
 */
export const DeciderSpecification = {
  for<Command, Event, State>(decider: Decider<Command, Event, State>): DeciderGiven<Command, Event> {
    return {
      given: (events: readonly Event[] = []) => ({
        when: (command: Command) => {
          const decide = (): Event[] => decider.decide(command, evolveAll(decider, events));
          return {
            then(expectedEvents: readonly Event[]) {
              assertEvents(decide(), expectedEvents);
            },
            thenNothingHappens() {
              assertEvents(decide(), []);
            },
            thenThrows(expected: ErrorExpectation) {
              const state = evolveAll(decider, events);
              let produced: Event[];
              try {
                produced = decider.decide(command, state);
              } catch (error) {
                if (matches(error, expected)) return;
                throw new AssertionError({
                  message: `Expected decide to throw ${describeExpectation(expected)}, but it threw ${describeError(error)}`,
                  actual: error,
                  expected: typeof expected === 'string' ? expected : undefined,
                  operator: 'thenThrows',
                });
              }
              throw new AssertionError({
                message:
                  `Expected decide to throw ${describeExpectation(expected)}, ` +
                  `but it returned ${produced.length} event(s): ${describeEvents(produced)}`,
                actual: produced,
                operator: 'thenThrows',
              });
            },
          };
        },
      }),
    };
  },
};

function assertEvents<Event>(actual: readonly Event[], expected: readonly Event[]): void {
  try {
    deepStrictEqual(withoutUndefined(actual), withoutUndefined(expected));
  } catch (error) {
    if (error instanceof AssertionError) {
      error.message = `decide returned ${describeEvents(actual)}, expected ${describeEvents(expected)}\n${error.message}`;
    }
    throw error;
  }
}

function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, withoutUndefined(v)]),
    );
  }
  return value;
}

function matches(error: unknown, expected: ErrorExpectation): boolean {
  if (typeof expected === 'function') return expected(error);
  return (error as { code?: unknown } | null)?.code === expected;
}

function describeExpectation(expected: ErrorExpectation): string {
  return typeof expected === 'string' ? `an error with code "${expected}"` : 'an error matching the predicate';
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` with code "${code}"` : ' without a code'}: ${error.message}`;
  }
  return `a non-error value: ${String(error)}`;
}

function describeEvents(events: readonly unknown[]): string {
  const types = events.map((e) => (e as { type?: unknown } | null)?.type).map((t) => (typeof t === 'string' ? t : '?'));
  return `[${types.join(', ')}]`;
}
