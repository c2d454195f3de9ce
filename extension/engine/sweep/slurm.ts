/**
 * Slurm job arrays for sweeps: the sbatch script of `training-dynamics submit --slurm` (one array task per
 * point, each running the CLI on its point into the experiment's runs folder), the array's manifest, and the
 * reading of `sacct` / `squeue` output, and which runs a dead task leaves to mark failed. Pure; the commands
 * themselves run in slurmCommands.ts.
 */
import { pointKey } from './points';

/** `<arrayJob>_<task>` (or the job id) of the Slurm job this process runs in, or null outside Slurm. */
export function slurmTaskId(env: NodeJS.ProcessEnv): string | null {
  const job = env.SLURM_JOB_ID;
  if (!job) return null;
  const array = env.SLURM_ARRAY_JOB_ID;
  const task = env.SLURM_ARRAY_TASK_ID;
  return array && task !== undefined && task !== '' ? `${array}_${task}` : job;
}

/** A word for bash, single-quoted when it needs to be. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface SlurmArrayOptions {
  /** The experiment's name (job name `td-<experiment>`). */
  experiment: string;
  experimentFile: string;
  /** Run names of the points, in array-task order (`run FILE --config NAME` selects one). */
  points: string[];
  /** The runs root (`--out`): must be on a filesystem the compute nodes share. */
  runsRoot: string;
  /** The CLI as argv, e.g. [node, …/bin/training-dynamics.js]. */
  cli: string[];
  /** Where Slurm writes each task's output (`%A` array job id, `%a` task). */
  logDir: string;
  backend?: string;
  epochs?: number;
  partition?: string;
  time?: string;
  cpusPerTask: number;
  /** At most this many tasks at once (`--array=0-N%K`). */
  maxParallel?: number;
  /** Further `#SBATCH` options, verbatim (`--account=x`, `--mem=4G`). */
  sbatchArgs?: string[];
}

