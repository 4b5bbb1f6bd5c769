import { TimerQueue } from './timer-queue';

describe('TimerQueue', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs tasks in due order (ties in scheduling order), each once', () => {
    const queue = new TimerQueue({ now: () => Date.now() });
    const t0 = Date.now();
    const ran: string[] = [];
    queue.at(t0 + 30, () => ran.push('c'));
    queue.at(t0 + 10, () => ran.push('a'));
    queue.at(t0 + 20, () => ran.push('b1'));
    queue.at(t0 + 20, () => ran.push('b2'));
    jest.advanceTimersByTime(15);
    expect(ran).toEqual(['a']);
    jest.advanceTimersByTime(20);
    expect(ran).toEqual(['a', 'b1', 'b2', 'c']);
    expect(queue.size).toBe(0);
  });

  it('re-arms for a task scheduled earlier than the pending one, and from inside a task', () => {
    const queue = new TimerQueue({ now: () => Date.now() });
    const t0 = Date.now();
    const ran: number[] = [];
    queue.at(t0 + 100, () => ran.push(100));
    queue.at(t0 + 5, () => {
      ran.push(5);
      queue.at(t0 + 50, () => ran.push(50));
    });
    jest.advanceTimersByTime(60);
    expect(ran).toEqual([5, 50]);
    jest.advanceTimersByTime(60);
    expect(ran).toEqual([5, 50, 100]);
  });

  it('runs large backlogs in batches and survives a failing task', () => {
    const errors: unknown[] = [];
    const queue = new TimerQueue({ now: () => Date.now(), batchSize: 10, onError: (e) => errors.push(e) });
    let ran = 0;
    for (let i = 0; i < 35; i++) {
      queue.at(Date.now(), () => {
        ran++;
        if (i === 3) throw new Error('boom');
      });
    }
    jest.advanceTimersByTime(0);
    expect(ran).toBe(10);
    jest.runAllTimers();
    expect(ran).toBe(35);
    expect(errors).toHaveLength(1);
  });

  it('drops everything on close', () => {
    const queue = new TimerQueue({ now: () => Date.now() });
    const ran: number[] = [];
    queue.at(Date.now() + 10, () => ran.push(1));
    queue.close();
    queue.at(Date.now() + 10, () => ran.push(2));
    jest.advanceTimersByTime(100);
    expect(ran).toEqual([]);
    expect(queue.size).toBe(0);
  });
});
