/**
 * A domain event: a fact, named in the past tense (`UpdateTaskScheduled`). `type` is a stable
 * string, never derived from a class name.
 */
export interface DomainEvent<Type extends string = string, Data = unknown, Metadata = Record<string, unknown>> {
  readonly type: Type;
  readonly data: Data;
  readonly metadata?: Metadata;
}

/**
 * A domain command: an intention, named in the imperative (`ScheduleUpdateTask`). Time and
 * generated ids travel in `data` or `metadata`, so deciders stay deterministic.
 */
export interface DomainCommand<Type extends string = string, Data = unknown, Metadata = Record<string, unknown>> {
  readonly type: Type;
  readonly data: Data;
  readonly metadata?: Metadata;
}

/**
 * The pure behaviour of one aggregate: `decide` turns a command and the current state into new
 * events (or throws a `DomainError`), `evolve` applies one event to the state, `initialState`
 * is the state of a stream without events.
 */
export interface Decider<Command, Event, State> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

/** The state after applying `events` in order, starting from `state` (default: the initial state). */
export function evolveAll<Command, Event, State>(
  decider: Decider<Command, Event, State>,
  events: Iterable<Event>,
  state: State = decider.initialState(),
): State {
  let current = state;
  for (const event of events) current = decider.evolve(current, event);
  return current;
}

/** Closes an exhaustive `switch`: fails to compile when a case is missing, throws if reached at run time. */
export function assertNever(value: never, what = 'value'): never {
  const type = (value as { type?: unknown } | null)?.type;
  throw new Error(`Unexpected ${what}: ${typeof type === 'string' ? type : JSON.stringify(value)}`);
}
