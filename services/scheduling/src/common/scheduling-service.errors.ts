/** Code of a cancel refused because the execution service did not say which servers have started. */
export const EXECUTION_UNAVAILABLE_CODE = 'TASK.EXECUTION_UNAVAILABLE';

/**
 * The execution service did not answer (no instance listening, or no reply in time), so the
 * scheduling service cannot know which servers of a processing task have started. Nothing was
 * recorded; the caller may retry.
 */
export class ExecutionUnavailableError extends Error {
  override name = 'ExecutionUnavailableError';
  readonly code = EXECUTION_UNAVAILABLE_CODE;
  readonly details: { taskId: string; reason: string };

  constructor(taskId: string, reason: string, options?: { cause?: unknown }) {
    super(
      `Task ${taskId} was not cancelled: the execution service did not confirm which servers have started ` +
        `(${reason}). Nothing was recorded; retry the cancel.`,
      options,
    );
    this.details = { taskId, reason };
  }
}
