import {
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { Subjects } from '@fleetwarden/contracts';

const STREAM_NAME_IN_USE = 10058;

/** Options of {@link ensureEventsStream}. */
export interface EventsStreamOptions {
  /** Copies kept in a cluster (default 1; 3 in production clusters). */
  replicas?: number;
  /** Window in which a repeated `Nats-Msg-Id` is dropped as a duplicate, in ms (default 120000). */
  duplicateWindowMs?: number;
  /** `file` (default) or `memory`. Cannot be changed on an existing stream. */
  storage?: 'file' | 'memory';
}

/** Options of {@link ensureDeadLetterStream}. */
export type DeadLetterStreamOptions = Omit<EventsStreamOptions, 'duplicateWindowMs'>;

/** `FLEET_DLQ` for namespace `fleet`: keeps what durable consumers gave up on. */
export function deadLetterStreamName(subjects: Subjects): string {
  return `${subjects.namespace.toUpperCase()}_DLQ`;
}

/** `fleet.dlq.>`: every dead-letter subject of the namespace. */
export function allDeadLetters(subjects: Subjects): string {
  return `${subjects.namespace}.dlq.>`;
}

/**
 * Creates the events stream `<NS>_EVENTS` on `<ns>.events.>`, or updates its subjects, replicas
 * and duplicate window when it exists with other values. Safe to call from several processes.
 */
export function ensureEventsStream(
  jsm: JetStreamManager,
  subjects: Subjects,
  options: EventsStreamOptions = {},
): Promise<StreamInfo> {
  return ensureStream(jsm, {
    name: subjects.eventsStream,
    subjects: [subjects.allEvents],
    storage: options.storage === 'memory' ? StorageType.Memory : StorageType.File,
    num_replicas: options.replicas ?? 1,
    duplicate_window: nanos(options.duplicateWindowMs ?? 120_000),
  });
}

/** Creates or updates the dead-letter stream `<NS>_DLQ` on `<ns>.dlq.>`. */
export function ensureDeadLetterStream(
  jsm: JetStreamManager,
  subjects: Subjects,
  options: DeadLetterStreamOptions = {},
): Promise<StreamInfo> {
  return ensureStream(jsm, {
    name: deadLetterStreamName(subjects),
    subjects: [allDeadLetters(subjects)],
    storage: options.storage === 'memory' ? StorageType.Memory : StorageType.File,
    num_replicas: options.replicas ?? 1,
  });
}

/** Options of {@link ensureAgentProgressStream}. */
export interface AgentProgressStreamOptions extends EventsStreamOptions {
  /** How long progress is kept, in ms (default 7 days): long enough for an execution outage. */
  maxAgeMs?: number;
}

/**
 * Creates or updates `<NS>_AGENT_PROGRESS` on `<ns>.agent.*.progress` and `<ns>.agent.*.patches`:
 * agents publish job progress (`Nats-Msg-Id` = `<jobId>:<phase>`) and OS-patch install reports
 * with JetStream, so a message sent while the execution or compliance service is down waits for it
 * instead of being lost. Safe to call from several processes.
 */
export function ensureAgentProgressStream(
  jsm: JetStreamManager,
  subjects: Subjects,
  options: AgentProgressStreamOptions = {},
): Promise<StreamInfo> {
  return ensureStream(jsm, {
    name: subjects.agentProgressStream,
    subjects: [subjects.allAgentProgress, subjects.allAgentPatches],
    storage: options.storage === 'memory' ? StorageType.Memory : StorageType.File,
    num_replicas: options.replicas ?? 1,
    duplicate_window: nanos(options.duplicateWindowMs ?? 120_000),
    max_age: nanos(options.maxAgeMs ?? 7 * 24 * 3600 * 1000),
  });
}

type ManagedConfig = Pick<StreamConfig, 'name' | 'subjects' | 'storage' | 'num_replicas'> &
  Partial<Pick<StreamConfig, 'duplicate_window' | 'max_age'>>;

async function ensureStream(jsm: JetStreamManager, wanted: ManagedConfig): Promise<StreamInfo> {
  for (let attempt = 0; ; attempt++) {
    const existing = await streamInfo(jsm, wanted.name);
    if (!existing) {
      try {
        return await jsm.streams.add(wanted);
      } catch (err) {
        if (attempt === 0 && isApiError(err, STREAM_NAME_IN_USE)) continue;
        throw err;
      }
    }
    const config = existing.config;
    if (config.storage !== wanted.storage) {
      throw new Error(
        `stream ${wanted.name} exists with ${config.storage} storage, wanted ${wanted.storage}: storage cannot be changed in place`,
      );
    }
    const upToDate =
      sameSubjects(config.subjects, wanted.subjects) &&
      config.num_replicas === wanted.num_replicas &&
      (wanted.duplicate_window === undefined || config.duplicate_window === wanted.duplicate_window) &&
      (wanted.max_age === undefined || config.max_age === wanted.max_age);
    if (upToDate) return existing;
    const { name: _name, storage: _storage, ...changes } = wanted;
    return jsm.streams.update(wanted.name, { ...config, ...changes });
  }
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (isApiError(err, JetStreamApiCodes.StreamNotFound)) return null;
    throw err;
  }
}

function sameSubjects(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return !!a && a.length === b.length && a.every((s) => b.includes(s));
}

/** True when `err` is a JetStream API error with the given error code. */
export function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}
