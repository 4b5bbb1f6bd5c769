import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LoggerService } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Subjects } from '@fleetwarden/contracts';
import { createEventStore, type EventStore } from '@fleetwarden/eventstore';
import { connectNats, ensureEventsStream } from '@fleetwarden/messaging';
import type { FleetwardenConfig } from '../config/config';
import { passwordOf, redactUrl, scrub } from '../config/redact';
import { DependencyError, reasonOf } from '../errors';
import { createProcessInfo, type ProcessInfo } from './process-info';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock';

/** The connections every Fleetwarden process holds, opened and checked at start. */
export interface PlatformResources {
  readonly config: FleetwardenConfig;
  readonly subjects: Subjects;
  readonly process: ProcessInfo;
  readonly nats: NatsConnection;
  readonly jsm: JetStreamManager;
  /** Migrated event store. */
  readonly store: EventStore;
  /** Waits for in-flight appends and closes the store, then drains and closes NATS. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link openPlatformResources}. */
export interface OpenResourcesOptions {
  /** Connection name shown by the NATS server (`runner`, `inventory`, `gateway`). */
  name: string;
  logger?: LoggerService;
}

/** Folder of PGlite's files inside `FLEETWARDEN_DATA_DIR`. */
export function pgliteDir(config: FleetwardenConfig): string {
  return path.join(config.dataDir, 'pglite');
}

/** `NATS_URL=<url>` with any password hidden. */
function natsLabel(config: FleetwardenConfig): string {
  return `NATS_URL=${redactUrl(config.natsUrl)}`;
}

/**
 * Connects to NATS, ensures the events stream, opens and migrates the event store, in that
 * order. Each failure is a {@link DependencyError} whose one-line message names the variable.
 */
export async function openPlatformResources(
  config: FleetwardenConfig,
  options: OpenResourcesOptions,
): Promise<PlatformResources> {
  const subjects = new Subjects(config.namespace);
  const cleanups: Array<() => Promise<void>> = [];
  const undo = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const nats = await openNats(config, options.name);
    cleanups.push(() => nats.close());
    const jsm = await openJetStream(config, nats, subjects);
    const lock = config.databaseUrl ? undefined : await lockDataDir(config);
    if (lock) cleanups.push(async () => lock.release());
    const store = await openStore(config, options.logger);
    cleanups.push(() => store.close());

    let closing: Promise<void> | undefined;
    return {
      config,
      subjects,
      process: createProcessInfo(),
      nats,
      jsm,
      store,
      close() {
        closing ??= (async () => {
          await store.close();
          lock?.release();
          await nats.drain().catch(() => nats.close());
        })();
        return closing;
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}

async function openNats(config: FleetwardenConfig, name: string): Promise<NatsConnection> {
  try {
    return await connectNats({ url: config.natsUrl, name, timeoutMs: 5000 });
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause ?? err;
    const reason = scrub(reasonOf(cause), passwordOf(config.natsServers[0] ?? ''));
    throw new DependencyError('NATS.UNREACHABLE', `NATS is unreachable at ${natsLabel(config)} (${reason})`, {
      cause: err,
    });
  }
}

async function openJetStream(config: FleetwardenConfig, nats: NatsConnection, subjects: Subjects) {
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nats);
  } catch (err) {
    throw new DependencyError(
      'NATS.NO_JETSTREAM',
      `JetStream is not enabled on the NATS server at ${natsLabel(config)} (start nats-server with -js): ${reasonOf(err)}`,
      { cause: err },
    );
  }
  try {
    await ensureEventsStream(jsm, subjects, {
      replicas: config.natsReplicas,
      duplicateWindowMs: config.duplicateWindowMs,
    });
  } catch (err) {
    throw new DependencyError(
      'NATS.STREAM',
      `Cannot create the events stream ${subjects.eventsStream} at ${natsLabel(config)} ` +
        `(FLEETWARDEN_NATS_REPLICAS=${config.natsReplicas}): ${reasonOf(err)}`,
      { cause: err },
    );
  }
  return jsm;
}

async function lockDataDir(config: FleetwardenConfig): Promise<DataDirLock> {
  try {
    fs.mkdirSync(config.dataDir, { recursive: true });
    return acquireDataDirLock(config.dataDir);
  } catch (err) {
    throw new DependencyError(
      'DATABASE.DATA_DIR',
      `Cannot use FLEETWARDEN_DATA_DIR=${config.dataDir}: ${reasonOf(err)}`,
      { cause: err },
    );
  }
}

async function openStore(config: FleetwardenConfig, logger?: LoggerService): Promise<EventStore> {
  let store: EventStore | undefined;
  try {
    store = await createEventStore({
      databaseUrl: config.databaseUrl,
      dataDir: config.databaseUrl ? undefined : pgliteDir(config),
      schema: config.dbSchema,
      onError: (err, where) => logger?.error(`event store (${where}): ${reasonOf(err)}`, undefined, 'EventStore'),
    });
    await store.migrate();
    return store;
  } catch (err) {
    await store?.close().catch(() => undefined);
    if (config.databaseUrl) {
      const reason = scrub(reasonOf(err), passwordOf(config.databaseUrl));
      throw new DependencyError(
        'DATABASE.UNREACHABLE',
        `Cannot use the database at DATABASE_URL=${redactUrl(config.databaseUrl)} (${reason})`,
        { cause: err },
      );
    }
    throw new DependencyError(
      'DATABASE.EMBEDDED',
      `Cannot open the embedded database in FLEETWARDEN_DATA_DIR=${config.dataDir} (${reasonOf(err)})`,
      { cause: err },
    );
  }
}
