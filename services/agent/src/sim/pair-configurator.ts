import { setTimeout as sleep } from 'node:timers/promises';
import type { LoggerService } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Subjects } from '@fleetwarden/contracts';
import { JetStreamClientProxy, RemoteCommandError } from '@fleetwarden/messaging';
import {
  ConfigurePair,
  DEFAULT_FAILOVER_THRESHOLD_SEC,
  DEFAULT_HOLD_DOWN_SEC,
} from '@fleetwarden/redundancy-contracts';
import type { ServerProfile } from './fleet-data';
import { simRedundancyKey, type SimPairSpec } from './pair-data';

const LOG_CONTEXT = 'fleet';
/** Who the simulator's commands come from. */
export const SIM_OPERATOR_META = { role: 'operator', actor: 'operator:fleet-simulator' } as const;
/** Refusals that go away by themselves: the servers are not registered yet, the service is busy or starting. */
const RETRYABLE_CODES = new Set(['PAIR.UNKNOWN_SERVERS', 'INTERNAL', 'EVENTSTORE.CONCURRENCY']);
/** At most one warning about pending pairs per this many real ms. */
const WARN_EVERY_MS = 10_000;
/** Refusals logged one by one; later ones only counted. */
const REFUSALS_LOGGED = 10;

export type ConfigurePairData = ReturnType<typeof ConfigurePair.request.parse>;

/**
 * The `ConfigurePair` data of a simulated pair: key `sim-key-<seed>-<pairId>`, the members' FQDNs as
 * addresses, auto-failover on, default timings (a failover threshold of 3 keep-alive intervals
 * when the default would not be above the interval).
 */
export function simConfigurePairData(args: {
  seed: number;
  pair: SimPairSpec;
  primary: ServerProfile;
  secondary: ServerProfile;
  keepAliveSec: number;
}): ConfigurePairData {
  const { seed, pair, primary, secondary, keepAliveSec } = args;
  const domain = primary.config.fqdn.slice(primary.config.fqdn.indexOf('.') + 1);
  return {
    pairId: pair.pairId,
    primaryServerId: pair.primaryServerId,
    secondaryServerId: pair.secondaryServerId,
    primaryAddress: primary.config.fqdn,
    secondaryAddress: secondary.config.fqdn,
    switchAddress: `switch-${pair.pairId}.${domain}`,
    redundancyKey: simRedundancyKey(seed, pair.pairId),
    autoFailover: true,
    keepAliveIntervalSec: keepAliveSec,
    failoverThresholdSec:
      DEFAULT_FAILOVER_THRESHOLD_SEC > keepAliveSec ? DEFAULT_FAILOVER_THRESHOLD_SEC : 3 * keepAliveSec,
    holdDownSec: DEFAULT_HOLD_DOWN_SEC,
    notificationTargets: [],
  };
}

/** Whether a failed `ConfigurePair` is worth another attempt: no answer, or a refusal that passes. */
export function isRetryableConfigureError(err: unknown): boolean {
  if (!(err instanceof RemoteCommandError)) return true;
  return RETRYABLE_CODES.has(err.code) || /UNAVAILABLE$/.test(err.code);
}

/** Where the configuration of one pair stands. */
export interface PairConfigurationStatus {
  /** `waiting`: for both members' first hello; `refused`: a refusal that does not pass (not retried). */
  state: 'waiting' | 'configuring' | 'configured' | 'refused';
  attempts: number;
  /** The last failure (`<code>: <message>`), while configuring or refused. */
  lastError?: string;
}

export interface PairConfiguratorOptions {
  /** Shared with the virtual agents (not closed here). */
  connection: NatsConnection;
  subjects: Subjects;
  logger: LoggerService;
  /** How many pairs there are to configure (for the summary once all are settled). */
  pairs: number;
  /** Real ms before the first retry (default 500); doubles up to `retryMaxMs` (default 10000). */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Real ms one attempt waits for the reply (default 5000). */
  timeoutMs?: number;
}

/**
 * Configures simulated pairs through `ConfigurePair`, as an operator does. An attempt that gets no
 * answer (no redundancy service, timeout) or a refusal that passes (servers not registered yet) is
 * retried with backoff until the service says yes; other refusals are logged and not retried.
 */
export class PairConfigurator {
  private readonly client: JetStreamClientProxy;
  private readonly statuses = new Map<string, PairConfigurationStatus>();
  private readonly aborted = new AbortController();
  private readonly running = new Set<Promise<void>>();
  private lastWarnAt = -Infinity;
  private refusals = 0;
  private settled = 0;

