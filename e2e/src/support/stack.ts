import type { NatsConnection } from '@nats-io/nats-core';
import { TEST_NATS_URL } from '@fleetwarden/testing';
import { pollUntil, runEntry, startRunner, type Spawned } from './processes';

/** The JWT secret every e2e stack shares with its `npm run token` calls. */
export const E2E_JWT_SECRET = 'e2e-secret-that-is-at-least-32-characters-long';

/** Environment of every process of one e2e stack: its namespace, schema and clock. */
export function stackEnv(options: {
  namespace: string;
  schema: { connectionString: string; schema: string };
  clockSpeed?: number;
  clockOrigin?: string;
}): Record<string, string> {
  return {
    NATS_URL: TEST_NATS_URL,
    FLEETWARDEN_NAMESPACE: options.namespace,
    FLEETWARDEN_JWT_SECRET: E2E_JWT_SECRET,
    FLEETWARDEN_START_NATS: 'false',
    DATABASE_URL: options.schema.connectionString,
    FLEETWARDEN_DB_SCHEMA: options.schema.schema,
    ...(options.clockSpeed ? { FLEETWARDEN_CLOCK_SPEED: String(options.clockSpeed) } : {}),
    ...(options.clockOrigin ? { FLEETWARDEN_CLOCK_ORIGIN: options.clockOrigin } : {}),
    LOG_LEVEL: 'log',
  };
}

/** `npm start` with `env`, once it says it is ready. */
export async function startReadyRunner(env: Record<string, string>): Promise<Spawned> {
  const runner = startRunner(env);
  await pollUntil(
    'npm start ready',
    async () => (/Fleetwarden ready/.test(runner.stdout() + runner.stderr()) ? true : undefined),
    { timeoutMs: 60_000, intervalMs: 100, abort: runner.exited },
  );
  return runner;
}

/** A bearer token from `npm run token -- <args>`. */
export async function token(env: Record<string, string>, ...args: string[]): Promise<string> {
  const cli = runEntry('tools/token.ts', env, args);
  const code = await cli.exited;
  if (code !== 0) throw new Error(`npm run token ${args.join(' ')} exited with ${String(code)}: ${cli.stderr()}`);
  return cli.stdout().trim();
}

/** A GraphQL error, with its `extensions.code`. */
export class GraphqlError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** POSTs a GraphQL request to the gateway on `port`; throws {@link GraphqlError} on errors. */
export async function graphqlRequest<T>(
  port: number,
  bearer: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  if (body.errors?.length) {
    throw new GraphqlError(body.errors.map((e) => e.message).join('; '), body.errors[0].extensions?.code);
  }
  return body.data as T;
}

/** Sends a control request to the fleet simulator of `namespace` and returns its reply. */
export async function simControl<T = Record<string, unknown>>(
  nc: NatsConnection,
  namespace: string,
  message: Record<string, unknown>,
): Promise<T & { ok: boolean }> {
  const reply = await nc.request(`${namespace}.sim.control`, JSON.stringify(message), { timeout: 5000 });
  return reply.json<T & { ok: boolean }>();
}
