import type { LoggerService } from '@nestjs/common';
import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Subjects } from '@fleetwarden/contracts';
import { AgentPatchReport } from '@fleetwarden/compliance-contracts';
import { DurableEventConsumer } from '@fleetwarden/messaging';
import { isDomainError } from '@fleetwarden/shared-domain';
import type { InstallOutcome, InstallRecorder, InstallRequest } from '../common/install-recorder';
import { COMPLIANCE_SERVICE_NAME } from '../compliance-service.constants';

/** Counters of the intake, for health and the benchmark. */
export interface AgentPatchIntakeStats {
  /** Reports that appended events. */
  recorded: number;
  /** Valid reports that changed nothing (at or before the latest known install). */
  unchanged: number;
  /** Reports dropped: malformed, for an unknown server, refused by the domain (logged). */
  dropped: number;
  /** Batches recorded. */
  batches: number;
  /** Deliveries put back because the server was not known yet. */
  waiting: number;
}

interface Waiting {
  request: InstallRequest;
  resolve(outcome: InstallOutcome): void;
}

const MAX_BATCH = 500;
/**
 * A report for a server the service does not know yet is retried (with backoff up to 5 s) this many
 * deliveries, about two minutes: an agent reports its last install right after its first hello,
 * possibly before the inventory's `ServerRegistered` reached the service.
 */
export const UNKNOWN_SERVER_DELIVERIES = 30;
const BATCH_WAIT_MS = 5;

/**
 * Takes the agents' OS-patch install reports (`<ns>.agent.<serverId>.patches`, kept in the agent
 * progress stream) with a durable consumer shared by every instance and records each as a
 * `RecordPatchInstall` (`source` `system` when the report names a task, else `outside`; `now`
 * from the service clock). Reports in flight are recorded together in batches of up to 500 (see
 * {@link InstallRecorder}). A report that is not JSON, does not fit the contract, names another
 * server than its subject, or that the domain refuses (future install, unapproved patches of a
 * task) is logged with the reason and acknowledged: it changes nothing and is never redelivered. A
 * report for an unknown server is retried for about two minutes ({@link UNKNOWN_SERVER_DELIVERIES})
 * before it is dropped the same way. Only a failure of the database is retried (then dead-lettered after 5 deliveries).
 */
export class AgentPatchIntake {
  private readonly consumer: DurableEventConsumer<Uint8Array>;
  private readonly unknownServerDeliveries: number;
  private queue: Waiting[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly counters: AgentPatchIntakeStats = { recorded: 0, unchanged: 0, dropped: 0, batches: 0, waiting: 0 };

  constructor(
    private readonly deps: {
      nc: NatsConnection;
      subjects: Subjects;
      recorder: InstallRecorder;
      logger: Pick<LoggerService, 'log' | 'warn' | 'error'>;
      /** Default {@link UNKNOWN_SERVER_DELIVERIES}. */
      unknownServerDeliveries?: number;
    },
  ) {
    this.unknownServerDeliveries = deps.unknownServerDeliveries ?? UNKNOWN_SERVER_DELIVERIES;
    const { subjects } = deps;
    const name = subjects.consumerName(COMPLIANCE_SERVICE_NAME, 'agent-patches');
    this.consumer = new DurableEventConsumer<Uint8Array>(deps.nc, {
      stream: subjects.agentProgressStream,
      name,
      filterSubject: subjects.allAgentPatches,
      deadLetterSubject: subjects.deadLetter(name),
      concurrency: 1000,
      retryInitialMs: 200,
      retryMaxMs: 5000,
      maxDeliver: this.unknownServerDeliveries + 1,
      parse: (data) => data,
      describe: () => 'agent patch report',
      handle: (data, raw) => this.onReport(data, raw),
      logger: deps.logger,
    });
  }

  get stats(): AgentPatchIntakeStats {
    return { ...this.counters };
  }

  start(): Promise<void> {
    return this.consumer.start();
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
    this.flush();
  }

  private async onReport(data: Uint8Array, raw: JsMsg): Promise<void> {
    const request = this.validate(data, raw.subject);
    if (request === null) return;
    const outcome = await new Promise<InstallOutcome>((resolve) => {
      this.queue.push({ request, resolve });
      if (this.queue.length >= MAX_BATCH) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), BATCH_WAIT_MS);
    });
    if (outcome.ok) {
      if (outcome.events.length > 0) this.counters.recorded++;
      else this.counters.unchanged++;
      return;
    }
    if (!isDomainError(outcome.error)) throw outcome.error;
    if (outcome.error.code === 'COMPLIANCE.UNKNOWN_SERVER' && raw.info.deliveryCount < this.unknownServerDeliveries) {
      this.counters.waiting++;
      throw new Error(`server ${request.serverId} is not in the inventory (yet)`);
    }
    this.drop(raw.subject, `${outcome.error.code}: ${outcome.error.message}`);
  }

  /** The install a report asks to record; null (logged) when it is not a valid report. */
  private validate(data: Uint8Array, subject: string): InstallRequest | null {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(data).toString('utf8'));
    } catch {
      this.drop(subject, 'not JSON');
      return null;
    }
    const parsed = AgentPatchReport.schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(report)'}: ${i.message}`).join('; ');
      this.drop(subject, `invalid report: ${issues}`);
      return null;
    }
    const report = parsed.data;
    const token = subject.split('.')[2];
    if (token !== report.serverId) {
      this.drop(subject, `serverId ${report.serverId} differs from the subject's server ${token}`);
      return null;
    }
    return {
      serverId: report.serverId,
      installedAt: report.installedAt,
      patches: report.patches,
      startedBy: report.startedBy,
      kind: report.kind,
      urgentUpdateId: report.urgentUpdateId,
      source: report.taskId === null ? 'outside' : 'system',
      reseller: null,
    };
  }

  private drop(subject: string, reason: string): void {
    this.counters.dropped++;
    this.deps.logger.warn(`patch report on ${subject} dropped: ${reason}`);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.counters.batches++;
    this.deps.recorder.recordAll(batch.map((w) => w.request)).then(
      (outcomes) => batch.forEach((w, i) => w.resolve(outcomes[i])),
      (error: unknown) => batch.forEach((w) => w.resolve({ ok: false, error })),
    );
  }
}
