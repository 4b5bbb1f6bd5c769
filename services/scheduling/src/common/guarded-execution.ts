import type { CommandExecutor, DecidedEvent, Execution, ExecutionResult } from '@fleetwarden/platform';

/**
 * Runs a command through the executor with `guard` checked against the very state the decider
 * sees (so an authorisation check and the decision can never disagree), and `duplicateGuard`
 * (default: `guard`) against the stored state when an idempotency key repeats a command.
 */
export async function executeGuarded<C, E extends DecidedEvent, S>(
  executor: CommandExecutor,
  execution: Execution<C, E, S>,
  guard: (state: S) => void,
  duplicateGuard: (state: S) => void = guard,
): Promise<ExecutionResult<E, S>> {
  const inner = execution.decider;
  const result = await executor.execute<C, E, S>({
    ...execution,
    decider: {
      initialState: () => inner.initialState(),
      evolve: (state, event) => inner.evolve(state, event),
      decide: (command, state) => {
        guard(state);
        return inner.decide(command, state);
      },
    },
  });
  if (result.duplicate) duplicateGuard(result.state);
  return result;
}
