import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Subjects } from '@fleetwarden/contracts';
import type { EventStore, RecordedEvent, Subscription } from '@fleetwarden/eventstore';
import { ensureAgentProgressStream, sleep } from '@fleetwarden/messaging';
import {
  CLOCK,
  CommandExecutor,
  EVENT_STORE,
  HealthRegistry,
  NATS_CONNECTION,
  PLATFORM_CONFIG,
  SUBJECTS,
  type FleetwardenConfig,
} from '@fleetwarden/platform';
import { complianceOf, type ComplianceStatus, type Money } from '@fleetwarden/compliance-domain';
import { isDomainError, type Clock } from '@fleetwarden/shared-domain';
import { ServerComplianceBook, UrgentUpdateBook } from './common/compliance-books';
import { InstallRecorder } from './common/install-recorder';
import { COMPLIANCE_SERVICE_OPTIONS, type ComplianceServiceOptions } from './compliance-service.options';
import { AutomatedUpdatesRunner } from './dispatch/automated-updates-runner';
import { OPERATIONS_DISPATCH_EVENTS, OperationsPatches } from './dispatch/operations-patches';
import { PatchDispatcher } from './effects/patch-dispatcher';
import { runEvaluationPass, type EvaluationPassResult } from './evaluation/compliance-evaluation';
import { AgentPatchIntake } from './intake/agent-patch-intake';
import { NOTIFYING_EVENTS, publishNotifications } from './reactions/compliance-notifications';
import { runEventReactor } from './reactions/event-reactor';
import { complianceTables, ensureComplianceTables, runComplianceView } from './view/compliance-view';

/** Name of the lock held by the one instance that evaluates, reacts and dispatches. */
export const COMPLIANCE_LEADER_LOCK = 'compliance-leader';

/** Checkpoints of the leader's reactions. */
export const COMPLIANCE_REACTORS = {
  urgentProgress: 'compliance-urgent-progress',
  notifications: 'compliance-notifications',
  dispatch: 'compliance-dispatch',
} as const;

/** An evaluation pass with what the leader dispatched in it. */
export interface CompliancePassResult extends EvaluationPassResult {
  /** Install jobs sent for automated updates. */
  automated: number;
  /** Operations patches sent that had waited for an approved batch. */
  operationsSent: number;
}

/**
 * The compliance service's background parts. On every instance: its view (servers, alert cycles,
 * approvals, automation) and the intake of the agents' patch reports. On the one instance holding
 * the leader lock: the evaluation pass every `evaluateMs` (alerts, breaches, operations take-overs,
 * automated updates, pending operations patches), the urgent updates' progress, the resellers'
 * notifications, and the patch dispatcher that sends `install-patches` to the agents.
 */
