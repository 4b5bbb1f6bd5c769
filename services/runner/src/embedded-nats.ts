import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { LoggerService } from '@nestjs/common';
import { StartupError, redactUrl, type FleetwardenConfig } from '@fleetwarden/platform';

const DEFAULT_NATS_PORT = 4222;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** A `nats-server` this process started; `stop()` ends it (SIGTERM, then SIGKILL). */
export interface EmbeddedNats {
  readonly pid: number;
  readonly port: number;
  readonly storeDir: string;
  stop(): Promise<void>;
}

/** Resolves true when something accepts a TCP connection at `host:port` within `timeoutMs`. */
export function answers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Absolute path of an executable on PATH, or undefined. */
export function findOnPath(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Whether `npm start` should start a local nats-server: only for a single loopback `NATS_URL`,
 * and, in `auto` mode (the default), only when `NATS_URL` is unset.
 */
export function shouldStartNats(config: FleetwardenConfig): { host: string; port: number } | undefined {
  if (config.startNats === 'false') return undefined;
  if (config.startNats === 'auto' && !config.natsUrlIsDefault) return undefined;
  if (config.natsServers.length !== 1) return undefined;
  const url = new URL(config.natsServers[0]);
  if (!LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : DEFAULT_NATS_PORT };
}

/**
 * Starts `nats-server -a 127.0.0.1 -p <port> -js -sd <dataDir>/nats` when nothing answers at
 * `NATS_URL` (see {@link shouldStartNats}) and `nats-server` is on PATH. Resolves undefined when
 * no server was started (one already answers, or the rules above say no). The server runs in its
 * own process group, so that a Ctrl-C reaches only this process, which then stops it last.
 */
export async function ensureLocalNats(
  config: FleetwardenConfig,
  logger: LoggerService,
  options: { readyTimeoutMs?: number } = {},
): Promise<EmbeddedNats | undefined> {
  const target = shouldStartNats(config);
  if (!target) return undefined;
  if (await answers(target.host, target.port)) return undefined;
  const bin = findOnPath('nats-server');
  if (!bin) return undefined;

  const storeDir = path.join(config.dataDir, 'nats');
  fs.mkdirSync(storeDir, { recursive: true });
  const logFile = path.join(config.dataDir, 'nats-server.log');
  const out = fs.openSync(logFile, 'a');
  const args = ['-a', '127.0.0.1', '-p', String(target.port), '-js', '-sd', storeDir];
  let child: ChildProcess;
  try {
    child = spawn(bin, args, { detached: true, stdio: ['ignore', out, out] });
  } finally {
    fs.closeSync(out);
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => (running = false));
  const killOnExit = () => {
    if (running) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const embedded: EmbeddedNats = {
    pid: child.pid ?? -1,
    port: target.port,
    storeDir,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (!running) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000);
  while (!(await answers('127.0.0.1', target.port))) {
    if (!running || Date.now() > deadline) {
      await embedded.stop();
      const tail = lastLine(logFile);
      throw new StartupError(
        'NATS.EMBEDDED',
        `Cannot start nats-server for NATS_URL=${redactUrl(config.natsUrl)}: ${
          running ? 'it did not answer in time' : 'it exited'
        }${tail ? ` (${tail})` : ''}; see ${logFile}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  logger.log(
    `started nats-server (pid ${embedded.pid}) on 127.0.0.1:${target.port}, JetStream in ${storeDir}`,
    'runner',
  );
  return embedded;
}

function lastLine(file: string): string | undefined {
  try {
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    return lines[lines.length - 1]?.replace(/^\[\d+\]\s+\S+\s+\S+\s+/, '').trim() || undefined;
  } catch {
    return undefined;
  }
}
