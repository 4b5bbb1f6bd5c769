import { JobLog, MAX_LOG_CHARS, MAX_LOG_LINE_CHARS, MAX_LOG_LINES } from './job-log';

describe('JobLog', () => {
  it('hands out the lines since the last take, once', () => {
    const log = new JobLog();
    log.add('one');
    log.add('two');
    expect(log.take()).toEqual(['one', 'two']);
    expect(log.take()).toEqual([]);
    log.add('three');
    expect(log.take()).toEqual(['three']);
  });

  it('cuts a line longer than the contract allows', () => {
    const log = new JobLog();
    log.add('x'.repeat(MAX_LOG_LINE_CHARS + 10));
    const [line] = log.take();
    expect(line).toHaveLength(MAX_LOG_LINE_CHARS);
    expect(line.endsWith('…')).toBe(true);
  });

  it('keeps exactly the limit of lines without a note', () => {
    const log = new JobLog();
    for (let i = 0; i < MAX_LOG_LINES; i++) log.add(`line ${i}`);
    const lines = log.take();
    expect(lines).toHaveLength(MAX_LOG_LINES);
    expect(lines[0]).toBe('line 0');
  });

  it('keeps the newest lines and says how many it dropped', () => {
    const log = new JobLog();
    for (let i = 0; i < 5000; i++) log.add(`line ${i}`);
    const lines = log.take();
    expect(lines).toHaveLength(MAX_LOG_LINES);
    expect(lines[0]).toBe(`[${5000 - MAX_LOG_LINES + 1} earlier log lines dropped]`);
    expect(lines[1]).toBe(`line ${5000 - MAX_LOG_LINES + 1}`);
    expect(lines.at(-1)).toBe('line 4999');
  });

  it('keeps the characters of one message bounded', () => {
    const log = new JobLog();
    for (let i = 0; i < 900; i++) log.add(`${i} ${'y'.repeat(MAX_LOG_LINE_CHARS - 10)}`);
    const lines = log.take();
    expect(lines.slice(1).reduce((n, l) => n + l.length, 0)).toBeLessThanOrEqual(MAX_LOG_CHARS);
    expect(lines[0]).toMatch(/^\[\d+ earlier log lines dropped\]$/);
    expect(lines.at(-1)?.startsWith('899 ')).toBe(true);
  });
});
