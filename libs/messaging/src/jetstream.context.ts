import { BaseRpcContext } from '@nestjs/microservices';
import type { JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/nats-core';

/** `@Ctx()` of a `@MessagePattern` handler on the JetStream transport. */
export class JetStreamCommandContext extends BaseRpcContext<
  [subject: string, headers: MsgHdrs | undefined, meta: Record<string, unknown> | undefined]
> {
  /** The request's subject (`fleet.cmd.inventory.RegisterServer`). */
  getSubject(): string {
    return this.args[0];
  }

  /** The request's NATS headers. */
  getHeaders(): MsgHdrs | undefined {
    return this.args[1];
  }

  /** The request's `meta` (correlation id, actor, idempotency key, ...). */
  getMeta(): Record<string, unknown> | undefined {
    return this.args[2];
  }
}

/** `@Ctx()` of an `@EventPattern` handler on the JetStream transport. */
export class JetStreamEventContext extends BaseRpcContext<[message: JsMsg, consumer: string]> {
  /** The JetStream message (for `working()` on long handlers, headers, sequence). */
  getMessage(): JsMsg {
    return this.args[0];
  }

  /** The event's subject (`fleet.events.inventory.ServerRegistered`). */
  getSubject(): string {
    return this.args[0].subject;
  }

  /** 1 on the first delivery. */
  getDeliveryCount(): number {
    return this.args[0].info.deliveryCount;
  }

  /** Durable consumer name the message came through. */
  getConsumerName(): string {
    return this.args[1];
  }
}