@Injectable()
export class ComplianceRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  readonly clock: Clock;
  readonly schema: string;
  readonly timeZone: string;
  readonly breachCharge: Money;
  readonly book: ServerComplianceBook;
  readonly urgentBook: UrgentUpdateBook;
  readonly executor: CommandExecutor;
  readonly recorder: InstallRecorder;
  readonly intake: AgentPatchIntake;
  readonly dispatcher: PatchDispatcher;
  private readonly operations: OperationsPatches;
  private readonly automation: AutomatedUpdatesRunner;
  private readonly logger = new Logger('Compliance');
  private view: Subscription | null = null;
  private readonly stopper = new AbortController();
  private contending: Promise<void> | null = null;
  private leading = false;
  private passing: Promise<unknown> = Promise.resolve();
  private lastPass: CompliancePassResult | null = null;

  constructor(
    health: HealthRegistry,
    @Inject(EVENT_STORE) readonly store: EventStore,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(SUBJECTS) private readonly subjects: Subjects,
    @Inject(CLOCK) platformClock: Clock,
    @Inject(PLATFORM_CONFIG) config: FleetwardenConfig,
    @Optional() @Inject(COMPLIANCE_SERVICE_OPTIONS) private readonly options: ComplianceServiceOptions | null,
  ) {
    this.clock = options?.clock ?? platformClock;
    this.schema = config.dbSchema;
    this.timeZone = config.operatorTimeZone;
    this.breachCharge = { ...config.breachCharge };
    this.book = new ServerComplianceBook(store, this.clock);
    this.urgentBook = new UrgentUpdateBook(store, this.clock);
    this.executor = new CommandExecutor(store, this.clock);
    this.recorder = new InstallRecorder({
      store,
      schema: this.schema,
      book: this.book,
      clock: this.clock,
      timeZone: this.timeZone,
      breachCharge: this.breachCharge,
      keepAggregates: () => this.leading,
    });
    this.intake = new AgentPatchIntake({
      nc,
      subjects,
      recorder: this.recorder,
      logger: new Logger('CompliancePatchReports'),
      unknownServerDeliveries: options?.unknownServerDeliveries,
    });
    this.dispatcher = new PatchDispatcher({
      store,
      schema: this.schema,
      nc,
      subjects,
      clock: this.clock,
      logger: new Logger('CompliancePatchDispatcher'),
      retryMs: options?.retryMs,
    });
    const deps = { store, schema: this.schema, dispatcher: this.dispatcher, logger: this.logger };
    this.operations = new OperationsPatches(deps);
    this.automation = new AutomatedUpdatesRunner(deps);
    health.register('complianceLeader', async () => ({
      role: this.leading ? 'leader' : 'follower',
      reports: this.intake.stats,
      ...(this.lastPass ? { lastPass: this.lastPass } : {}),
    }));
  }

  get isLeader(): boolean {
    return this.leading;
  }

  async onApplicationBootstrap(): Promise<void> {
    await ensureComplianceTables(this.store, this.schema);
    await this.dispatcher.ensureTables();
    this.view = runComplianceView(this.store, this.schema, { pollIntervalMs: this.options?.pollMs });
    await ensureAgentProgressStream(await jetstreamManager(this.nc), this.subjects);
    await this.intake.start();
    this.contending = this.contend();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopper.abort();
    await this.intake.stop();
    await this.contending;
    await this.view?.stop();
  }

  /**
   * One evaluation pass at the clock's `now` (the leader runs one every `evaluateMs`; tests and
   * benchmarks call it): alerts, breaches and operations take-overs due, then the operations
   * patches waiting for an approved batch, then the automated updates due. Passes never overlap.
   */
  runEvaluationPass(): Promise<CompliancePassResult> {
    const pass = this.passing.then(() => this.evaluate());
    this.passing = pass.catch(() => undefined);
    return pass;
  }

  /** A server's counter at the clock's `now`, from the view; null for a partner-hosted or unknown server. */
  async statusOf(serverId: string): Promise<ComplianceStatus | null> {
    const t = complianceTables(this.schema);
    const { rows } = await this.store.transaction((tx) =>
      tx.query<{ hosting_provider: string; last_installed_at: Date | null }>(
        `SELECT hosting_provider, last_installed_at FROM ${t.servers} WHERE server_id = $1`,
        [serverId],
      ),
    );
    const row = rows[0];
    if (!row || row.hosting_provider !== 'operator') return null;
    const last = row.last_installed_at === null ? null : new Date(row.last_installed_at).toISOString();
    return complianceOf(last, this.clock.now().toISOString(), this.timeZone);
  }

  private async evaluate(): Promise<CompliancePassResult> {
    const now = this.clock.now();
    const result = await runEvaluationPass({
      store: this.store,
      schema: this.schema,
      book: this.book,
      now: now.toISOString(),
      timeZone: this.timeZone,
      onError: (serverId, err) => this.logger.warn(`evaluation of server ${serverId} failed: ${String(err)}`),
    });
    const operationsSent = await this.operations.sendPending();
    const automated = await this.automation.run(now);
    this.lastPass = { ...result, operationsSent, automated };
    if (result.alerted + result.breached + result.operationsScheduled + operationsSent + automated > 0) {
      this.logger.log(
        `evaluation: ${result.examined} candidate(s), ${result.alerted} alerted, ${result.breached} breached, ` +
          `${result.operationsScheduled} handed to operations, ${operationsSent} operations and ${automated} automated job(s) sent (${result.ms} ms)`,
      );
    }
    return this.lastPass;
  }

  private async contend(): Promise<void> {
    const signal = this.stopper.signal;
    const retryMs = this.options?.retryMs ?? 2000;
    while (!signal.aborted) {
      try {
        const { acquired } = await this.store.tryWithLock(COMPLIANCE_LEADER_LOCK, (lost) => this.lead(lost));
        if (!acquired) await sleep(retryMs, signal);
      } catch (err) {
        if (signal.aborted) return;
        this.logger.error(`leader work failed, retrying: ${String(err)}`);
        await sleep(retryMs, signal);
      }
    }
  }

  private async lead(lost: AbortSignal): Promise<void> {
    const stop = new AbortController();
    const abort = () => stop.abort();
    lost.addEventListener('abort', abort, { once: true });
    this.stopper.signal.addEventListener('abort', abort, { once: true });
    if (lost.aborted || this.stopper.signal.aborted) stop.abort();
    this.leading = true;
    const pollMs = this.options?.pollMs ?? 100;
    const reactor = (name: string, types: readonly string[], handleBatch: (events: RecordedEvent[]) => Promise<void>) =>
      runEventReactor({ store: this.store, name, types, pollMs, logger: this.logger, handleBatch }, stop.signal);
    try {
      await this.dispatcher.start();
      await Promise.all([
        reactor(COMPLIANCE_REACTORS.urgentProgress, ['PatchesInstalled'], (events) =>
          this.recordUrgentProgress(events),
        ),
        reactor(COMPLIANCE_REACTORS.notifications, NOTIFYING_EVENTS, async (events) => {
          await publishNotifications(this.nc, this.subjects, events);
        }),
        reactor(COMPLIANCE_REACTORS.dispatch, OPERATIONS_DISPATCH_EVENTS, (events) =>
          this.operations.handleBatch(events),
        ),
        this.evaluateEvery(stop.signal),
      ]);
    } finally {
      lost.removeEventListener('abort', abort);
      this.stopper.signal.removeEventListener('abort', abort);
      await this.passing;
      await this.dispatcher.stop();
      this.urgentBook.clear();
      this.leading = false;
    }
  }

  private async evaluateEvery(signal: AbortSignal): Promise<void> {
    const every = this.options?.evaluateMs ?? 60_000;
    for (;;) {
      await sleep(every, signal);
      if (signal.aborted) return;
      try {
        await this.runEvaluationPass();
      } catch (err) {
        this.logger.error(`evaluation pass failed: ${String(err)}`);
      }
    }
  }

  /** Urgent installs: the urgent update records the server as patched (idempotent: a repeat changes nothing). */
  private async recordUrgentProgress(events: readonly RecordedEvent[]): Promise<void> {
    const now = this.clock.now().toISOString();
    await Promise.all(
      events.map(async (event) => {
        const d = event.data as { serverId: string; kind: string; urgentUpdateId: string | null; installedAt: string };
        if (d.kind !== 'urgent' || d.urgentUpdateId === null) return;
        const urgentUpdateId = d.urgentUpdateId;
        try {
          await this.urgentBook.run(
            urgentUpdateId,
            null,
            () => ({
              type: 'RecordUrgentUpdateInstall',
              data: { urgentUpdateId, serverId: d.serverId, installedAt: d.installedAt, now },
            }),
            event.eventId,
          );
        } catch (err) {
          if (!isDomainError(err)) throw err;
          this.logger.warn(`urgent install of ${d.serverId} for ${urgentUpdateId} not recorded: ${err.message}`);
        }
      }),
    );
  }
}
