import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { ConsoleLogger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import type { EventStore, NewEvent } from '@fleetwarden/eventstore';
import { serverStreamId } from '@fleetwarden/inventory-contracts';
import { CLOCK, EVENT_STORE, loadConfig, type FleetwardenConfig } from '@fleetwarden/platform';
import type { Clock } from '@fleetwarden/shared-domain';
import { issueToken, type TokenClaims } from '../auth/jwt-tokens';
import { startGatewayApp } from '../gateway-app';
import type { GatewayOptions } from '../gateway.options';

/** A gateway on real PostgreSQL and NATS for integration tests. */
export interface GatewayTestKit {
  app: NestFastifyApplication;
  config: FleetwardenConfig;
  store: EventStore;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  token(claims: TokenClaims, ttlSeconds?: number): Promise<string>;
  /** Stops the gateway's clock at `time` (null: the real clock again). */
  setNow(time: Date | string | null): void;
  /** POST /graphql; resolves with the response (status and JSON body). */
  graphql(
    query: string,
    options?: { token?: string; variables?: Record<string, unknown>; headers?: Record<string, string> },
  ): Promise<{ status: number; body: GraphQLBody }>;
  close(): Promise<void>;
}

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown>; path?: unknown[] }>;
}

/** Where a test gateway runs: its own schema and namespace (created and removed by the test). */
export interface GatewayTestEnv {
  natsUrl: string;
  databaseUrl: string;
  schema: string;
  namespace: string;
  /** Installation settings to override (`operatorTimeZone`, `breachCharge`, ...). */
  config?: Partial<FleetwardenConfig>;
}

/** Starts a gateway on port 0 (no outbox relay) with a random JWT secret. */
export async function startGatewayTestKit(env: GatewayTestEnv, gateway: GatewayOptions = {}): Promise<GatewayTestKit> {
  const secret = randomBytes(32).toString('hex');
  const config: FleetwardenConfig = {
    ...loadConfig({
      NATS_URL: env.natsUrl,
      DATABASE_URL: env.databaseUrl,
      FLEETWARDEN_DB_SCHEMA: env.schema,
      FLEETWARDEN_NAMESPACE: env.namespace,
      FLEETWARDEN_JWT_SECRET: secret,
    }),
    ...env.config,
    port: 0,
  };
  const logger = new ConsoleLogger({ logLevels: ['error', 'fatal'] });
  const app = await startGatewayApp({ config, logger, relay: false, gateway });
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;
  const key = new TextEncoder().encode(secret);
  const clock = app.get<Clock>(CLOCK);
  const realNow = clock.now;
  return {
    app,
    config,
    store: app.get<EventStore>(EVENT_STORE),
    baseUrl,
    token: (claims, ttlSeconds = 3600) => issueToken(key, claims, { ttlSeconds }),
    setNow(time) {
      clock.now = time === null ? realNow : () => new Date(time);
    },
    async graphql(query, options = {}) {
      let req = request(baseUrl).post('/graphql').set('content-type', 'application/json');
      if (options.token) req = req.set('authorization', `Bearer ${options.token}`);
      for (const [name, value] of Object.entries(options.headers ?? {})) req = req.set(name, value);
      const res = await req.send({ query, variables: options.variables });
      return { status: res.status, body: res.body as GraphQLBody };
    },
    async close() {
      await app.close();
    },
  };
}

/** Event metadata as the inventory service would write it. */
export function meta(reseller: string | null, occurredAt = new Date().toISOString()) {
  return { correlationId: randomUUID(), causationId: null, actor: 'agent:test', reseller, occurredAt };
}

export function event<D>(type: string, data: D, reseller: string | null = null, occurredAt?: string): NewEvent {
  return { eventId: randomUUID(), type, data, metadata: meta(reseller, occurredAt) };
}

/** A `ServerRegistered` event with plausible data; `over` replaces fields. */
export function serverRegistered(serverId: string, reseller: string, company: string, over: object = {}): NewEvent {
  return event(
    'ServerRegistered',
    {
      serverId,
      reseller: { id: reseller, name: `Reseller ${reseller}` },
      company: { id: company, name: `Company ${company}` },
      address: `${serverId} Main Street`,
      serverVersion: '9.0.0.200',
      webAppsVersion: '9.0.1',
      stage: 'production',
      hostingProvider: 'operator',
      registeredBy: 'agent',
      ...over,
    },
    reseller,
  );
}

/** Appends events to a server's stream. */
export async function appendServer(store: EventStore, serverId: string, events: NewEvent[]): Promise<void> {
  await store.append(serverStreamId(serverId), events);
}

/** Polls `probe` until it returns a value other than undefined (no fixed sleeps in assertions). */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A command a fake service received on `<ns>.cmd.<context>.*`. */
export interface ReceivedCommand {
  command: string;
  data: Record<string, unknown>;
  meta: Record<string, unknown>;
}

/** A command protocol reply. */
export type CommandReplyBody =
  { ok: true; data: unknown } | { ok: false; error: { code: string; message: string; details?: unknown } };

/**
 * Plays a service in mutation tests: answers `subject` (`<ns>.cmd.<context>.*`) as the command
 * protocol says (`{ data, meta }` in, `{ ok, data | error }` out), records each command in
 * `received`, and replies what `answer` returns (undefined: no reply at all).
 */
export function answerCommands(
  nc: NatsConnection,
  subject: string,
  received: ReceivedCommand[],
  answer: (r: ReceivedCommand) => Promise<CommandReplyBody | undefined>,
): Subscription {
  return nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) return;
      const request = JSON.parse(msg.string()) as { data: Record<string, unknown>; meta: Record<string, unknown> };
      const r: ReceivedCommand = { command: msg.subject.split('.').pop()!, data: request.data, meta: request.meta };
      received.push(r);
      void answer(r).then((reply) => {
        if (reply) msg.respond(JSON.stringify(reply));
      });
    },
  });
}
