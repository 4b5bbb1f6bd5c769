import type { LoggerService } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Subjects } from '@fleetwarden/contracts';
import type { EventStore, LogPosition, RecordedEvent, Subscription } from '@fleetwarden/eventstore';
import { ControlSwitched, type NotificationTarget } from '@fleetwarden/redundancy-contracts';
import type { Clock } from '@fleetwarden/shared-domain';
import type { PairBook } from './pair-book';
import { sendControl } from './keepalive-monitor';

/** Checkpoint of the switch effects. */
export const SWITCH_EFFECTS_CHECKPOINT = 'redundancy-switch-effects';

export interface SwitchEffectsOptions {
  store: EventStore;
  nc: NatsConnection;
  subjects: Subjects;
  clock: Clock;
  book: PairBook;
  logger: Pick<LoggerService, 'log' | 'warn' | 'error'>;
  /** Deliveries tried per target (default 5), `retryMs` x 2^n apart (default 500). */
  attempts?: number;
  retryMs?: number;
  /** Real ms `stop()` waits for effects in flight (default 2000). */
  stopGraceMs?: number;
  /** Switches whose effects run at once (default 32). */
  concurrency?: number;
  /** Real ms a member may take to confirm a control request (default 10000). */
  controlTimeoutMs?: number;
  /** Real ms a webhook may take (default 5000). */
  webhookTimeoutMs?: number;
  pollIntervalMs?: number;
}

/**
 * What follows a switch, from the one instance that holds the lead: reads every `ControlSwitched`
 * in order from its checkpoint, tells the new active member to assume control and the other to
 * release it, and delivers the switch to each notification target of the pair (a NATS subject,
 * or a webhook POST), retried, each attempt recorded as `SwitchoverNotified`. Several switches are
 * served at once; the checkpoint moves past a switch once it and every earlier one are done, so a
 * crash repeats the effects of the switches not yet done (at least once).
 */
export class SwitchEffects {
  private subscription: Subscription | null = null;
  /** Switches whose effects run, in log order; the checkpoint moves past a prefix once all of it is done. */
  private readonly pending: Array<{ position: LogPosition; done: boolean }> = [];
  private readonly slots: Array<() => void> = [];
  private active = 0;
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly options: SwitchEffectsOptions) {}

  async start(): Promise<void> {
    const { store } = this.options;
    const from = await store.loadCheckpoint(SWITCH_EFFECTS_CHECKPOINT);
    this.subscription = store.subscribe((event) => this.handle(event), {
      fromPosition: from,
      types: [ControlSwitched.type],
      pollIntervalMs: this.options.pollIntervalMs,
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = null;
    // Effects still waiting on a dead member are left behind: their checkpoint has not moved, so
    // the next leader repeats them (at least once).
    const deadline = Date.now() + (this.options.stopGraceMs ?? 2000);
    while (this.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.saving;
  }

  /**
   * Starts the effects of one switch and returns at once (up to `concurrency` switches at a time,
   * so that a mass failover with dead members is not served one 10 s wait after another).
   */
  private async handle(event: RecordedEvent): Promise<void> {
    if (this.active >= (this.options.concurrency ?? 32)) await new Promise<void>((r) => this.slots.push(r));
    else this.active++;
    const entry = {
      position: { transactionId: event.transactionId, globalPosition: event.globalPosition },
      done: false,
    };
    this.pending.push(entry);
    void this.effects(event)
      .catch((err) => this.options.logger.error(`effects of switch ${event.eventId}: ${String(err)}`))
      .finally(() => {
        entry.done = true;
        const next = this.slots.shift();
        if (next) next();
        else this.active--;
        this.advance();
      });
  }

  private advance(): void {
    let last: LogPosition | null = null;
    while (this.pending[0]?.done) last = this.pending.shift()!.position;
    if (!last) return;
    const position = last;
    this.saving = this.saving
      .then(() => this.options.store.saveCheckpoint(SWITCH_EFFECTS_CHECKPOINT, position))
      .catch((err) => this.options.logger.error(`switch effects checkpoint: ${String(err)}`));
  }

  private async effects(event: RecordedEvent): Promise<void> {
    const d = ControlSwitched.parse(event.data);
    const { book, nc, subjects, logger } = this.options;
    await book.run(d.pairId, null, () => null);
    const state = book.peek(d.pairId);
    const config = state?.config;
    if (config) {
      const server = (role: 'primary' | 'secondary') =>
        role === 'primary' ? config.primaryServerId : config.secondaryServerId;
      const requests: Array<[string, 'assume-control' | 'release-control']> = [
        [server(d.to), 'assume-control'],
        [server(d.from), 'release-control'],
      ];
      const control = requests.map(async ([serverId, type]) => {
        try {
          // A real take-over script may take a while: wait for it longer than for a correction.
          await sendControl(
            nc,
            subjects,
            serverId,
            { type, pairId: d.pairId, switchId: d.switchId, reason: d.reason },
            this.options.controlTimeoutMs ?? 10_000,
          );
        } catch (err) {
          // The keep-alive monitor corrects a member that claims the wrong control when it is back.
          logger.warn(`pair ${d.pairId}: ${type} to ${serverId} not confirmed: ${String(err)}`);
        }
      });
      // The members are told and the targets notified at once: a dead member does not delay them.
      await Promise.all([...control, ...config.notificationTargets.map((target) => this.deliver(d, target))]);
    }
  }

  private async deliver(d: ReturnType<typeof ControlSwitched.parse>, target: NotificationTarget): Promise<void> {
    const attempts = this.options.attempts ?? 5;
    const body = JSON.stringify({
      pairId: d.pairId,
      switchId: d.switchId,
      kind: d.kind,
      from: d.from,
      to: d.to,
      reason: d.reason,
      at: d.at,
    });
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let error: string | null = null;
      try {
        await this.send(target, body);
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      await this.options.book.run(d.pairId, null, () => ({
        type: 'RecordNotification',
        data: {
          pairId: d.pairId,
          switchId: d.switchId,
          target,
          attempt,
          delivered: error === null,
          error,
          now: this.options.clock.now().toISOString(),
        },
      }));
      if (error === null) return;
      await new Promise((r) => setTimeout(r, (this.options.retryMs ?? 500) * 2 ** (attempt - 1)));
    }
    this.options.logger.warn(`pair ${d.pairId}: switch ${d.switchId} not delivered to ${describe(target)}`);
  }

  private async send(target: NotificationTarget, body: string): Promise<void> {
    if (target.kind === 'subject') {
      this.options.nc.publish(target.subject, body);
      await this.options.nc.flush();
      return;
    }
    const res = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(this.options.webhookTimeoutMs ?? 5000),
    });
    if (!res.ok) throw new Error(`webhook answered ${res.status}`);
  }
}

function describe(target: NotificationTarget): string {
  return target.kind === 'subject' ? `subject ${target.subject}` : `webhook ${target.url}`;
}
