import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { AgentMessageContract, Subjects } from '@fleetwarden/contracts';
import { AgentPatchReport } from '@fleetwarden/compliance-contracts';
import { AgentProgress, type AgentProgressMessage } from '@fleetwarden/execution-contracts';
import {
  AgentHello,
  AgentHeartbeat,
  AgentReport,
  type AgentHelloMessage,
  type AgentHeartbeatMessage,
  type AgentReportMessage,
  type HostConfig,
  type InstalledFile,
  type NamedRef,
  type ProductVersions,
  type HostingProvider,
  type Stage,
} from '@fleetwarden/inventory-contracts';
import { AgentKeepAlive, type AgentKeepAliveMessage } from '@fleetwarden/redundancy-contracts';

/** Who a server belongs to and how it is classified: fixed for the agent's lifetime. */
export interface AgentIdentity {
  reseller: NamedRef;
  company: NamedRef;
  address: string;
  stage: Stage;
  hostingProvider: HostingProvider;
}

/** What the probes see on a server: the parts a report may carry. */
export interface AgentSnapshot {
  versions: ProductVersions;
  config: HostConfig;
  files: InstalledFile[];
}

export interface AgentPublisherOptions {
  /** Validate every message against its contract before sending it (default true). */
  validate?: boolean;
  /** Wait before the first retry of a failed progress publish, in ms (default 100); doubles up to `retryMaxMs`. */
  retryInitialMs?: number;
  /** Longest wait between two retries of a progress publish, in ms (default 5000). */
  retryMaxMs?: number;
  /** How long one progress publish waits for the stream's ack, in ms (default 5000). */
  publishTimeoutMs?: number;
  /** Told about every failed progress publish (it is retried). */
  onProgressRetry?: (err: unknown, attempt: number, message: AgentProgressMessage) => void;
  /** Told about every failed patch-report publish (it is retried). */
  onPatchReportRetry?: (err: unknown, attempt: number, message: AgentPatchReportMessage) => void;
}

/** An agent's OS-patch install report (the contract's output shape). */
export type AgentPatchReportMessage = AgentPatchReport;

/** The publisher was closed while a progress message still waited to be stored. */
export class PublisherClosedError extends Error {
  override name = 'PublisherClosedError';
  readonly code = 'AGENT.PUBLISHER_CLOSED';
}

/** `Nats-Msg-Id` of a progress message: the stream stores each phase of a job once. */
export function progressMsgId(message: Pick<AgentProgressMessage, 'jobId' | 'phase'>): string {
  return `${message.jobId}:${message.phase}`;
}

/** `Nats-Msg-Id` of a patch report: the stream stores each install of a server once. */
export function patchReportMsgId(message: Pick<AgentPatchReportMessage, 'serverId' | 'installedAt'>): string {
  return `${message.serverId}:${message.installedAt}`;
}

/**
 * Sends agent messages on `<ns>.agent.<serverId>.<kind>`. Each message is checked against its
 * contract first, so an agent never puts a message on the wire that the control plane must reject;
 * a message that fails throws the contract's `ValidationError` and is not sent.
 *
 * Hello, heartbeat, report and keep-alive go out on core NATS. Job progress goes through JetStream (stream
 * `<NS>_AGENT_PROGRESS`, msgID `<jobId>:<phase>`), so it waits for an execution service that is
 * down; a publish that fails (no stream yet, no ack in time, disconnected) is retried with backoff
 * until it is stored or the publisher is closed, and the messages of one job are stored in the
 * order they were given. OS-patch install reports go through the same stream (msgID
 * `<serverId>:<installedAt>`), retried the same way.
 */
