import type { LoggerService } from '@nestjs/common';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import type { Subjects } from '@fleetwarden/contracts';
import { serverStreamId } from '@fleetwarden/inventory-contracts';
import { serverDecider, type RecordHello, type RecordReport, type ServerCommand } from '@fleetwarden/inventory-domain';
import type { CommandExecutor } from '@fleetwarden/platform';
import { isDomainError, type Clock } from '@fleetwarden/shared-domain';
import { KeyedQueue } from '../common/keyed-queue';
import { RateLimitedLog } from '../common/rate-limited-log';
import { INVENTORY_SERVICE_NAME } from '../inventory-service.constants';
import type { ServerDirectory } from '../server-directory/server-directory';
import {
  AgentMessageRejected,
  parseAgentMessage,
  routeAgentSubject,
  type AgentIntakeMessage,
} from './agent-message.parser';

export interface AgentIntakeOptions {
  nc: NatsConnection;
  subjects: Subjects;
  executor: CommandExecutor;
  clock: Clock;
  directory: ServerDirectory;
  logger: LoggerService;
  /** Messages processed at once (each is a load and an append); default 16. */
  concurrency?: number;
}

/** Counters of the intake, for health and tests. */
export interface AgentIntakeStats {
  accepted: number;
  rejected: Record<string, number>;
}

/**
 * Takes agents' hellos and reports (`<ns>.agent.<serverId>.hello|report`, queue group
 * `<ns>.inventory`, so each message reaches one instance) and runs them through the server
 * decider. Bad messages (not JSON, not the contract, another server's id, an unknown kind, a
 * decommissioned server) are logged with the reason, rate-limited, and change nothing. Messages
 * of one server are processed in order.
 */
export class AgentIntake {
  private subscription: Subscription | null = null;
  private readonly queue: KeyedQueue;
  private readonly rejections: RateLimitedLog;
  private readonly counters: AgentIntakeStats = { accepted: 0, rejected: {} };

  constructor(private readonly options: AgentIntakeOptions) {
    this.queue = new KeyedQueue(options.concurrency ?? 16);
    this.rejections = new RateLimitedLog(options.logger);
  }

  get stats(): AgentIntakeStats {
    return { accepted: this.counters.accepted, rejected: { ...this.counters.rejected } };
  }

  start(): void {
    if (this.subscription) return;
    const { nc, subjects } = this.options;
    this.subscription = nc.subscribe(`${subjects.namespace}.agent.*.*`, {
      queue: subjects.queueGroup(INVENTORY_SERVICE_NAME),
      callback: (err, msg) => {
        if (err) {
          this.options.logger.error(`agent intake subscription failed: ${err.message}`);
          return;
        }
        this.receive(msg);
      },
    });
  }

  /** Stops taking messages and waits for those in progress. */
  async stop(): Promise<void> {
    const sub = this.subscription;
    this.subscription = null;
    if (sub && !sub.isClosed()) await sub.drain().catch(() => undefined);
    await this.queue.drain();
  }

  private receive(msg: Msg): void {
    const route = routeAgentSubject(msg.subject);
    if (route.action === 'ignore') return;
    if (route.action === 'reject') {
      this.reject(msg, route.error);
      return;
    }
    const payload = msg.string();
    void this.queue.run(route.serverToken, () => this.process(msg, route.kind, route.serverToken, payload));
  }

  private async process(msg: Msg, kind: 'hello' | 'report', serverToken: string, payload: string): Promise<void> {
    let message: AgentIntakeMessage;
    try {
      message = parseAgentMessage(kind, serverToken, payload);
    } catch (err) {
      this.reject(
        msg,
        err instanceof AgentMessageRejected ? err : new AgentMessageRejected('AGENT.INVALID', String(err)),
      );
      return;
    }
    const { executor, directory } = this.options;
    try {
      const result = await executor.execute({
        streamId: serverStreamId(message.serverId),
        decider: serverDecider,
        command: this.toCommand(message),
        meta: { actor: `agent:${message.serverId}`, role: 'agent' },
        context: 'inventory',
        resellerOf: (s) => s.reseller?.id ?? null,
      });
      directory.note(result.state, result.version);
      this.counters.accepted++;
      this.respond(msg, { ok: true, data: { serverId: message.serverId, recorded: result.events.map((e) => e.type) } });
    } catch (err) {
      if (isDomainError(err)) {
        this.reject(msg, new AgentMessageRejected(err.code, err.message));
        return;
      }
      this.count('INTERNAL');
      this.options.logger.error(
        `agent ${kind} from ${message.serverId} not recorded: ${err instanceof Error ? err.message : String(err)}`,
      );
      this.respond(msg, { ok: false, error: { code: 'INTERNAL', message: 'not recorded, send again' } });
    }
  }

  private toCommand(message: AgentIntakeMessage): ServerCommand {
    if (message.kind === 'hello') {
      const { serverId, heartbeatIntervalSec, identity, versions, config, files } = message.body;
      const command: RecordHello = {
        type: 'RecordHello',
        data: {
          serverId,
          at: this.options.clock.now().toISOString(),
          heartbeatIntervalSec,
          identity,
          versions,
          config,
          files,
        },
      };
      return command;
    }
    const { serverId, versions, config, files } = message.body;
    const command: RecordReport = { type: 'RecordReport', data: { serverId, versions, config, files } };
    return command;
  }

  private reject(msg: Msg, error: AgentMessageRejected): void {
    this.count(error.code);
    this.rejections.warn(error.code, `agent message on ${msg.subject} rejected (${error.code}): ${error.message}`);
    this.respond(msg, { ok: false, error: { code: error.code, message: error.message } });
  }

  private count(code: string): void {
    this.counters.rejected[code] = (this.counters.rejected[code] ?? 0) + 1;
  }

  /** Answers agents that sent a request rather than a plain publish. */
  private respond(msg: Msg, reply: unknown): void {
    if (!msg.reply) return;
    try {
      msg.respond(JSON.stringify(reply));
    } catch {
      // The agent is gone; nothing to tell.
    }
  }
}
