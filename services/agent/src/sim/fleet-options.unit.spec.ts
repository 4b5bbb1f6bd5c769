import { UsageError } from '../cli/cli-args';
import { FLEET_DEFAULTS, parseFleetArgs } from './fleet-options';

function usageError(argv: string[]): string {
  try {
    parseFleetArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    return (err as Error).message;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
}

describe('parseFleetArgs', () => {
  it('takes the defaults for everything but --servers', () => {
    expect(parseFleetArgs(['--servers', '50'])).toEqual({
      servers: 50,
      pairs: 0,
      resellers: FLEET_DEFAULTS.resellers,
      seed: FLEET_DEFAULTS.seed,
      speed: undefined,
      heartbeatSec: 10,
      failRate: 0,
      keepAliveSec: 5,
      help: false,
    });
  });

  it('reads every flag, in both --flag value and --flag=value form', () => {
    expect(
      parseFleetArgs([
        '--servers=200',
        '--resellers',
        '4',
        '--seed=42',
        '--speed',
        '60',
        '--heartbeat=2.5',
        '--fail-rate',
        '0.05',
        '--pairs=3',
        '--keepalive',
        '2',
      ]),
    ).toEqual({
      servers: 200,
      pairs: 3,
      resellers: 4,
      seed: 42,
      speed: 60,
      heartbeatSec: 2.5,
      failRate: 0.05,
      keepAliveSec: 2,
      help: false,
    });
  });

  it('takes --pairs without --servers', () => {
    expect(parseFleetArgs(['--pairs', '2'])).toMatchObject({ servers: 0, pairs: 2, keepAliveSec: 5 });
  });

  it('recognises --help without --servers', () => {
    expect(parseFleetArgs(['--help']).help).toBe(true);
    expect(parseFleetArgs(['-h']).help).toBe(true);
  });

  it.each([
    [[], '--servers is required (or --pairs)'],
    [['--pairs', '0'], '--pairs must be an integer between 1 and 100000 (got "0")'],
    [['--pairs', '2', '--keepalive', '0'], '--keepalive must be a number > 0 and <= 3600'],
    [['--pairs', '2', '--keepalive', 'often'], '--keepalive must be a number > 0 and <= 3600'],
    [['--servers', '0'], '--servers must be an integer between 1 and 1000000 (got "0")'],
    [['--servers', '1.5'], '--servers must be an integer'],
    [['--servers', 'ten'], '--servers must be an integer'],
    [['--servers', '5', '--resellers=-1'], '--resellers must be an integer'],
    [['--servers', '5', '--resellers', '-1'], "Option '--resellers' argument is ambiguous"],
    [['--servers', '5', '--seed', 'abc'], '--seed must be an integer'],
    [['--servers', '5', '--speed', '0'], '--speed must be a number > 0'],
    [['--servers', '5', '--speed', 'fast'], '--speed must be a number > 0'],
    [['--servers', '5', '--heartbeat', '0'], '--heartbeat must be a number > 0 and <= 3600'],
    [['--servers', '5', '--heartbeat', '4000'], '--heartbeat must be a number > 0 and <= 3600'],
    [['--servers', '5', '--fail-rate', '1.5'], '--fail-rate must be a number between 0 and 1'],
    [['--servers', '5', '--fail-rate=-0.1'], '--fail-rate must be a number between 0 and 1'],
    [['--servers', '5', '--bogus', '1'], "Unknown option '--bogus'"],
    [['--servers'], "'--servers"],
    [['--servers', '5', 'extra'], "'extra'"],
  ])('rejects %j naming the flag', (argv, message) => {
    expect(usageError(argv)).toContain(message);
  });
});