export class AgentPublisher {
  private readonly validate: boolean;
  private js: JetStreamClient | undefined;
  /** The last pending progress publish of each job: the next one of the job waits for it. */
  private readonly tails = new Map<string, Promise<void>>();
  private readonly aborted = new AbortController();
  private pending = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly options: AgentPublisherOptions = {},
  ) {
    this.validate = options.validate ?? true;
  }

  hello(message: AgentHelloMessage): void {
    this.send(AgentHello, message.serverId, message);
  }

  heartbeat(message: AgentHeartbeatMessage): void {
    this.send(AgentHeartbeat, message.serverId, message);
  }

  report(message: AgentReportMessage): void {
    this.send(AgentReport, message.serverId, message);
  }

  /** A pair member's keep-alive, on `<ns>.agent.<serverId>.keepalive`. */
  keepAlive(message: AgentKeepAliveMessage): void {
    this.send(AgentKeepAlive, message.serverId, message);
  }

  /**
   * Stores one progress message of a job in JetStream. Resolves once the stream acked it (a
   * duplicate ack counts); rejects with the contract's `ValidationError` before sending anything,
   * or with {@link PublisherClosedError} when the publisher is closed first.
   */
  progress(message: AgentProgressMessage): Promise<void> {
    let body: AgentProgressMessage;
    try {
      body = this.validate ? AgentProgress.parse(message) : message;
    } catch (err) {
      return Promise.reject(err);
    }
    const jobId = body.jobId;
    const previous = this.tails.get(jobId) ?? Promise.resolve();
    this.pending++;
    const next = previous
      .catch(() => undefined)
      .then(() => this.storeProgress(body))
      .finally(() => {
        this.pending--;
        if (this.tails.get(jobId) === next) this.tails.delete(jobId);
      });
    this.tails.set(jobId, next);
    return next;
  }

  /**
   * Stores one OS-patch install report in JetStream on `<ns>.agent.<serverId>.patches`. Resolves
   * once the stream acked it (a duplicate ack counts); rejects with the contract's
   * `ValidationError` before sending anything, or with {@link PublisherClosedError}.
   */
  patchReport(message: AgentPatchReportMessage): Promise<void> {
    let body: AgentPatchReportMessage;
    try {
      body = this.validate ? AgentPatchReport.parse(message) : message;
    } catch (err) {
      return Promise.reject(err);
    }
    const key = `patches:${body.serverId}`;
    const previous = this.tails.get(key) ?? Promise.resolve();
    this.pending++;
    const next = previous
      .catch(() => undefined)
      .then(() =>
        this.store(
          AgentPatchReport.subject(body.serverId, this.subjects),
          JSON.stringify(body),
          patchReportMsgId(body),
          (err, attempt) => this.options.onPatchReportRetry?.(err, attempt, body),
        ),
      )
      .finally(() => {
        this.pending--;
        if (this.tails.get(key) === next) this.tails.delete(key);
      });
    this.tails.set(key, next);
    return next;
  }

  /** Progress messages and patch reports given but not yet stored. */
  get pendingProgress(): number {
    return this.pending;
  }

  /** Waits until every progress message given so far is stored (true), or `timeoutMs` passed (false). */
  async settle(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.tails.size > 0) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      const timer = sleep(left, false, { ref: false });
      const all = Promise.allSettled([...this.tails.values()]).then(() => true);
      if (!(await Promise.race([all, timer]))) return false;
    }
    return true;
  }

  /** Stops retrying: progress not yet stored is dropped (its promise rejects with {@link PublisherClosedError}). */
  close(): void {
    this.aborted.abort();
  }

  private storeProgress(message: AgentProgressMessage): Promise<void> {
    return this.store(
      AgentProgress.subject(message.serverId, this.subjects),
      JSON.stringify(message),
      progressMsgId(message),
      (err, attempt) => this.options.onProgressRetry?.(err, attempt, message),
    );
  }

  /** Publishes to JetStream until acked, retrying with backoff, or the publisher is closed. */
  private async store(
    subject: string,
    payload: string,
    msgID: string,
    onRetry: (err: unknown, attempt: number) => void,
  ): Promise<void> {
    const initial = this.options.retryInitialMs ?? 100;
    const max = this.options.retryMaxMs ?? 5000;
    const signal = this.aborted.signal;
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted || this.nc.isClosed()) {
        throw new PublisherClosedError(`${subject} ${msgID} not stored: the publisher is closed`);
      }
      try {
        this.js ??= jetstream(this.nc);
        await this.js.publish(subject, payload, { msgID, timeout: this.options.publishTimeoutMs ?? 5000 });
        return;
      } catch (err) {
        if (signal.aborted || this.nc.isClosed()) continue;
        onRetry(err, attempt);
        const wait = Math.min(max, initial * 2 ** Math.min(attempt - 1, 20));
        await sleep(wait * (0.75 + Math.random() * 0.5), undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private send(contract: AgentMessageContract, serverId: string, message: object): void {
    const body = this.validate ? contract.parse(message) : message;
    this.nc.publish(contract.subject(serverId, this.subjects), JSON.stringify(body));
  }
}

/** The hello of an agent: identity, what the probes see, and the heartbeat interval it keeps. */
export function buildHello(args: {
  serverId: string;
  agentVersion: string;
  heartbeatIntervalSec: number;
  sentAt: Date;
  identity: AgentIdentity;
  snapshot: AgentSnapshot;
}): AgentHelloMessage {
  const { identity, snapshot } = args;
  return {
    serverId: args.serverId,
    agentVersion: args.agentVersion,
    heartbeatIntervalSec: args.heartbeatIntervalSec,
    sentAt: args.sentAt.toISOString(),
    identity: {
      reseller: identity.reseller,
      company: identity.company,
      address: identity.address,
      stage: identity.stage,
      hostingProvider: identity.hostingProvider,
    },
    versions: snapshot.versions,
    config: snapshot.config,
    files: snapshot.files,
  };
}