  constructor(private readonly options: PairConfiguratorOptions) {
    this.client = new JetStreamClientProxy({ connection: options.connection, subjects: options.subjects });
  }

  get subject(): string {
    return this.options.subjects.command('redundancy', ConfigurePair.name);
  }

  status(pairId: string): PairConfigurationStatus {
    const status = this.statuses.get(pairId);
    return status ? { ...status } : { state: 'waiting', attempts: 0 };
  }

  /** Configured pairs, refused ones, and those still being configured. */
  stats(): { configured: number; refused: number; configuring: number } {
    let configured = 0;
    let refused = 0;
    let configuring = 0;
    for (const s of this.statuses.values()) {
      if (s.state === 'configured') configured++;
      else if (s.state === 'refused') refused++;
      else configuring++;
    }
    return { configured, refused, configuring };
  }

  /** Starts configuring a pair (once); the request is checked against the contract first. */
  configure(data: ConfigurePairData): void {
    if (this.statuses.has(data.pairId) || this.aborted.signal.aborted) return;
    const status: PairConfigurationStatus = { state: 'configuring', attempts: 0 };
    this.statuses.set(data.pairId, status);
    let request: ReturnType<typeof ConfigurePair.parseRequest>;
    try {
      request = ConfigurePair.parseRequest({ data, meta: SIM_OPERATOR_META });
    } catch (err) {
      this.refuse(data.pairId, status, `invalid request: ${message(err)}`);
      return;
    }
    const run = this.run(request.data, status).finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /** Resolves once no attempt is running or waiting (tests). */
  async whenIdle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Stops retrying; an attempt in flight ends with its timeout at the latest. */
  stop(): void {
    this.aborted.abort();
  }

  private async run(data: ConfigurePairData, status: PairConfigurationStatus): Promise<void> {
    const signal = this.aborted.signal;
    const initial = this.options.retryInitialMs ?? 500;
    const max = this.options.retryMaxMs ?? 10_000;
    for (let attempt = 1; !signal.aborted && !this.options.connection.isClosed(); attempt++) {
      status.attempts = attempt;
      try {
        const reply = await this.client.command(this.subject, data, {
          meta: { ...SIM_OPERATOR_META },
          timeoutMs: this.options.timeoutMs ?? 5000,
        });
        const checked = ConfigurePair.reply.safeParse(reply);
        if (!checked.success) {
          this.options.logger.warn(
            `ConfigurePair ${data.pairId}: unexpected reply ${JSON.stringify(reply)}`,
            LOG_CONTEXT,
          );
        }
        status.state = 'configured';
        delete status.lastError;
        this.options.logger.debug?.(
          `configured ${data.pairId} (${data.primaryServerId}, ${data.secondaryServerId}) after ${attempt} attempt(s)`,
          LOG_CONTEXT,
        );
        this.settle();
        return;
      } catch (err) {
        if (signal.aborted) return;
        status.lastError = describe(err);
        if (!isRetryableConfigureError(err)) {
          this.refuse(data.pairId, status, status.lastError);
          return;
        }
        const wait = Math.min(max, initial * 2 ** Math.min(attempt - 1, 20)) * (0.75 + Math.random() * 0.5);
        this.warnPending(data.pairId, attempt, status.lastError, wait);
        await sleep(wait, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private refuse(pairId: string, status: PairConfigurationStatus, error: string): void {
    status.state = 'refused';
    status.lastError = error;
    if (++this.refusals <= REFUSALS_LOGGED) {
      this.options.logger.error(
        `ConfigurePair ${pairId} refused, not retried: ${error}` +
          (this.refusals === REFUSALS_LOGGED ? ' (further refusals are only counted)' : ''),
        LOG_CONTEXT,
      );
    }
    this.settle();
  }

  private warnPending(pairId: string, attempt: number, error: string, waitMs: number): void {
    const now = performance.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    const pending = this.statuses.size - this.settled;
    this.options.logger.warn(
      `${pending} pair(s) not configured yet on ${this.subject} (${pairId}, attempt ${attempt}: ${error}); ` +
        `retrying in ${Math.round(waitMs)} ms, backoff up to ${this.options.retryMaxMs ?? 10_000} ms`,
      LOG_CONTEXT,
    );
  }

  private settle(): void {
    if (++this.settled !== this.options.pairs) return;
    const { configured, refused } = this.stats();
    this.options.logger.log(
      `configured ${configured} pair(s) through ${this.subject}` + (refused > 0 ? `; ${refused} refused` : ''),
      LOG_CONTEXT,
    );
  }
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? `${code}: ${message(err)}` : message(err);
}

function message(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}
