import { spawn } from 'node:child_process';

export interface ShellCommandOptions {
  cwd: string;
  /** Added to the agent's environment. */
  env: Record<string, string>;
  /** Each line the command writes on stdout or stderr, as it comes (the order between the two is not kept). */
  onLine(line: string, stream: 'stdout' | 'stderr'): void;
  /** Killed after this many ms. */
  timeoutMs: number;
  /** Killed when this aborts. */
  signal?: AbortSignal;
  /** Between SIGTERM and SIGKILL of the command's process group, in ms (default 1000). */
  killGraceMs?: number;
}

/** How a shell command ended. */
export type ShellCommandResult =
  | { kind: 'exited'; code: number }
  | { kind: 'signalled'; signal: string }
  | { kind: 'timed-out' }
  | { kind: 'aborted' }
  | { kind: 'not-started'; error: Error };

/** After the shell exits, how long output still held by its children may take to arrive. */
const OUTPUT_GRACE_MS = 200;

/**
 * Runs `command` with `/bin/sh -c` (or, given an argv array, that program with those arguments,
 * no shell) in its own process group, streaming its output lines. On
 * timeout or abort the whole group gets SIGTERM, then SIGKILL after the grace period, so a
 * `sleep` started by the script dies with it. Never rejects.
 */
export function runShellCommand(
  command: string | readonly string[],
  options: ShellCommandOptions,
): Promise<ShellCommandResult> {
  return new Promise((resolve) => {
    if (options.signal?.aborted) {
      resolve({ kind: 'aborted' });
      return;
    }
    let child: ReturnType<typeof spawn>;
    try {
      const [file, ...args] = typeof command === 'string' ? ['/bin/sh', '-c', command] : command;
      if (file === undefined) throw new Error('empty command');
      child = spawn(file, args, {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
    } catch (err) {
      resolve({ kind: 'not-started', error: err as Error });
      return;
    }
    let stopped: 'timed-out' | 'aborted' | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const splitters = [
      lineSplitter((line) => options.onLine(line, 'stdout')),
      lineSplitter((line) => options.onLine(line, 'stderr')),
    ];
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => splitters[0].push(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => splitters[1].push(chunk));

    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is gone already.
      }
    };
    const stop = (why: 'timed-out' | 'aborted') => {
      if (stopped || settled) return;
      stopped = why;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs ?? 1000);
    };
    const onAbort = () => stop('aborted');
    const timeout = setTimeout(() => stop('timed-out'), Math.max(0, options.timeoutMs));
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (result: ShellCommandResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', onAbort);
      for (const splitter of splitters) splitter.end();
      // Children the script left behind in its group: they must not outlive it (SIGKILL follows).
      if (stopped) killGroup('SIGKILL');
      clearTimeout(killTimer);
      resolve(result);
    };
    const outcome = (code: number | null, signal: NodeJS.Signals | null): ShellCommandResult => {
      if (stopped) return { kind: stopped };
      if (code !== null) return { kind: 'exited', code };
      return { kind: 'signalled', signal: signal ?? 'unknown' };
    };
    child.on('error', (err) => finish({ kind: 'not-started', error: err }));
    child.on('close', (code, signal) => finish(outcome(code, signal)));
    // A daemon started by the script may keep the pipes open: do not wait for it.
    child.on('exit', (code, signal) => {
      graceTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(outcome(code, signal));
      }, OUTPUT_GRACE_MS);
    });
  });
}

/** Cuts a stream of text into lines (LF or CRLF); `end` flushes a last line without a newline. */
function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const part of parts) onLine(part.endsWith('\r') ? part.slice(0, -1) : part);
      // A runaway line without a newline is cut rather than held in memory.
      if (rest.length > 64_000) {
        onLine(rest);
        rest = '';
      }
    },
    end() {
      if (rest.length > 0) onLine(rest);
      rest = '';
    },
  };
}
