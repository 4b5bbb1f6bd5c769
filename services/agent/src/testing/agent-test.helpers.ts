import type { LoggerService } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';

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
        const list = this.byServer.get(serverId) ?? [];
        list.push({ kind, serverId, body: msg.json<Record<string, unknown>>(), at: performance.now() });
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
