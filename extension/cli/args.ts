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