/** The array's job name, `td-<experiment>` (the `%x` of its log files). */
export function slurmJobName(experiment: string): string {
  return `td-${experiment}`.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Where array task `task` of job `jobId` writes its output (the script's `--output`). */
export function slurmTaskLog(logDir: string, experiment: string, jobId: string, task: number): string {
  return `${logDir}/${slurmJobName(experiment)}-${jobId}_${task}.out`;
}

/**
 * The job-array script: `#SBATCH` header, the points as a bash array, and one CLI run of point
 * `$SLURM_ARRAY_TASK_ID` into the runs root. `exec` makes the CLI the task's process, so Slurm's SIGTERM
 * (scancel, time limit) reaches it and it marks its run failed with that reason.
 */
export function slurmArrayScript(o: SlurmArrayOptions): string {
  if (o.points.length === 0) throw new Error('no points to submit');
  const name = slurmJobName(o.experiment);
  const header = [
    `#SBATCH --job-name=${name}`,
    `#SBATCH --array=0-${o.points.length - 1}${o.maxParallel ? `%${o.maxParallel}` : ''}`,
    `#SBATCH --cpus-per-task=${o.cpusPerTask}`,
    `#SBATCH --ntasks=1`,
    `#SBATCH --output=${o.logDir}/%x-%A_%a.out`,
  ];
  if (o.partition) header.push(`#SBATCH --partition=${o.partition}`);
  if (o.time) header.push(`#SBATCH --time=${o.time}`);
  for (const a of o.sbatchArgs ?? []) header.push(`#SBATCH ${a}`);
  const run = [...o.cli, 'run', o.experimentFile, '--config', '"$POINT"', '--out', o.runsRoot];
  if (o.backend) run.push('--backend', o.backend);
  if (o.epochs !== undefined) run.push('--epochs', String(o.epochs));
  return [
    '#!/bin/bash',
    ...header,
    `# Training Dynamics: ${o.points.length} point${o.points.length === 1 ? '' : 's'} of ${o.experimentFile}, one array task each;`,
    `# runs are written to ${o.runsRoot}/ (on the filesystem the nodes share).`,
    'set -euo pipefail',
    'POINTS=(',
    ...o.points.map((p) => `  ${shellQuote(p)}`),
    ')',
    'POINT="${POINTS[$SLURM_ARRAY_TASK_ID]}"',
    'echo "training-dynamics: task $SLURM_ARRAY_TASK_ID of job $SLURM_ARRAY_JOB_ID on $(hostname): $POINT"',
    `exec ${run.map((w) => (w === '"$POINT"' ? w : shellQuote(w))).join(' ')}`,
    '',
  ].join('\n');
}

/** The array job id from `sbatch --parsable` (`123` or `123;cluster`). */
export function parseSbatchJobId(stdout: string): string | null {
  const m = /^\s*(\d+)(;\S+)?\s*$/m.exec(stdout);
  return m ? m[1] : null;
}

/** What a submission leaves next to the runs: which point each array task runs. */
export interface SlurmManifest {
  kind: 'training-dynamics/slurm-array';
  jobId: string;
  experiment: string;
  experimentFile: string;
  submittedAt: string;
  points: { task: number; runName: string; configName: string; sweepValues: Record<string, unknown> | null }[];
}

export function isSlurmManifest(x: unknown): x is SlurmManifest {
  const m = x as SlurmManifest;
  return (
    typeof m === 'object' && m !== null && m.kind === 'training-dynamics/slurm-array' && typeof m.jobId === 'string' &&
    typeof m.experiment === 'string' && typeof m.submittedAt === 'string' && Array.isArray(m.points) &&
    m.points.every((p) => typeof p === 'object' && p !== null && Number.isInteger(p.task) && typeof p.runName === 'string' && typeof p.configName === 'string')
  );
}

export interface SlurmTaskState {
  /** `<array>_<task>`. */
  id: string;
  task: number | null;
  /** PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, … */
  state: string;
  /** `CANCELLED by 0` → `by 0`; exit code `1:0`. */
  detail: string;
}

/**
 * Rows of `sacct -X -n -P -j JOB -o JobID,State,ExitCode` (array tasks `123_4`; a pending range `123_[5-9]`
 * is expanded). Lines that are not rows are ignored.
 */
export function parseSacct(stdout: string): SlurmTaskState[] {
  return parseRows(stdout, (exit) => (exit && exit !== '0:0' ? `exit ${exit}` : ''));
}

/**
 * Rows of `squeue -h -r -t all -j JOB -o '%i|%T|%r'` (what the controller still holds, ended tasks included
 * for MinJobAge; the last field is the reason, `None` when there is none). Where accounting is off, this is
 * all there is.
 */
export function parseSqueue(stdout: string): SlurmTaskState[] {
  return parseRows(stdout, (reason) => (reason && reason !== 'None' ? reason : ''));
}

function parseRows(stdout: string, third: (field: string | undefined) => string): SlurmTaskState[] {
  const out: SlurmTaskState[] = [];
  for (const line of stdout.split('\n')) {
    const [id, stateField, extra] = line.trim().split('|');
    if (!id || !stateField || !/^\d/.test(id)) continue;
    const [state, ...rest] = stateField.trim().split(/\s+/);
    const detail = [rest.join(' '), third(extra?.trim())].filter(Boolean).join(', ');
    const range = /^(\d+)_\[(.+)\]$/.exec(id);
    if (range) {
      for (const part of range[2].split('%')[0].split(',')) {
        const [a, b] = part.split('-').map(Number);
        for (let t = a; t <= (Number.isFinite(b) ? b : a); t++) out.push({ id: `${range[1]}_${t}`, task: t, state, detail });
      }
      continue;
    }
    const m = /^(\d+)_(\d+)$/.exec(id);
    out.push({ id, task: m ? Number(m[2]) : null, state, detail });
  }
  return out;
}

/** States in which a task's process is gone for good. */
export function isSlurmEnded(state: string): boolean {
  return !['PENDING', 'RUNNING', 'REQUEUED', 'RESIZING', 'SUSPENDED', 'COMPLETING', 'CONFIGURING', 'STAGE_OUT', 'SIGNALING'].includes(state);
}

/** The reason shown for a run still marked running whose task ended: `Slurm job 12_3 CANCELLED by 0`. */
export function slurmEndReason(t: SlurmTaskState): string {
  return `Slurm job ${t.id} ${t.state}${t.detail ? ` ${t.detail}` : ''}`;
}

/** One line for an array: `3 running · 2 pending · 4 completed · 1 failed` (states Slurm has not reported count as unknown). */
export function slurmArraySummary(total: number, tasks: readonly SlurmTaskState[]): string {
  const byTask = new Map<number, string>();
  for (const t of tasks) if (t.task !== null && t.task < total) byTask.set(t.task, t.state);
  const count = (f: (s: string) => boolean) => [...byTask.values()].filter(f).length;
  const parts: [number, string][] = [
    [count((s) => s === 'RUNNING' || s === 'COMPLETING'), 'running'],
    [count((s) => s === 'PENDING' || s === 'REQUEUED' || s === 'CONFIGURING'), 'pending'],
    [count((s) => s === 'COMPLETED'), 'completed'],
    [count((s) => isSlurmEnded(s) && s !== 'COMPLETED'), 'failed'],
    [total - byTask.size, 'unknown'],
  ];
  return parts.filter(([n], i) => n > 0 || i < 3).map(([n, w]) => `${n} ${w}`).join(' · ');
}

/** Whether Slurm reports every task of the array as ended. */
export function slurmArrayEnded(total: number, tasks: readonly SlurmTaskState[]): boolean {
  const ended = new Set(tasks.filter((t) => t.task !== null && isSlurmEnded(t.state)).map((t) => t.task));
  for (let i = 0; i < total; i++) if (!ended.has(i)) return false;
  return true;
}

/** What the runs folder knows of one array task: its point's newest run since the submission. */
export interface SlurmTaskRun<E> {
  task: number;
  runName: string;
  state: SlurmTaskState | null;
  entry: E | null;
}

/**
 * The array's tasks with their states and runs: a task's run is its point's newest run that started after the
 * submission (a point is its experiment, config and swept values, as for resuming).
 */
export function slurmTaskRuns<E extends { run: { experiment: string; configName: string; sweepValues: Record<string, unknown> | null; startedAt: string } }>(
  manifest: SlurmManifest,
  tasks: readonly SlurmTaskState[],
  entries: readonly E[],
): SlurmTaskRun<E>[] {
  const since = Date.parse(manifest.submittedAt) - 60_000; // clocks of the nodes and of this machine differ a little
  const state = new Map(tasks.filter((t) => t.task !== null).map((t) => [t.task!, t]));
  return manifest.points.map((p) => {
    const key = pointKey({ experiment: manifest.experiment, configName: p.configName, sweepValues: p.sweepValues });
    const mine = entries
      .filter((e) => Date.parse(e.run.startedAt) >= since && pointKey(e.run) === key)
      .sort((a, b) => b.run.startedAt.localeCompare(a.run.startedAt));
    return { task: p.task, runName: p.runName, state: state.get(p.task) ?? null, entry: mine[0] ?? null };
  });
}

/**
 * Runs to mark failed: a task Slurm reports ended (not COMPLETED) whose run still says `running` — its process
 * was killed without a word (SIGKILL after the grace time, node failure, out of memory) — gets the reason
 * from Slurm. `seenEnded` holds the tasks reported ended at the previous look too: only those are repaired, so
 * a run whose own SIGTERM handler is still writing its final status is left to do so.
 */
export function slurmRepairs<E extends { runDir: string; run: { status: string } }>(taskRuns: readonly SlurmTaskRun<E>[], seenEnded: ReadonlySet<number>): { runDir: string; reason: string }[] {
  return taskRuns
    .filter((t) => t.state && isSlurmEnded(t.state.state) && t.state.state !== 'COMPLETED' && seenEnded.has(t.task) && t.entry?.run.status === 'running')
    .map((t) => ({ runDir: t.entry!.runDir, reason: slurmEndReason(t.state!) }));
}
