import type { NatsConnection } from '@nats-io/nats-core';
import type { AgentMessageContract, Subjects } from '@fleetwarden/contracts';
import {
  AgentHello,
  AgentHeartbeat,
  AgentReport,
  type AgentHelloMessage,
  type AgentHeartbeatMessage,
  type AgentReportMessage,
  type HostConfig,
  type InstalledFile,
  type NamedRef,
  type ProductVersions,
  type HostingProvider,
  type Stage,
} from '@fleetwarden/inventory-contracts';

/** Who a server belongs to and how it is classified: fixed for the agent's lifetime. */
export interface AgentIdentity {
  reseller: NamedRef;
  company: NamedRef;
  address: string;
  stage: Stage;
  hostingProvider: HostingProvider;
}

/** What the probes see on a server: the parts a report may carry. */
export interface AgentSnapshot {
  versions: ProductVersions;
  config: HostConfig;
  files: InstalledFile[];
}

export interface AgentPublisherOptions {
  /** Validate every message against its contract before sending it (default true). */
  validate?: boolean;
}

/**
 * Sends agent messages on `<ns>.agent.<serverId>.<kind>`. Each message is checked against its
 * contract first, so an agent never puts a message on the wire that the control plane must reject;
 * a message that fails throws the contract's `ValidationError` and is not sent.
 */
export class AgentPublisher {
  private readonly validate: boolean;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    options: AgentPublisherOptions = {},
  ) {
    this.validate = options.validate ?? true;
  }

  hello(message: AgentHelloMessage): void {
    this.send(AgentHello, message.serverId, message);
  }

  heartbeat(message: AgentHeartbeatMessage): void {
    this.send(AgentHeartbeat, message.serverId, message);
  }

  report(message: AgentReportMessage): void {
    this.send(AgentReport, message.serverId, message);
  }

  private send(contract: AgentMessageContract, serverId: string, message: object): void {
    const body = this.validate ? contract.parse(message) : message;
    this.nc.publish(contract.subject(serverId, this.subjects), JSON.stringify(body));
  }
}

/** The hello of an agent: identity, what the probes see, and the heartbeat interval it keeps. */
export function buildHello(args: {
  serverId: string;
  agentVersion: string;
  heartbeatIntervalSec: number;
  sentAt: Date;
  identity: AgentIdentity;
  snapshot: AgentSnapshot;
}): AgentHelloMessage {
  const { identity, snapshot } = args;
  return {
    serverId: args.serverId,
    agentVersion: args.agentVersion,
    heartbeatIntervalSec: args.heartbeatIntervalSec,
    sentAt: args.sentAt.toISOString(),
    identity: {
      reseller: identity.reseller,
      company: identity.company,
      address: identity.address,
      stage: identity.stage,
      hostingProvider: identity.hostingProvider,
    },
    versions: snapshot.versions,
    config: snapshot.config,
    files: snapshot.files,
  };
}
