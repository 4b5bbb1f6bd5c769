import { parseArgs } from 'node:util';

/** Bad command-line input: the message names the flag; the process exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly code = 'CLI.USAGE';
  readonly exitCode = 2;
}

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** Parses `--flag value` / `--flag=value`; unknown flags, missing values and positionals are usage errors. */
export function parseFlags<const S extends FlagSpec>(
  argv: readonly string[],
  spec: S,
): { [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : string } {
  try {
    const { values } = parseArgs({ args: [...argv], options: spec, strict: true, allowPositionals: false });
    return values as { [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : string };
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0], { cause: err });
  }
}

/** An integer flag in [min, max]. */
export function intFlag(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = /^[+]?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer between ${min} and ${max} (got "${raw}")`);
  }
  return value;
}

/** A finite number flag in (or at) the bounds. */
export function numberFlag(
  name: string,
  raw: string | undefined,
  bounds: { min: number; max: number; minExclusive?: boolean },
): number | undefined {
  if (raw === undefined) return undefined;
  const value = /^[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw.trim()) ? Number(raw) : NaN;
  const low = bounds.minExclusive ? value > bounds.min : value >= bounds.min;
  if (!Number.isFinite(value) || !low || value > bounds.max) {
    const range = bounds.minExclusive
      ? `> ${bounds.min} and <= ${bounds.max}`
      : `between ${bounds.min} and ${bounds.max}`;
    throw new UsageError(`--${name} must be a number ${range} (got "${raw}")`);
  }
  return value;
}
