import { UsageError } from './cli-args';

/**
 * Parses the command line before anything starts: `--help` prints the usage (exit 0); a
 * {@link UsageError} prints one line naming the flag, then the usage, on stderr (exit 2).
 */
export function parseArgsOrExit<T extends { help: boolean }>(
  program: string,
  usage: string,
  parse: (argv: readonly string[]) => T,
  argv: readonly string[] = process.argv.slice(2),
): T {
  try {
    const options = parse(argv);
    if (options.help) {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    return options;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${program}: ${err.message}\n${usage}\n`);
    process.exit(err.exitCode);
  }
}
