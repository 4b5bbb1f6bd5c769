import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import type { Subjects } from '@fleetwarden/contracts';
import type { EventStore } from '@fleetwarden/eventstore';
import {
  AgentControl,
  AgentKeepAlive,
  type AgentKeepAliveMessage,
  type MemberRole,
} from '@fleetwarden/redundancy-contracts';
import type { PairState } from '@fleetwarden/redundancy-domain';
import { DomainError, type Clock } from '@fleetwarden/shared-domain';
import { redundancyTables } from '../view/redundancy-view';
import { PairBook } from './pair-book';

export interface KeepAliveMonitorOptions {
  store: EventStore;
  schema: string;
  nc: NatsConnection;
  subjects: Subjects;
  clock: Clock;
  logger: Pick<LoggerService, 'log' | 'warn' | 'error'>;
  /** Real ms between two evaluations of every pair (default 250). */
  evaluateMs?: number;
  /** Real ms between two corrections of a member that claims the wrong control (default 2000). */
  correctionMs?: number;
}

interface Membership {
  pairId: string;
  role: MemberRole;
}

/** Counters, for health and benchmarks. */
export interface KeepAliveMonitorStats {
  pairs: number;
  keepAlives: number;
  rejected: number;
  evaluations: number;
  /** How long the last evaluation pass over every pair took, in real ms. */
  lastPassMs: number;
}

/**
 * Watches the pairs from the one instance that holds the lead: takes the members' keep-alives
 * (`<ns>.agent.*.keepalive`; the last one of each member is kept in memory, only a change of what it
 * reports becomes an event), evaluates every pair each `evaluateMs` (keep-alive lost, failover,
 * hold-down, 30-day limit: the pair decider decides), and tells members that claim control against
 * the control plane's decision to assume or release it — the control plane alone says who leads.
 */
export class KeepAliveMonitor {
  readonly book: PairBook;
  private subscription: Subscription | null = null;
  private readonly members = new Map<string, Membership>();
  /** Pairs watched, with the clock time (ms) since when: a member's grace before its first keep-alive. */
  private readonly pairs = new Map<string, number>();
  private readonly lastKeepAlive = new Map<string, number>();
  private readonly lastCorrection = new Map<string, number>();
  private readonly rejections = new Map<string, number>();
  private startedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private passing: Promise<void> | null = null;
  private stopped = false;
  private readonly counters = { keepAlives: 0, rejected: 0, evaluations: 0, lastPassMs: 0 };

  constructor(private readonly options: KeepAliveMonitorOptions) {
    this.book = new PairBook(options.store, options.clock);
  }

  get stats(): KeepAliveMonitorStats {
    return { pairs: this.pairs.size, ...this.counters };
  }

  /** Starts watching (called when this instance takes the lead). */
  async start(): Promise<void> {
    this.stopped = false;
    this.startedAt = this.options.clock.now().getTime();
    await this.reloadMembers();
    const ns = this.options.subjects.namespace;
    this.subscription = this.options.nc.subscribe(`${ns}.agent.*.keepalive`, {
      callback: (err, msg) => {
        if (!err) void this.onKeepAlive(msg);
      },
    });
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.subscription?.unsubscribe();
    this.subscription = null;
    await this.passing;
    this.book.clear();
  }

  /** A pair was configured: watch it. */
  watch(pair: { pairId: string; primaryServerId: string; secondaryServerId: string }): void {
    this.members.set(pair.primaryServerId, { pairId: pair.pairId, role: 'primary' });
    this.members.set(pair.secondaryServerId, { pairId: pair.pairId, role: 'secondary' });
    if (!this.pairs.has(pair.pairId)) this.pairs.set(pair.pairId, this.options.clock.now().getTime());
  }

  private async reloadMembers(): Promise<void> {
    const t = redundancyTables(this.options.schema);
    const { rows } = await this.options.store.transaction((tx) =>
      tx.query<{ server_id: string; pair_id: string; role: MemberRole }>(
        `SELECT server_id, pair_id, role FROM ${t.members}`,
      ),
    );
    const now = this.options.clock.now().getTime();
    for (const row of rows) {
      this.members.set(row.server_id, { pairId: row.pair_id, role: row.role });
      if (!this.pairs.has(row.pair_id)) this.pairs.set(row.pair_id, now);
    }
  }

  private reject(serverId: string, reason: string): void {
    this.counters.rejected++;
    const now = performance.now();
    if (now - (this.rejections.get(serverId) ?? -Infinity) < 60_000) return;
    this.rejections.set(serverId, now);
    this.options.logger.warn(`keep-alive from ${serverId} refused: ${reason}`);
  }

