/**
 * Argument parsing shared by the CLI's subcommands: node:util's parseArgs in strict mode, with its error turned
 * into a one-line UsageError that names the subcommand (the CLI prints it and exits 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

/** Parses `args` for `command` against `options`; a bad flag throws a UsageError naming it. */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options });
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message.split('\n')[0].replace(/\. To specify a positional.*$/, '')}`);
  }
}

/** The one experiment FILE a subcommand takes; none or several is a UsageError (`usage` shows the form). */
export function oneFile(command: string, positionals: string[], usage: string): string {
  if (positionals.length === 0) throw new UsageError(`${command}: missing the experiment FILE (${usage})`);
  if (positionals.length > 1) throw new UsageError(`${command}: expected one FILE, got ${positionals.length}: ${positionals.join(' ')}`);
  return positionals[0];
}

/** A flag's value as a positive integer (undefined when the flag is absent); anything else is a UsageError. */
export function positiveInt(command: string, flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${command}: ${flag} must be a positive integer (got '${v}')`);
  return n;
}
