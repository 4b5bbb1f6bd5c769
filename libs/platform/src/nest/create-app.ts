import type { DynamicModule, INestApplication, LoggerService, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { StartupError, reasonOf } from '../errors';

/**
 * Creates a Nest application on Fastify. Logs are held back until the module graph is built, so
 * that a failed start (a dependency down) prints nothing but the caller's one error line.
 */
export async function createFastifyApp(
  root: Type | DynamicModule,
  logger: LoggerService,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(root, new FastifyAdapter(), {
    logger,
    bufferLogs: true,
    autoFlushLogs: false,
    abortOnError: false,
  });
  app.flushLogs();
  return app;
}

/** Closes apps in order, each after the previous one has finished. */
export async function closeInOrder(apps: ReadonlyArray<Pick<INestApplication, 'close'> | undefined>): Promise<void> {
  for (const app of apps) await app?.close();
}

/**
 * Listens on `0.0.0.0:port`; a port that cannot be bound fails start-up with one line naming
 * the variable that chose it.
 */
export async function listenOn(app: NestFastifyApplication, port: number, variable: string): Promise<void> {
  try {
    await app.listen(port, '0.0.0.0');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'EADDRINUSE'
        ? 'is already in use'
        : code === 'EACCES'
          ? 'needs privileges this process lacks'
          : `cannot be bound (${reasonOf(err)})`;
    throw new StartupError('HTTP.LISTEN', `Cannot start: ${variable}=${port} ${reason}`, { cause: err });
  }
}
