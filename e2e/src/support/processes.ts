import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

/** Root of the workspace (where `tools/run.js` is). */
export const WORKSPACE = path.resolve(__dirname, '..', '..', '..');

/** A child process with its output collected. */
export interface Spawned {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  readonly exited: Promise<number | NodeJS.Signals>;
}

/**
 * Runs a TypeScript entry point of the workspace (`node tools/run.js <entry>`) with `env` on top
 * of a clean environment (PATH and HOME only, so the developer's variables do not leak in).
 */
export function runEntry(entry: string, env: Record<string, string>, args: string[] = []): Spawned {
  const child = spawn(process.execPath, [path.join(WORKSPACE, 'tools', 'run.js'), entry, ...args], {
    cwd: WORKSPACE,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('close', (code, signal) => resolve(code ?? (signal as NodeJS.Signals))),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** `npm start`'s entry point, run the way `npm start` runs it. */
export function startRunner(env: Record<string, string>): Spawned {
  return runEntry('services/runner/src/main.ts', env);
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
export function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Polls `probe` every `intervalMs` until it returns a value other than undefined; fails after
 * `timeoutMs` with `what` and the last error, or as soon as `abort` resolves (the process died).
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; abort?: Promise<unknown> },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let aborted: unknown;
  let isAborted = false;
  void options.abort?.then((value) => {
    isAborted = true;
    aborted = value;
  });
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (isAborted) throw new Error(`${what}: gave up, the process ended (${String(aborted)})`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
  throw new Error(
    `${what}: not reached within ${options.timeoutMs} ms${lastError ? ` (last error: ${String(lastError)})` : ''}`,
  );
}

/** Resolves with the exit code, or fails when the process is still running after `timeoutMs`. */
export async function exitWithin(spawned: Spawned, timeoutMs: number): Promise<number | NodeJS.Signals> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`process ${spawned.child.pid} still running after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([spawned.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Stops the process when it is still running, for afterAll: SIGTERM (so that it stops what it
 * started, e.g. a nats-server), then SIGKILL after `graceMs`.
 */
export async function killIfRunning(spawned: Spawned | undefined, graceMs = 10_000): Promise<void> {
  if (!spawned || spawned.child.exitCode !== null || spawned.child.signalCode !== null) return;
  spawned.child.kill('SIGTERM');
  const timer = setTimeout(() => spawned.child.kill('SIGKILL'), graceMs);
  await spawned.exited;
  clearTimeout(timer);
}

/** The non-empty lines of a text. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim().length > 0);
}
