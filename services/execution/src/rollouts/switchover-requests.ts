import type { LoggerService } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Subjects } from '@fleetwarden/contracts';
import { JetStreamClientProxy, RemoteCommandError } from '@fleetwarden/messaging';
import { ManualSwitchover } from '@fleetwarden/redundancy-contracts';

/** How one switchover request ended. */
export type SwitchoverOutcome = { kind: 'switched' } | { kind: 'refused'; reason: string };

export interface SwitchoverRequestsOptions {
  nc: NatsConnection;
  subjects: Subjects;
  logger: Pick<LoggerService, 'warn'>;
  /** Tries before giving up (default 6), `retryMs` x 2^n apart (default 1000): a standby that has
   * just been updated may still be synchronizing. */
  attempts?: number;
  retryMs?: number;
  timeoutMs?: number;
}

/**
 * Asks the redundancy service (`ManualSwitchover`) to pass control of a pair to its updated
 * standby, as the system; a refusal (standby still synchronizing, a service down) or no answer is
 * tried again a few times before the rollout is told it was refused, with the last reason.
 */
export class SwitchoverRequests {
  private readonly client: JetStreamClientProxy;

  constructor(private readonly options: SwitchoverRequestsOptions) {
    this.client = new JetStreamClientProxy({
      connection: options.nc,
      subjects: options.subjects,
      timeoutMs: options.timeoutMs ?? 5000,
    });
  }

  async request(pairId: string, reason: string): Promise<SwitchoverOutcome> {
    const attempts = this.options.attempts ?? 6;
    let last = 'no attempt made';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await this.client.command(
          { context: ManualSwitchover.context, command: ManualSwitchover.name },
          { pairId, reason },
          { meta: { role: 'system', actor: 'system:execution' } },
        );
        return { kind: 'switched' };
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
        if (err instanceof RemoteCommandError && err.code === 'PAIR.NOT_FOUND') break;
        this.options.logger.warn(`switchover of pair ${pairId} (try ${attempt}/${attempts}): ${last}`);
      }
      if (attempt < attempts)
        await new Promise((r) => setTimeout(r, (this.options.retryMs ?? 1000) * 2 ** (attempt - 1)));
    }
    return { kind: 'refused', reason: last };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