  private async onKeepAlive(msg: Msg): Promise<void> {
    const token = msg.subject.split('.')[2] ?? '';
    let report: AgentKeepAliveMessage;
    try {
      report = AgentKeepAlive.parse(JSON.parse(msg.string()));
    } catch (err) {
      this.reject(token, err instanceof Error ? err.message : String(err));
      return;
    }
    if (report.serverId !== token) {
      this.reject(token, `serverId "${report.serverId}" does not match the subject's server "${token}"`);
      return;
    }
    const membership = this.members.get(report.serverId);
    if (!membership) {
      this.reject(report.serverId, 'the server is in no redundancy pair (PAIR.NOT_A_MEMBER)');
      return;
    }
    this.counters.keepAlives++;
    const now = this.options.clock.now();
    this.lastKeepAlive.set(report.serverId, now.getTime());
    try {
      await this.book.run(membership.pairId, null, () => ({
        type: 'RecordKeepAlive',
        data: { pairId: membership.pairId, serverId: report.serverId, report, now: now.toISOString() },
      }));
    } catch (err) {
      if (err instanceof DomainError) this.reject(report.serverId, err.message);
      else this.options.logger.error(`keep-alive of ${report.serverId}: ${String(err)}`);
      return;
    }
    const state = this.book.peek(membership.pairId);
    if (state) this.correct(state, membership.role, report.serverId, report.inControl);
  }

  /** Tells a member that claims the wrong control what the control plane decided. */
  private correct(state: PairState, role: MemberRole, serverId: string, claims: boolean): void {
    const shouldLead = state.activeRole === role;
    if (claims === shouldLead) return;
    const now = performance.now();
    if (now - (this.lastCorrection.get(serverId) ?? -Infinity) < (this.options.correctionMs ?? 2000)) return;
    this.lastCorrection.set(serverId, now);
    void sendControl(this.options.nc, this.options.subjects, serverId, {
      type: shouldLead ? 'assume-control' : 'release-control',
      pairId: state.pairId,
      switchId: state.lastSwitch?.switchId ?? null,
      reason: shouldLead
        ? 'the control plane has this member in control'
        : 'the control plane has the other member in control',
    }).catch((err) => this.options.logger.warn(`control request to ${serverId}: ${String(err)}`));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.passing = this.pass().finally(() => {
        this.passing = null;
        this.schedule();
      });
    }, this.options.evaluateMs ?? 250);
  }

  /** Evaluates every pair once. */
  private async pass(): Promise<void> {
    const started = performance.now();
    const nowMs = this.options.clock.now().getTime();
    const now = new Date(nowMs).toISOString();
    // Before its first keep-alive, a member counts from when it began to be watched (a pair just
    // configured, or this instance just took the lead), never from an earlier time.
    const lastOf = (serverId: string, since: number): string =>
      new Date(Math.max(this.lastKeepAlive.get(serverId) ?? 0, since, this.startedAt)).toISOString();
    await Promise.all(
      [...this.pairs].map(async ([pairId, since]) => {
        try {
          await this.book.run(pairId, null, (state) => {
            if (!state.exists || !state.config) return null;
            this.counters.evaluations++;
            return {
              type: 'Evaluate',
              data: {
                pairId,
                now,
                lastKeepAliveAt: {
                  primary: lastOf(state.config.primaryServerId, since),
                  secondary: lastOf(state.config.secondaryServerId, since),
                },
                switchId: randomUUID(),
              },
            };
          });
        } catch (err) {
          this.options.logger.error(`evaluation of pair ${pairId} failed: ${String(err)}`);
        }
      }),
    );
    this.counters.lastPassMs = performance.now() - started;
  }
}

/** Sends a control request to a member and waits for its `{ ok: true }`. */
export async function sendControl(
  nc: NatsConnection,
  subjects: Subjects,
  serverId: string,
  body: { type: 'assume-control' | 'release-control'; pairId: string; switchId: string | null; reason: string },
  timeoutMs = 2000,
): Promise<void> {
  const reply = await nc.request(subjects.agent(serverId, 'control'), JSON.stringify(AgentControl.parse(body)), {
    timeout: timeoutMs,
  });
  const answer = JSON.parse(reply.string()) as { ok?: boolean; error?: string };
  if (answer.ok !== true) throw new Error(answer.error ?? 'refused');
}
