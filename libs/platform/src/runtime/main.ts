import { ConsoleLogger, type LoggerService } from '@nestjs/common';
import { loadConfig, nestLogLevels, type FleetwardenConfig } from '../config/config';
import { StartupError, reasonOf } from '../errors';

/** Default time the graceful shutdown may take before the process exits anyway. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 20_000;

/** What a started process hands back: how to stop it gracefully (a Nest app qualifies). */
export interface Closeable {
  close(): Promise<void>;
}

/** What `runMain` hands to the start function. */
export interface MainContext {
  readonly config: FleetwardenConfig;
  readonly logger: LoggerService;
  /** Registers work to do last, on every exit path (after the app has closed, or after a failed start). */
  atExit(fn: () => Promise<void> | void): void;
}

/** Options of {@link runMain}. */
export interface RunMainOptions {
  /** Name used in log lines (`runner`, `inventory`, `gateway`). */
  name: string;
  /** Time the graceful shutdown may take before the process exits with code 1. */
  shutdownTimeoutMs?: number;
  /** Environment to read the configuration from (default `process.env`). */
  env?: Record<string, string | undefined>;
}

/** The Nest logger of a process, honouring `LOG_LEVEL`. */
export function createLogger(config: Pick<FleetwardenConfig, 'logLevel'>, prefix = 'Fleetwarden'): ConsoleLogger {
  return new ConsoleLogger({ prefix, logLevels: nestLogLevels(config.logLevel) });
}

/**
 * Runs a process: validates the configuration, calls `start`, then waits for SIGINT/SIGTERM.
 *
 * - A failed start prints one line on stderr (a {@link StartupError}'s message, which names the
 *   variable at fault) and exits with code 1.
 * - The first signal closes the app: transports (consumers drained), HTTP, the outbox relay
 *   (finishing its batch), then the store (after in-flight appends) and NATS; then the `atExit`
 *   work; exit code 0. A second signal, or a shutdown slower than the timeout, exits with code 1.
 */
export function runMain(options: RunMainOptions, start: (ctx: MainContext) => Promise<Closeable>): void {
  const exitWork: Array<() => Promise<void> | void> = [];
  const runExitWork = async () => {
    for (const fn of exitWork.splice(0).reverse()) {
      await Promise.resolve()
        .then(fn)
        .catch(() => undefined);
    }
  };

  let config: FleetwardenConfig;
  try {
    config = loadConfig(options.env ?? process.env);
  } catch (err) {
    failStart(err, undefined, runExitWork);
    return;
  }
  const logger = createLogger(config);
  const ctx: MainContext = { config, logger, atExit: (fn) => exitWork.push(fn) };

  let started: Promise<Closeable | undefined> = Promise.resolve(undefined);
  let shuttingDown = false;
  let failed = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn(`${signal} again: exiting without finishing the shutdown`, options.name);
      process.exit(1);
    }
    shuttingDown = true;
    logger.log(`${signal}: shutting down`, options.name);
    const timeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
    const timer = setTimeout(() => {
      logger.error(`shutdown did not finish within ${timeoutMs} ms: exiting`, undefined, options.name);
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    void (async () => {
      let code = 0;
      try {
        const app = await started;
        if (failed) return;
        await app?.close();
      } catch (err) {
        code = 1;
        logger.error(`shutdown failed: ${reasonOf(err)}`, undefined, options.name);
      }
      await runExitWork();
      clearTimeout(timer);
      if (code === 0) logger.log('stopped', options.name);
      process.exit(code);
    })();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  started = start(ctx).catch((err: unknown) => {
    failed = true;
    failStart(err, config, runExitWork);
    return undefined;
  });
}

function failStart(err: unknown, config: FleetwardenConfig | undefined, cleanup: () => Promise<void>): void {
  const line = err instanceof StartupError ? err.message : `Fleetwarden failed to start: ${reasonOf(err)}`;
  process.stderr.write(`${line.replace(/\s*\n\s*/g, ' ')}\n`);
  if (!(err instanceof StartupError) && config && ['debug', 'verbose'].includes(config.logLevel)) {
    process.stdout.write(`${(err as Error)?.stack ?? String(err)}\n`);
  }
  void cleanup().finally(() => process.exit(1));
}
