import type { LoggerService } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type ConsumerMessages } from '@nats-io/jetstream';
import type { Subjects } from '@fleetwarden/contracts';
import { AgentPatchReport } from '@fleetwarden/compliance-contracts';
import { AgentProgress, type AgentProgressMessage } from '@fleetwarden/execution-contracts';
import { ensureAgentProgressStream } from '@fleetwarden/messaging';

/** One agent message as an observer received it. */
export interface Received {
  kind: string;
  /** The subject's server id token. */
  serverId: string;
  body: Record<string, unknown>;
  /** `performance.now()` at receipt. */
  at: number;
}

/** Records every agent message of a namespace, per server, in arrival order. */
export class AgentTraffic {
  private readonly byServer = new Map<string, Received[]>();
  private readonly subscription: Subscription;

  constructor(nc: NatsConnection, namespace: string) {
    this.subscription = nc.subscribe(`${namespace}.agent.*.*`, {
      callback: (err, msg) => {
        if (err) return;
        const [, , serverId, kind] = msg.subject.split('.');
        let body: Record<string, unknown>;
        try {
          body = msg.json<Record<string, unknown>>();
        } catch {
          body = { unparsed: msg.string() };
        }
        const list = this.byServer.get(serverId) ?? [];
        list.push({ kind, serverId, body, at: performance.now() });
        this.byServer.set(serverId, list);
      },
    });
  }

  stop(): void {
    this.subscription.unsubscribe();
  }

  serverIds(): string[] {
    return [...this.byServer.keys()].sort();
  }

  messages(serverId: string, kind?: string): Received[] {
    const all = this.byServer.get(serverId) ?? [];
    return kind ? all.filter((m) => m.kind === kind) : [...all];
  }

  count(serverId: string, kind?: string): number {
    return this.messages(serverId, kind).length;
  }

  /** Messages of a server received after the first `skip` of them. */
  since(serverId: string, skip: number, kind?: string): Received[] {
    const later = (this.byServer.get(serverId) ?? []).slice(skip);
    return kind ? later.filter((m) => m.kind === kind) : later;
  }
}

/** Polls `condition` every 10 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A logger that keeps the lines (for assertions) instead of printing them. */
export class MemoryLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown): void {
    this.lines.push(`log ${String(message)}`);
  }
  warn(message: unknown): void {
    this.lines.push(`warn ${String(message)}`);
  }
  error(message: unknown): void {
    this.lines.push(`error ${String(message)}`);
  }
}

/** One progress message as the stream stored it. */
export interface StoredProgress {
  seq: number;
  /** Its `Nats-Msg-Id`. */
  msgId: string | undefined;
  message: AgentProgressMessage;
}

/**
 * The `<NS>_AGENT_PROGRESS` stream of a test namespace (memory storage) and an ordered consumer
 * reading it from the start. `close` deletes the stream.
 */
export class ProgressStream {
  readonly stored: StoredProgress[] = [];
  /** Patch reports (`<ns>.agent.*.patches`) the stream holds, in stream order. */
  readonly patches: Array<{ seq: number; msgId: string | undefined; message: AgentPatchReport }> = [];
  /** Messages the stream holds that break the contract. */
  readonly invalid: unknown[] = [];

  private constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly messages: ConsumerMessages,
  ) {}

  /** Creates the stream and starts reading it. */
  static async open(nc: NatsConnection, subjects: Subjects): Promise<ProgressStream> {
    const jsm = await jetstreamManager(nc);
    await ensureAgentProgressStream(jsm, subjects, { storage: 'memory' });
    const consumer = await jetstream(nc).consumers.get(subjects.agentProgressStream);
    const messages = await consumer.consume();
    const stream = new ProgressStream(nc, subjects, messages);
    void (async () => {
      for await (const m of messages) {
        try {
          if (m.subject.endsWith('.patches')) {
            stream.patches.push({
              seq: m.seq,
              msgId: m.headers?.get('Nats-Msg-Id'),
              message: AgentPatchReport.parse(m.json()),
            });
            continue;
          }
          stream.stored.push({
            seq: m.seq,
            msgId: m.headers?.get('Nats-Msg-Id'),
            message: AgentProgress.parse(m.json()),
          });
        } catch {
          stream.invalid.push(m.string());
        }
      }
    })();
    return stream;
  }

  /** Messages of a job (or of every job of a server), in stream order. */
  of(filter: { jobId?: string; serverId?: string }): AgentProgressMessage[] {
    return this.stored
      .map((s) => s.message)
      .filter(
        (m) =>
          (filter.jobId === undefined || m.jobId === filter.jobId) &&
          (filter.serverId === undefined || m.serverId === filter.serverId),
      );
  }

  phases(jobId: string): string[] {
    return this.of({ jobId }).map((m) => m.phase);
  }

  /** The job's `completed` or `failed` message, if stored yet. */
  final(jobId: string): AgentProgressMessage | undefined {
    return this.of({ jobId }).find((m) => m.phase === 'completed' || m.phase === 'failed');
  }

  async close(): Promise<void> {
    this.messages.stop();
    const jsm = await jetstreamManager(this.nc);
    await jsm.streams.delete(this.subjects.agentProgressStream).catch(() => undefined);
  }
}
