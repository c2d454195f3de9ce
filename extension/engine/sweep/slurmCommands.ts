/**
 * Submitting a sweep to Slurm and asking Slurm how its array is doing: the one code path of `training-dynamics
 * submit --slurm` (cli/submit.ts) and the extension's *Run Sweep on Slurm…* (host/slurmUi.ts). Checks the
 * options, writes the job-array script (slurm.ts) next to the runs, runs `sbatch`, writes the manifest the
 * extension follows the array by; reads task states from `sacct`, or from `squeue` where accounting is off.
 * Commands run through an injectable runner (tests, and a message naming what is missing when one is not
 * installed). No `vscode` import.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { experimentDir, runTimestamp, writeFileAtomicSync } from '../runs';
import { concurrencyBackend } from './concurrency';
import { parseSacct, parseSbatchJobId, parseSqueue, slurmArrayScript, type SlurmManifest, type SlurmTaskState } from './slurm';

/** A user-facing problem with a submission: `options` (fix the input), `missing` (a Slurm command is not installed), `refused` / `answer` (sbatch said no, or something unexpected). */
export class SlurmError extends Error {
  constructor(
    message: string,
    readonly kind: 'options' | 'missing' | 'refused' | 'answer',
    /** The script written before sbatch ran, when there is one. */
    readonly scriptFile: string | null = null,
  ) {
    super(message);
  }
}

export interface SlurmOptions {
  partition?: string;
  /** Slurm time: `30`, `2:00:00`, `1-12:00:00`. */
  time?: string;
  cpusPerTask?: number;
  /** At most this many tasks at once. */
  maxParallel?: number;
  /** Further `#SBATCH` options, one each (`--mem=4G`). */
  sbatchArgs?: string[];
}

/** The problem with the options in words (named by the CLI's flags), or null. */
export function slurmOptionsProblem(o: SlurmOptions): string | null {
  const posInt = (n: number | undefined) => n === undefined || (Number.isSafeInteger(n) && n >= 1);
  if (!posInt(o.cpusPerTask)) return `--cpus-per-task must be a positive integer (got '${o.cpusPerTask}')`;
  if (!posInt(o.maxParallel)) return `--max-parallel must be a positive integer (got '${o.maxParallel}')`;
  if (o.time !== undefined && !/^[\d:-]+$/.test(o.time)) return `--time takes a Slurm time such as 30, 2:00:00 or 1-12:00:00 (got '${o.time}')`;
  if (o.partition !== undefined && !/^[\w.,-]+$/.test(o.partition)) return `--partition takes a partition name (got '${o.partition}')`;
  for (const a of o.sbatchArgs ?? []) if (!/^-/.test(a) || /[\n\r]/.test(a)) return `--sbatch-arg takes one sbatch option such as --mem=4G (got '${a}')`;
  return null;
}

/** Cores an array task asks for by default: one on the native fast path (one thread), else two (training + the evaluation thread). */
export function defaultCpusPerTask(backendChoice: string, nativeBuilt: boolean): number {
  return concurrencyBackend(backendChoice, nativeBuilt) === 'native' ? 1 : 2;
}

/** The CLI of the package at `root` as a compute node runs it: `node` and bin/training-dynamics.js (on the shared filesystem). */
export function cliArgv(root: string, node: string): string[] {
  const bin = path.join(root, 'bin', 'training-dynamics.js');
  if (!fs.existsSync(bin) || !fs.existsSync(path.join(root, 'dist', 'cli.js'))) {
    throw new SlurmError(`${path.join(root, 'dist', 'cli.js')} is missing; run \`npm run build\` first (the array tasks run the built CLI)`, 'options');
  }
  return [node, bin];
}

export interface SlurmPoint {
  experiment: string;
  runName: string;
  configName: string;
  sweepValues?: Record<string, unknown> | null;
}

export interface SlurmArray {
  experiment: string;
  experimentFile: string;
  runsRoot: string;
  /** Where the script, the manifest and the tasks' logs go: `<runs>/<experiment>/.slurm`. */
  logDir: string;
  points: SlurmPoint[];
  script: string;
}

/** Checks the options and writes the script text (nothing on disk yet). */
export function prepareSlurmArray(a: { points: SlurmPoint[]; experimentFile: string; runsRoot: string; cli: string[]; backend?: string; epochs?: number; options: SlurmOptions }): SlurmArray {
  const problem = slurmOptionsProblem(a.options);
  if (problem) throw new SlurmError(problem, 'options');
  if (a.points.length === 0) throw new SlurmError('nothing to submit: the selection has no points', 'options');
  const experiment = a.points[0].experiment;
  const logDir = path.join(experimentDir(a.runsRoot, experiment), '.slurm');
  const script = slurmArrayScript({
    experiment,
    experimentFile: a.experimentFile,
    points: a.points.map((p) => p.runName),
    runsRoot: a.runsRoot,
    cli: a.cli,
    logDir,
    backend: a.backend,
    epochs: a.epochs,
    partition: a.options.partition,
    time: a.options.time,
    cpusPerTask: a.options.cpusPerTask ?? 2,
    maxParallel: a.options.maxParallel,
    sbatchArgs: a.options.sbatchArgs,
  });
  return { experiment, experimentFile: a.experimentFile, runsRoot: a.runsRoot, logDir, points: a.points, script };
}

export interface CommandResult {
  /** Exit code (null when it did not run or was killed). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The command is not installed (ENOENT). */
  missing: boolean;
  /** Why it could not run, when it could not. */
  error?: string;
}

export type CommandRunner = (cmd: string, args: string[]) => Promise<CommandResult>;

