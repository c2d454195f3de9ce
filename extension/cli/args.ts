/**
 * Argument parsing shared by the CLI's subcommands: node:util's parseArgs in strict mode, with its error turned
 * into a one-line UsageError that names the subcommand (the CLI prints it and exits 2); the flags `run` and
 * `submit` share, and the reading of the experiment FILE.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { defaultRunsRoot, findWorkspaceRoot } from '../engine/runs';
import { errorText } from '../shared/errors';
import { BACKEND_CHOICES, isBackendChoice, type BackendChoice } from '../shared/protocol';

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

/** `--out DIR` (the runs folder, default <workspace>/.training-dynamics/runs) and `--help`. */
export const OUT_AND_HELP_OPTIONS = {
  out: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The flags of the subcommands that train points of an experiment (`run`, `submit`): which points, how long, where, on what. */
export const TRAIN_OPTIONS = {
  config: { type: 'string', short: 'c' },
  all: { type: 'boolean' },
  sweep: { type: 'boolean' },
  epochs: { type: 'string' },
  resume: { type: 'boolean' },
  backend: { type: 'string' },
  ...OUT_AND_HELP_OPTIONS,
} as const;

/** TRAIN_OPTIONS' values, checked. */
export interface TrainArgs {
  config?: string;
  all: boolean;
  sweep: boolean;
  epochs?: number;
  resume: boolean;
  /** undefined: not given (`auto`). */
  backend?: BackendChoice;
  out?: string;
}

/** Checks the TRAIN_OPTIONS values parseCommandArgs read for `command`; a bad one is a UsageError naming it. */
export function trainArgs(
  command: string,
  v: { config?: string; all?: boolean; sweep?: boolean; epochs?: string; resume?: boolean; backend?: string; out?: string },
): TrainArgs {
  if (v.config !== undefined && v.all) throw new UsageError(`${command}: --config and --all cannot be used together`);
  // An empty --out (an unset shell variable, `--out ""`) would resolve to the current folder and write runs there.
  if (v.out !== undefined && v.out.trim() === '') throw new UsageError(`${command}: --out needs a folder (it was given an empty one)`);
  const epochs = positiveInt(command, '--epochs', v.epochs);
  if (v.backend !== undefined && !isBackendChoice(v.backend)) {
    throw new UsageError(`${command}: --backend must be one of ${BACKEND_CHOICES.join(', ')} (got '${v.backend}')`);
  }
  return { config: v.config, all: !!v.all, sweep: !!v.sweep, epochs, resume: !!v.resume, backend: v.backend, out: v.out };
}

/** `--out DIR` when given, else the runs folder of the workspace holding `experimentFile`. */
export function runsRootOf(out: string | undefined, experimentFile: string): string {
  return out !== undefined ? path.resolve(out) : defaultRunsRoot(findWorkspaceRoot(experimentFile));
}

/** Reads the experiment FILE as given on the command line; unreadable is a UsageError saying why. */
export function readExperimentFile(given: string): { file: string; text: string } {
  const file = path.resolve(given);
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${given}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : errorText(err)}`);
  }
}
