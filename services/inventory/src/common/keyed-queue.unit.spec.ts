import { KeyedQueue } from './keyed-queue';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedQueue', () => {
  it('runs the tasks of one key one after another, in order', async () => {
    const queue = new KeyedQueue(4);
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`${name} start`);
      await tick();
      log.push(`${name} end`);
    };
    void queue.run('a', task('a1'));
    void queue.run('a', task('a2'));
    await queue.drain();
    expect(log).toEqual(['a1 start', 'a1 end', 'a2 start', 'a2 end']);
  });

  it('runs at most `concurrency` tasks at once across keys', async () => {
    const queue = new KeyedQueue(2);
    let running = 0;
    let peak = 0;
    for (let i = 0; i < 10; i++) {
      void queue.run(`k${i}`, async () => {
        running++;
        peak = Math.max(peak, running);
        await tick();
        await tick();
        running--;
      });
    }
    await queue.drain();
    expect(peak).toBe(2);
    expect(queue.size).toBe(0);
  });

  it('goes on after a task fails', async () => {
    const queue = new KeyedQueue(1);
    const done: string[] = [];
    void queue.run('a', async () => {
      throw new Error('boom');
    });
    void queue.run('a', async () => {
      done.push('second');
    });
    await queue.drain();
    expect(done).toEqual(['second']);
  });
});
