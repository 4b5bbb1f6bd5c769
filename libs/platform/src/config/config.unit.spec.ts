import * as path from 'node:path';
import { ConfigError } from '../errors';
import { loadConfig, nestLogLevels } from './config';

const CWD = '/srv/fleetwarden';

function problemOf(env: Record<string, string>): string {
  try {
    loadConfig(env, CWD);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  describe('when nothing is set', () => {
    it('uses the documented defaults', () => {
      expect(loadConfig({}, CWD, () => Date.parse('2026-11-27T17:30:00Z'))).toEqual({
        port: 4000,
        natsUrl: 'nats://127.0.0.1:4222',
        natsServers: ['nats://127.0.0.1:4222'],
        natsUrlIsDefault: true,
        databaseUrl: undefined,
        dataDir: path.join(CWD, '.fleetwarden'),
        jwtSecret: undefined,
        logLevel: 'log',
        namespace: 'fleet',
        dbSchema: 'fleetwarden',
        clockSpeed: 1,
        clockOrigin: Date.parse('2026-11-27T00:00:00Z'),
        natsReplicas: 1,
        duplicateWindowMs: 120_000,
        graphqlIntrospection: false,
        healthPort: undefined,
        startNats: 'auto',
        runnerServices: ['inventory', 'scheduling', 'execution', 'redundancy', 'compliance', 'gateway'],
        operatorTimeZone: 'UTC',
        breachCharge: { value: 64_000, currency: 'USD' },
      });
    });

    it('treats empty values as unset', () => {
      expect(loadConfig({ PORT: '', DATABASE_URL: '' }, CWD)).toMatchObject({ port: 4000, databaseUrl: undefined });
    });
  });

  describe('when every variable is set', () => {
    it('parses each one', () => {
      const config = loadConfig(
        {
          PORT: '8080',
          NATS_URL: 'nats://10.0.0.1:4222, nats://10.0.0.2:4222',
          DATABASE_URL: 'postgresql://fleet:pw@db:5432/fleet',
          FLEETWARDEN_DATA_DIR: '/var/lib/fleetwarden',
          FLEETWARDEN_JWT_SECRET: 'x'.repeat(32),
          LOG_LEVEL: 'debug',
          FLEETWARDEN_NAMESPACE: 'acme_prod',
          FLEETWARDEN_DB_SCHEMA: 'acme',
          FLEETWARDEN_CLOCK_SPEED: '60',
          FLEETWARDEN_CLOCK_ORIGIN: '2026-01-01T00:00:00Z',
          FLEETWARDEN_NATS_REPLICAS: '3',
          FLEETWARDEN_DUPLICATE_WINDOW_MS: '300000',
          FLEETWARDEN_GRAPHQL_INTROSPECTION: 'true',
          FLEETWARDEN_HEALTH_PORT: '9100',
          FLEETWARDEN_START_NATS: 'false',
          FLEETWARDEN_RUNNER_SERVICES: 'inventory, gateway',
        },
        CWD,
      );
      expect(config).toEqual({
        port: 8080,
        natsUrl: 'nats://10.0.0.1:4222, nats://10.0.0.2:4222',
        natsServers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'],
        natsUrlIsDefault: false,
        databaseUrl: 'postgresql://fleet:pw@db:5432/fleet',
        dataDir: '/var/lib/fleetwarden',
        jwtSecret: 'x'.repeat(32),
        logLevel: 'debug',
        namespace: 'acme_prod',
        dbSchema: 'acme',
        clockSpeed: 60,
        clockOrigin: Date.parse('2026-01-01T00:00:00Z'),
        natsReplicas: 3,
        duplicateWindowMs: 300_000,
        graphqlIntrospection: true,
        healthPort: 9100,
        startNats: 'false',
        runnerServices: ['inventory', 'gateway'],
        operatorTimeZone: 'UTC',
        breachCharge: { value: 64_000, currency: 'USD' },
      });
    });

    it('reads the operator time zone and the breach charge in cents', () => {
      const config = loadConfig(
        { FLEETWARDEN_OPERATOR_TIME_ZONE: 'Europe/Vienna', FLEETWARDEN_BREACH_CHARGE: '700.50 USD' },
        CWD,
      );
      expect(config.operatorTimeZone).toBe('Europe/Vienna');
      expect(config.breachCharge).toEqual({ value: 70050, currency: 'USD' });
      expect(loadConfig({}, CWD).breachCharge).toEqual({ value: 64000, currency: 'USD' });
      expect(loadConfig({}, CWD).operatorTimeZone).toBe('UTC');
    });

    it('accepts a fractional clock speed', () => {
      expect(loadConfig({ FLEETWARDEN_CLOCK_SPEED: '0.5' }, CWD).clockSpeed).toBe(0.5);
    });
  });

  describe('when a value is invalid', () => {
    it.each([
      [{ PORT: 'abc' }, 'Invalid configuration: PORT must be an integer between 1 and 65535 (got "abc")'],
      [
        { FLEETWARDEN_RUNNER_SERVICES: 'inventory,billing' },
        'Invalid configuration: FLEETWARDEN_RUNNER_SERVICES must list some of inventory, scheduling, execution, redundancy, compliance, gateway, separated by commas (got "inventory,billing")',
      ],
      [{ PORT: '0' }, 'Invalid configuration: PORT must be an integer between 1 and 65535 (got "0")'],
      [{ PORT: '65536' }, 'Invalid configuration: PORT must be an integer between 1 and 65535 (got "65536")'],
      [{ PORT: '80.5' }, 'Invalid configuration: PORT must be an integer between 1 and 65535 (got "80.5")'],
      [
        { NATS_URL: 'http://x:4222' },
        'Invalid configuration: NATS_URL must be a nats:// or tls:// URL (several separated by commas) (got "http://x:4222")',
      ],
      [
        { LOG_LEVEL: 'loud' },
        'Invalid configuration: LOG_LEVEL must be one of error, warn, log, debug, verbose (got "loud")',
      ],
      [
        { FLEETWARDEN_NAMESPACE: 'Fleet-1' },
        'Invalid configuration: FLEETWARDEN_NAMESPACE must be 1-32 lowercase letters, digits or underscores, starting with a letter (got "Fleet-1")',
      ],
      [
        { FLEETWARDEN_DB_SCHEMA: 'a;drop' },
        'Invalid configuration: FLEETWARDEN_DB_SCHEMA must be a lowercase SQL identifier (letters, digits, underscores) (got "a;drop")',
      ],
      [
        { FLEETWARDEN_CLOCK_SPEED: '0' },
        'Invalid configuration: FLEETWARDEN_CLOCK_SPEED must be a positive number (got "0")',
      ],
      [
        { FLEETWARDEN_OPERATOR_TIME_ZONE: 'Mars/Olympus' },
        'Invalid configuration: FLEETWARDEN_OPERATOR_TIME_ZONE must be an IANA time zone, e.g. Europe/Vienna (got "Mars/Olympus")',
      ],
      [
        { FLEETWARDEN_BREACH_CHARGE: '-640.00 USD' },
        'Invalid configuration: FLEETWARDEN_BREACH_CHARGE must be a non-negative amount with two decimals and a currency (USD), e.g. 640.00 USD (got "-640.00 USD")',
      ],
      [
        { FLEETWARDEN_CLOCK_SPEED: 'fast' },
        'Invalid configuration: FLEETWARDEN_CLOCK_SPEED must be a positive number (got "fast")',
      ],
      [
        { FLEETWARDEN_NATS_REPLICAS: '7' },
        'Invalid configuration: FLEETWARDEN_NATS_REPLICAS must be an integer between 1 and 5 (got "7")',
      ],
      [
        { FLEETWARDEN_DUPLICATE_WINDOW_MS: '10' },
        'Invalid configuration: FLEETWARDEN_DUPLICATE_WINDOW_MS must be an integer number of milliseconds between 1000 and 604800000 (got "10")',
      ],
      [
        { FLEETWARDEN_GRAPHQL_INTROSPECTION: 'yes' },
        'Invalid configuration: FLEETWARDEN_GRAPHQL_INTROSPECTION must be true or false (got "yes")',
      ],
      [
        { FLEETWARDEN_START_NATS: 'maybe' },
        'Invalid configuration: FLEETWARDEN_START_NATS must be one of auto, true, false (got "maybe")',
      ],
    ])('names the variable and the value: %j', (env, message) => {
      expect(problemOf(env)).toBe(message);
    });

    it('lists every invalid variable on one line', () => {
      const message = problemOf({ PORT: 'abc', LOG_LEVEL: 'loud' });
      expect(message.split('\n')).toHaveLength(1);
      expect(message).toContain('PORT must be');
      expect(message).toContain('; LOG_LEVEL must be');
    });

    it('never echoes the JWT secret', () => {
      expect(problemOf({ FLEETWARDEN_JWT_SECRET: 'tooshort-secret' })).toBe(
        'Invalid configuration: FLEETWARDEN_JWT_SECRET must be at least 32 characters long',
      );
    });

    it('hides the password of a DATABASE_URL', () => {
      const message = problemOf({ DATABASE_URL: 'mysql://admin:hunter2@db/fleet' });
      expect(message).toBe(
        'Invalid configuration: DATABASE_URL must be a postgres:// or postgresql:// URL (got "mysql://admin:***@db/fleet")',
      );
    });

    it('does not echo a DATABASE_URL that is not a URL but may hold a password', () => {
      const message = problemOf({ DATABASE_URL: 'admin:hunter2@db' });
      expect(message).not.toContain('hunter2');
      expect(message).toContain('DATABASE_URL must be a postgres:// or postgresql:// URL');
    });
  });
});

describe('nestLogLevels', () => {
  it('enables the level and every less verbose one', () => {
    expect(nestLogLevels('error')).toEqual(['fatal', 'error']);
    expect(nestLogLevels('log')).toEqual(['fatal', 'error', 'warn', 'log']);
    expect(nestLogLevels('verbose')).toEqual(['fatal', 'error', 'warn', 'log', 'debug', 'verbose']);
  });
});
