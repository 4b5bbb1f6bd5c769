import type { LoggerService } from '@nestjs/common';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import type { Subjects } from '@fleetwarden/contracts';
import { SimActionRegistry, type SimControlReply } from './sim-actions';
import type { SimulatorControl } from './simulator-control';

/** `<ns>.sim.control`: where tests and operators drive a running simulator. */
export function simControlSubject(subjects: Subjects): string {
  return `${subjects.namespace}.sim.control`;
}

const LOG_CONTEXT = 'sim-control';

/**
 * Listens on `<ns>.sim.control` and hands each message to the action registry. Bad messages are
 * logged and ignored; a request with a reply subject gets the {@link SimControlReply}.
 */
export class SimControlHandler {
  private subscription: Subscription | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly sim: SimulatorControl,
    private readonly registry: SimActionRegistry,
    private readonly logger: LoggerService,
  ) {}

  get subject(): string {
    return simControlSubject(this.subjects);
  }

  start(): void {
    this.subscription = this.nc.subscribe(this.subject, {
      callback: (err, msg) => {
        if (err) {
          this.logger.warn(`control subscription error: ${err.message}`, LOG_CONTEXT);
          return;
        }
        this.onMessage(msg);
      },
    });
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  private onMessage(msg: Msg): void {
    let body: unknown;
    let reply: SimControlReply | undefined;
    try {
      body = JSON.parse(msg.string());
    } catch (err) {
      reply = { ok: false, error: `control message is not JSON: ${(err as Error).message}` };
    }
    reply ??= this.registry.handle(body, this.sim);
    if (reply.ok) {
      const unknown = reply.unknownServerIds?.length ? `, ${reply.unknownServerIds.length} unknown` : '';
      this.logger.log(`${reply.action}: ${reply.affected} agent(s) affected${unknown}`, LOG_CONTEXT);
    } else {
      this.logger.warn(`ignored control message: ${reply.error}`, LOG_CONTEXT);
    }
    if (msg.reply) msg.respond(this.encode(reply));
  }

  /** The reply as JSON; one too large for the server's max payload becomes an error reply. */
  private encode(reply: SimControlReply): string {
    const text = JSON.stringify(reply);
    const max = this.nc.info?.max_payload ?? 1024 * 1024;
    const size = Buffer.byteLength(text);
    if (size <= max - 1024) return text;
    return JSON.stringify({
      ok: false,
      error: `the reply (${size} bytes) exceeds the NATS max payload (${max} bytes): list fewer serverIds`,
    } satisfies SimControlReply);
  }
}
