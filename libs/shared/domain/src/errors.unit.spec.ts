import {
  ConflictError,
  DomainError,
  ForbiddenError,
  InvariantViolationError,
  NotFoundError,
  isDomainError,
} from './errors';

describe('DomainError', () => {
  it('carries a stable code, the message, details and the cause', () => {
    const cause = new Error('low level');
    const error = new InvariantViolationError('TASK.NOT_CANCELLABLE', 'Task t-1 has finished', {
      cause,
      details: { taskId: 't-1' },
    });
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InvariantViolationError');
    expect(error.code).toBe('TASK.NOT_CANCELLABLE');
    expect(error.message).toBe('Task t-1 has finished');
    expect(error.details).toEqual({ taskId: 't-1' });
    expect(error.cause).toBe(cause);
  });

  it('names each kind of failure by a stable name, not the class name at run time', () => {
    expect(new DomainError('X', 'x').name).toBe('DomainError');
    expect(new NotFoundError('SERVER.NOT_FOUND', 'x').name).toBe('NotFoundError');
    expect(new ConflictError('SERVER.ALREADY_REGISTERED', 'x').name).toBe('ConflictError');
    expect(new ForbiddenError('SERVER.FORBIDDEN', 'x').name).toBe('ForbiddenError');
  });

  it('has no cause or details unless given', () => {
    const error = new NotFoundError('SERVER.NOT_FOUND', 'no such server');
    expect(error.cause).toBeUndefined();
    expect(error.details).toBeUndefined();
  });

  it('is recognised by code', () => {
    const error = new ConflictError('SERVER.ALREADY_REGISTERED', 'x');
    expect(isDomainError(error)).toBe(true);
    expect(isDomainError(error, 'SERVER.ALREADY_REGISTERED')).toBe(true);
    expect(isDomainError(error, 'SERVER.NOT_FOUND')).toBe(false);
    expect(isDomainError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(false);
  });
});
