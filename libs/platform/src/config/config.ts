import * as path from 'node:path';
import { z } from 'zod';
import { isValidNamespace } from '@fleetwarden/contracts';
import { ConfigError } from '../errors';
import { redactUrl } from './redact';

/** Nest log levels, from least to most verbose. */
export const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Whether `npm start` may start a local `nats-server`: `auto` = only when `NATS_URL` is unset. */
export const START_NATS_MODES = ['auto', 'true', 'false'] as const;
export type StartNatsMode = (typeof START_NATS_MODES)[number];

/** Validated configuration of one Fleetwarden process. */
export interface FleetwardenConfig {
  /** `PORT`: the gateway's HTTP port. */
  port: number;
  /** `NATS_URL` as given (one URL, or several separated by commas). */
  natsUrl: string;
  /** `NATS_URL` split into server URLs. */
  natsServers: string[];
  /** True when `NATS_URL` was not set and the default is used. */
  natsUrlIsDefault: boolean;
  /** `DATABASE_URL`: PostgreSQL; undefined means PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  /** `FLEETWARDEN_DATA_DIR`, absolute: PGlite's files and the embedded NATS server's store. */
  dataDir: string;
  /** `FLEETWARDEN_JWT_SECRET`: HMAC key of the gateway's bearer tokens; undefined when unset. */
  jwtSecret: string | undefined;
  /** `LOG_LEVEL` */
  logLevel: LogLevel;
  /** `FLEETWARDEN_NAMESPACE`: first subject token and stream/consumer name prefix. */
  namespace: string;
  /** `FLEETWARDEN_DB_SCHEMA`: PostgreSQL schema of the event store and read models. */
  dbSchema: string;
  /** `FLEETWARDEN_CLOCK_SPEED`: how many times faster than real time the clock runs. */
  clockSpeed: number;
  /**
   * `FLEETWARDEN_CLOCK_ORIGIN`: the instant from which a faster clock runs (ms since epoch);
   * every process of an installation (and the simulator) must share it. Default: midnight UTC today.
   */
  clockOrigin: number;
  /** `FLEETWARDEN_NATS_REPLICAS`: replicas of the JetStream events stream. */
  natsReplicas: number;
  /** `FLEETWARDEN_DUPLICATE_WINDOW_MS`: JetStream de-duplication window of the events stream. */
  duplicateWindowMs: number;
  /** `FLEETWARDEN_GRAPHQL_INTROSPECTION`: serve GraphQL introspection. */
  graphqlIntrospection: boolean;
  /** `FLEETWARDEN_HEALTH_PORT`: HTTP port of a standalone service's `/health`; undefined: none. */
  healthPort: number | undefined;
  /** `FLEETWARDEN_START_NATS`: whether `npm start` may start a local nats-server. */
  startNats: StartNatsMode;
  /**
   * `FLEETWARDEN_RUNNER_SERVICES`: what `npm start` hosts (comma-separated services and
   * `gateway`); default all. The others then run as their own processes.
   */
  runnerServices: RunnerPart[];
  /**
   * `FLEETWARDEN_OPERATOR_TIME_ZONE`: IANA time zone of the operator; the patch-compliance day
   * counters change at its midnight. Default `UTC`.
   */
  operatorTimeZone: string;
  /**
   * `FLEETWARDEN_BREACH_CHARGE`: what the reseller is charged when operations installs the updates
   * of a breached server, as `<amount> <currency>` (`640.00 USD`, the default); kept in cents.
   */
  breachCharge: { value: number; currency: 'USD' };
}

/** What `npm start` can host: the five services and the gateway. */
export const RUNNER_PARTS = ['inventory', 'scheduling', 'execution', 'redundancy', 'compliance', 'gateway'] as const;
export type RunnerPart = (typeof RUNNER_PARTS)[number];

/** Defaults of the optional variables. */
export const CONFIG_DEFAULTS = {
  PORT: 4000,
  NATS_URL: 'nats://127.0.0.1:4222',
  FLEETWARDEN_DATA_DIR: './.fleetwarden',
  LOG_LEVEL: 'log',
  FLEETWARDEN_NAMESPACE: 'fleet',
  FLEETWARDEN_DB_SCHEMA: 'fleetwarden',
  FLEETWARDEN_CLOCK_SPEED: 1,
  FLEETWARDEN_NATS_REPLICAS: 1,
  FLEETWARDEN_DUPLICATE_WINDOW_MS: 120_000,
  FLEETWARDEN_GRAPHQL_INTROSPECTION: false,
  FLEETWARDEN_START_NATS: 'auto',
  FLEETWARDEN_OPERATOR_TIME_ZONE: 'UTC',
  FLEETWARDEN_BREACH_CHARGE: '640.00 USD',
} as const;