/** Runs a command without a shell (60 s at most). */
export const runCommand: CommandRunner = (cmd, args) =>
  new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      if (e && typeof e.code === 'string') resolve({ code: null, stdout: '', stderr: '', missing: e.code === 'ENOENT', error: e.message });
      else resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout: String(stdout), stderr: String(stderr), missing: false });
    });
  });

const PATH_NOTE = () => `PATH is ${process.env.PATH ?? '(unset)'}`;

/** The message for a missing Slurm command. */
export function missingSlurmCommand(cmd: string, what: string): string {
  return `${what} needs Slurm's ${cmd} command, which is not on PATH (${PATH_NOTE()}). Run it on a cluster's login node, or install the Slurm client (Debian/Ubuntu: slurm-client).`;
}

export interface Submitted {
  jobId: string;
  scriptFile: string;
  manifestFile: string;
  manifest: SlurmManifest;
}

/**
 * Writes the script into the array's log folder, submits it with `sbatch --parsable` and writes the manifest
 * (`job-<id>.json`: which task runs which point) beside it. `what` names the caller in messages.
 */
export async function submitSlurmArray(a: SlurmArray, opts: { run?: CommandRunner; now?: Date; what?: string } = {}): Promise<Submitted> {
  const run = opts.run ?? runCommand;
  const what = opts.what ?? 'submit --slurm';
  fs.mkdirSync(a.logDir, { recursive: true });
  const submittedAt = opts.now ?? new Date();
  const scriptFile = path.join(a.logDir, `${a.experiment}-${runTimestamp(submittedAt)}.sbatch`.replace(/[^A-Za-z0-9._=,+-]/g, '_'));
  fs.writeFileSync(scriptFile, a.script, { mode: 0o755 });
  const r = await run('sbatch', ['--parsable', scriptFile]);
  if (r.missing) throw new SlurmError(`${missingSlurmCommand('sbatch', what)} The script is in ${scriptFile}.`, 'missing', scriptFile);
  if (r.code === null) throw new SlurmError(`could not run sbatch: ${r.error ?? 'unknown error'}`, 'refused', scriptFile);
  if (r.code !== 0) throw new SlurmError(`sbatch refused the job (exit ${r.code}): ${(r.stderr || r.stdout).trim()}. The script is in ${scriptFile}.`, 'refused', scriptFile);
  const jobId = parseSbatchJobId(r.stdout);
  if (jobId === null) throw new SlurmError(`sbatch answered '${r.stdout.trim()}', not a job id`, 'answer', scriptFile);
  const manifest: SlurmManifest = {
    kind: 'training-dynamics/slurm-array',
    jobId,
    experiment: a.experiment,
    experimentFile: a.experimentFile,
    submittedAt: submittedAt.toISOString(),
    points: a.points.map((p, task) => ({ task, runName: p.runName, configName: p.configName, sweepValues: p.sweepValues ?? null })),
  };
  const manifestFile = path.join(a.logDir, `job-${jobId}.json`);
  writeFileAtomicSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
  return { jobId, scriptFile, manifestFile, manifest };
}

export interface SlurmStates {
  /** Task states by array job id (absent: Slurm no longer knows the job, or could not be asked). */
  byJob: Map<string, SlurmTaskState[]>;
  /** Which command answered. */
  source: 'sacct' | 'squeue' | null;
  /** Why nothing could be asked (neither command installed, both failing). */
  problem: string | null;
}

/**
 * The states of the arrays' tasks: `sacct` (accounting: ended jobs for as long as it keeps them), else
 * `squeue -t all` (the controller's memory: ended jobs for MinJobAge). `noSacct` skips sacct (it failed before).
 */
export async function readSlurmStates(jobIds: readonly string[], opts: { run?: CommandRunner; noSacct?: boolean } = {}): Promise<SlurmStates & { sacctFailed: boolean }> {
  const run = opts.run ?? runCommand;
  const byJob = new Map<string, SlurmTaskState[]>();
  if (jobIds.length === 0) return { byJob, source: null, problem: null, sacctFailed: false };
  let sacctFailed = false;
  let sacctWhy = '';
  if (!opts.noSacct) {
    const r = await run('sacct', ['-X', '-n', '-P', '-j', jobIds.join(','), '-o', 'JobID,State,ExitCode']);
    if (r.code === 0) {
      for (const t of parseSacct(r.stdout)) {
        const job = t.id.split('_')[0];
        if (!byJob.has(job)) byJob.set(job, []);
        byJob.get(job)!.push(t);
      }
      return { byJob, source: 'sacct', problem: null, sacctFailed };
    }
    sacctFailed = true;
    sacctWhy = r.missing ? 'sacct is not installed' : `sacct: ${(r.stderr || r.error || '').trim().split('\n')[0]}`;
  }
  let anyAnswer = false;
  let squeueWhy = '';
  for (const job of jobIds) {
    // One job at a time: squeue refuses a whole list when one id has aged out.
    const r = await run('squeue', ['-h', '-r', '-t', 'all', '-j', job, '-o', '%i|%T|%r']);
    if (r.missing) {
      squeueWhy = 'squeue is not installed';
      break;
    }
    if (r.code !== 0) {
      squeueWhy = `squeue: ${(r.stderr || r.error || '').trim().split('\n')[0]}`;
      continue;
    }
    anyAnswer = true;
    const tasks = parseSqueue(r.stdout);
    if (tasks.length) byJob.set(job, tasks);
  }
  if (anyAnswer) return { byJob, source: 'squeue', problem: null, sacctFailed };
  return { byJob, source: null, problem: [sacctWhy, squeueWhy].filter(Boolean).join('; ') || 'no answer from sacct or squeue', sacctFailed };
}