/** Currencies a charge may be configured in (ISO 4217). */
export const CHARGE_CURRENCIES = ['USD'] as const;

function isIanaTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const MONEY_PATTERN = /^(\d{1,9})(?:\.(\d{2}))? ([A-Z]{3})$/;

/** `640.00 USD` -> `{ value: 64000, currency: 'USD' }`; null when not of that form. */
export function parseMoney(raw: string): { value: number; currency: 'USD' } | null {
  const m = MONEY_PATTERN.exec(raw.trim());
  if (!m || !(CHARGE_CURRENCIES as readonly string[]).includes(m[3])) return null;
  return { value: Number(m[1]) * 100 + Number(m[2] ?? '0'), currency: m[3] as 'USD' };
}

const JWT_SECRET_MIN_LENGTH = 32;
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

type Env = Record<string, string | undefined>;

/** A variable's value is shown in errors unless it is secret. */
interface Variable<T> {
  schema: z.ZodType<T>;
  secret?: boolean;
  /** How to show the value in an error message (default: quoted as is). */
  show?: (raw: string) => string;
}

function integer(min: number, max: number, what: string): z.ZodType<number> {
  return z.string().trim().regex(/^\d+$/, what).transform(Number).pipe(z.number().int().min(min, what).max(max, what));
}

function natsUrlList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function isNatsUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return ['nats:', 'tls:'].includes(u.protocol) && u.hostname.length > 0;
  } catch {
    return false;
  }
}

function isPostgresUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return ['postgres:', 'postgresql:'].includes(u.protocol) && u.hostname.length > 0;
  } catch {
    return false;
  }
}

const variables = {
  PORT: { schema: integer(1, 65535, 'must be an integer between 1 and 65535') },
  NATS_URL: {
    schema: z
      .string()
      .refine(
        (s) => natsUrlList(s).length > 0 && natsUrlList(s).every(isNatsUrl),
        'must be a nats:// or tls:// URL (several separated by commas)',
      ),
    show: redactUrl,
  },
  DATABASE_URL: {
    schema: z.string().trim().refine(isPostgresUrl, 'must be a postgres:// or postgresql:// URL'),
    show: (raw: string) =>
      /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) || !raw.includes('@') ? redactUrl(raw) : '<hidden: it may hold a password>',
  },
  FLEETWARDEN_DATA_DIR: { schema: z.string().trim().min(1, 'must be a directory path') },
  FLEETWARDEN_JWT_SECRET: {
    schema: z.string().min(JWT_SECRET_MIN_LENGTH, `must be at least ${JWT_SECRET_MIN_LENGTH} characters long`),
    secret: true,
  },
  LOG_LEVEL: { schema: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`) },
  FLEETWARDEN_NAMESPACE: {
    schema: z
      .string()
      .refine(isValidNamespace, 'must be 1-32 lowercase letters, digits or underscores, starting with a letter'),
  },
  FLEETWARDEN_DB_SCHEMA: {
    schema: z.string().regex(SCHEMA_PATTERN, 'must be a lowercase SQL identifier (letters, digits, underscores)'),
  },
  FLEETWARDEN_CLOCK_SPEED: {
    schema: z
      .string()
      .trim()
      .regex(/^\d*\.?\d+(e[+-]?\d+)?$/i, 'must be a positive number')
      .transform(Number)
      .pipe(z.number().positive('must be a positive number').finite('must be a positive number')),
  },
  FLEETWARDEN_CLOCK_ORIGIN: {
    schema: z.iso
      .datetime({ offset: true, message: 'must be an ISO-8601 date and time, e.g. 2026-11-27T00:00:00Z' })
      .transform((s) => Date.parse(s)),
  },
  FLEETWARDEN_NATS_REPLICAS: { schema: integer(1, 5, 'must be an integer between 1 and 5') },
  FLEETWARDEN_DUPLICATE_WINDOW_MS: {
    schema: integer(1000, 7 * 24 * 3600 * 1000, 'must be an integer number of milliseconds between 1000 and 604800000'),
  },
  FLEETWARDEN_GRAPHQL_INTROSPECTION: {
    schema: z.enum(['true', 'false'], 'must be true or false').transform((s) => s === 'true'),
  },
  FLEETWARDEN_HEALTH_PORT: { schema: integer(1, 65535, 'must be an integer between 1 and 65535') },
  FLEETWARDEN_START_NATS: { schema: z.enum(START_NATS_MODES, `must be one of ${START_NATS_MODES.join(', ')}`) },
  FLEETWARDEN_RUNNER_SERVICES: {
    schema: z
      .string()
      .transform((s) => s.split(',').map((part) => part.trim()))
      .pipe(z.array(z.enum(RUNNER_PARTS, `must list some of ${RUNNER_PARTS.join(', ')}, separated by commas`)).min(1)),
  },
  FLEETWARDEN_OPERATOR_TIME_ZONE: {
    schema: z.string().trim().refine(isIanaTimeZone, 'must be an IANA time zone, e.g. Europe/Vienna'),
  },
  FLEETWARDEN_BREACH_CHARGE: {
    schema: z
      .string()
      .refine(
        (s) => parseMoney(s) !== null,
        `must be a non-negative amount with two decimals and a currency (${CHARGE_CURRENCIES.join(', ')}), e.g. 640.00 USD`,
      )
      .transform((s) => parseMoney(s) as { value: number; currency: 'USD' }),
  },
} satisfies Record<string, Variable<unknown>>;

type Variables = typeof variables;
type Parsed = { [K in keyof Variables]: z.output<Variables[K]['schema']> | undefined };

/**
 * Reads and validates the configuration from the environment. Empty values count as unset.
 * Throws {@link ConfigError} naming every invalid variable (secrets are never echoed).
 */
export function loadConfig(
  env: Env = process.env,
  cwd: string = process.cwd(),
  now: () => number = Date.now,
): FleetwardenConfig {
  const problems: string[] = [];
  const parsed = {} as Record<string, unknown>;
  for (const [name, variable] of Object.entries(variables) as Array<[string, Variable<unknown>]>) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const result = variable.schema.safeParse(raw);
    if (result.success) {
      parsed[name] = result.data;
    } else {
      const message = result.error.issues[0]?.message ?? 'is invalid';
      const shown = variable.secret ? '' : ` (got "${(variable.show ?? ((s: string) => s))(raw)}")`;
      problems.push(`${name} ${message}${shown}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const p = parsed as Parsed;
  const natsUrl = p.NATS_URL ?? CONFIG_DEFAULTS.NATS_URL;
  return {
    port: p.PORT ?? CONFIG_DEFAULTS.PORT,
    natsUrl,
    natsServers: natsUrlList(natsUrl),
    natsUrlIsDefault: p.NATS_URL === undefined,
    databaseUrl: p.DATABASE_URL,
    dataDir: path.resolve(cwd, p.FLEETWARDEN_DATA_DIR ?? CONFIG_DEFAULTS.FLEETWARDEN_DATA_DIR),
    jwtSecret: p.FLEETWARDEN_JWT_SECRET,
    logLevel: p.LOG_LEVEL ?? CONFIG_DEFAULTS.LOG_LEVEL,
    namespace: p.FLEETWARDEN_NAMESPACE ?? CONFIG_DEFAULTS.FLEETWARDEN_NAMESPACE,
    dbSchema: p.FLEETWARDEN_DB_SCHEMA ?? CONFIG_DEFAULTS.FLEETWARDEN_DB_SCHEMA,
    clockSpeed: p.FLEETWARDEN_CLOCK_SPEED ?? CONFIG_DEFAULTS.FLEETWARDEN_CLOCK_SPEED,
    clockOrigin: p.FLEETWARDEN_CLOCK_ORIGIN ?? startOfUtcDay(now()),
    natsReplicas: p.FLEETWARDEN_NATS_REPLICAS ?? CONFIG_DEFAULTS.FLEETWARDEN_NATS_REPLICAS,
    duplicateWindowMs: p.FLEETWARDEN_DUPLICATE_WINDOW_MS ?? CONFIG_DEFAULTS.FLEETWARDEN_DUPLICATE_WINDOW_MS,
    graphqlIntrospection: p.FLEETWARDEN_GRAPHQL_INTROSPECTION ?? CONFIG_DEFAULTS.FLEETWARDEN_GRAPHQL_INTROSPECTION,
    healthPort: p.FLEETWARDEN_HEALTH_PORT,
    startNats: p.FLEETWARDEN_START_NATS ?? CONFIG_DEFAULTS.FLEETWARDEN_START_NATS,
    runnerServices: p.FLEETWARDEN_RUNNER_SERVICES ? [...new Set(p.FLEETWARDEN_RUNNER_SERVICES)] : [...RUNNER_PARTS],
    operatorTimeZone: p.FLEETWARDEN_OPERATOR_TIME_ZONE ?? CONFIG_DEFAULTS.FLEETWARDEN_OPERATOR_TIME_ZONE,
    breachCharge:
      p.FLEETWARDEN_BREACH_CHARGE ??
      (parseMoney(CONFIG_DEFAULTS.FLEETWARDEN_BREACH_CHARGE) as { value: number; currency: 'USD' }),
  };
}

/** Nest logger levels enabled by a `LOG_LEVEL` (it and every less verbose level, plus `fatal`). */
export function nestLogLevels(level: LogLevel): Array<LogLevel | 'fatal'> {
  return ['fatal', ...LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1)];
}

function startOfUtcDay(ms: number): number {
  return Math.floor(ms / 86_400_000) * 86_400_000;
}
