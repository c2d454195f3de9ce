/**
 * The `training-dynamics` command line (bundled to dist/cli.js; bin/training-dynamics.js calls `main`).
 *
 *   training-dynamics run FILE [--config NAME | --all] [--sweep] [--jobs N] [--resume] [--epochs N] [--out DIR] [--backend B] [--json]
 *   training-dynamics inspect FILE [--json] [--spectrum] [--tensor NAME]
 *   training-dynamics study FILE [--metric NAME]… [--by AXIS[,AXIS]] [--split AXIS] [--runs all|newest] [--json | --csv]
 *
 * Exit codes: 0 every run completed, 1 a run failed, 2 bad input (the message names the problem),
 * 130 interrupted with Ctrl-C (the current runs are stopped cleanly and marked `stopped`).
 */
import * as path from 'node:path';
import { oneFile, parseCommandArgs, positiveInt, readExperimentFile, runsRootOf, trainArgs, TRAIN_OPTIONS, UsageError } from './args';
import type { BackendChoice, RunJson, StartRunRequest } from '../shared/protocol';
import type { ResolvedRun } from '../shared/configTypes';
import { formatProblem, parseExperiment, resolveRuns } from '../engine/config';
import { startRunRequest, type RunWriter } from '../engine/runs';
import { backendLabel, loadBackend } from '../engine/backend';
import { RunDirError, runSession, type SessionControl } from '../trainer/session';
import { ProgressDisplay, jsonResult, summaryText, trainLossPoints } from './progress';
import { machineCpuMs, machineShares, resumePoints, runConcurrent, sweepSummaryText } from './sweep';
import { effectiveConcurrency, slurmTaskId } from '../engine/sweep';
import * as os from 'node:os';
import { version } from '../../package.json';
import { processIo, type CliIo } from './io';

export type { CliIo } from './io';

export const USAGE = `training-dynamics ${version}

Usage:
  training-dynamics run FILE [--config NAME | --all] [--sweep] [--jobs N] [--resume] [--epochs N]
                             [--out DIR] [--backend auto|native|tensorflow|wasm|cpu] [--json]
  training-dynamics submit FILE [--config NAME | --all | --sweep] --slurm [--partition P] [--time T]
                             [--cpus-per-task C] [--max-parallel K] [--sbatch-arg ARG]… [--dry-run]
  training-dynamics inspect FILE [--json] [--spectrum] [--tensor NAME]
  training-dynamics study FILE [--metric NAME]... [--by AXIS[,AXIS]] [--split AXIS] [--runs newest|all]
                               [--predict FEATURE,OUTCOME] [--out DIR] [--json | --csv]
  training-dynamics --help | --version

run       trains configs of an experiment file (*.experiment.json). A file with one config needs no
          --config; otherwise name one (--config), take every config (--all) or the sweep (--sweep).
          Runs go to <workspace>/.training-dynamics/runs/<experiment>/<run>-<timestamp>/ (--out DIR
          replaces <workspace>/.training-dynamics/runs). --epochs overrides training.epochs.
          --json: progress on stderr, one JSON object a line per finished run on stdout.
          --jobs N: train N points at once (default: as many as keep every core busy, counting each
          run's evaluation thread; 1 = one after another). --resume: run only the points whose newest
          run is not completed (a point is its config and swept values).
submit    submits the points to a Slurm cluster as a job array (sbatch), one task per point, runs
          written to the runs folder (on the shared filesystem); prints the job id. --dry-run prints the
          script. --resume submits only points not completed. See \`submit --help\`.
inspect   summarises a .safetensors file (tensor statistics, spectra with --spectrum).
study     the experiment's runs as one row per sweep point (seeds averaged: mean ± std of each metric);
          --by groups by those axes only, --json / --csv for scripts (see study --help).

Exit codes: 0 done, 1 a run failed, 2 bad input, 130 interrupted (Ctrl-C; runs are marked stopped).
`;

export { UsageError };

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined) {
      io.stderr(USAGE);
      return 2;
    }
    if (command === '--help' || command === '-h' || command === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    if (command === '--version' || command === '-v' || command === '-V') {
      io.stdout(`${version}\n`);
      return 0;
    }
    if (command === 'run') return await runCommand(rest, io);
    if (command === 'submit') {
      const { submitCommand } = await import('./submit');
      return await submitCommand(rest, { stdout: io.stdout, stderr: io.stderr });
    }
    if (command === 'inspect') {
      // Loaded on demand: `run` does not need the inspector (and vice versa).
      const { inspectCommand } = await import('./inspect');
      return await inspectCommand(rest, { stdout: io.stdout, stderr: io.stderr });
    }
    if (command === 'study') {
      const { studyCommand } = await import('./study');
      return await studyCommand(rest, { stdout: io.stdout, stderr: io.stderr });
    }
    throw new UsageError(`unknown command '${command}' (commands: run, submit, inspect, study; see --help)`);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`training-dynamics: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

export interface RunArgs {
  file: string;
  config?: string;
  all: boolean;
  sweep: boolean;
  epochs?: number;
  out?: string;
  backend: BackendChoice;
  json: boolean;
  /** undefined: the machine's default. */
  jobs?: number;
  resume: boolean;
}

export function parseRunArgs(args: string[]): RunArgs | 'help' {
  const parsed = parseCommandArgs('run', args, {
      ...TRAIN_OPTIONS,
      json: { type: 'boolean' },
      jobs: { type: 'string', short: 'j' },
  });
  const v = parsed.values;
  if (v.help) return 'help';
  const file = oneFile('run', parsed.positionals, 'training-dynamics run FILE [--config NAME | --all]');
  const t = trainArgs('run', v);
  const jobs = positiveInt('run', '--jobs', v.jobs);
  if (v.out !== undefined && v.out.trim() === '') throw new UsageError('run: --out needs a directory');
  return { file, ...t, backend: t.backend ?? 'auto', json: !!v.json, jobs };
}

/**
 * The runs a command line selects (`FILE [--config NAME | --all] [--sweep] [--epochs N]`): reads and
 * validates the file; a bad selection or a config with errors is a UsageError naming the problems.
 */
export function selectRuns(a: Pick<RunArgs, 'file' | 'config' | 'all' | 'sweep' | 'epochs'>, io: Pick<CliIo, 'stderr'>): { file: string; shown: string; runs: ResolvedRun[] } {
  const { file, text } = readExperimentFile(a.file);
  const rel = path.relative(process.cwd(), file);
  const shown = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
  const parsed = parseExperiment(text);
  const configNames = parsed.configs.map((c) => c.name);
  const listing = `configs: ${configNames.join(', ') || 'none'}${parsed.sweep ? `; sweep: ${parsed.sweep.runNames.length} runs (--sweep)` : ''}`;

  let config = a.config;
  if (config === undefined && !a.all && !a.sweep) {
    const fatal = parsed.problems.filter((p) => p.severity === 'error');
    if (configNames.length === 0 || parsed.configs.every((c) => !c.valid)) {
      for (const p of fatal) io.stderr(formatProblem(p, shown) + '\n');
      throw new UsageError(configNames.length === 0 ? `${shown} has no configs` : `${shown}: ${fatal.length} problem${fatal.length === 1 ? '' : 's'}; nothing was run`);
    }
    if (configNames.length > 1) throw new UsageError(`${shown} has ${configNames.length} configs; choose one with --config NAME or run them all with --all (${listing})`);
    config = configNames[0];
  }
  if (config !== undefined && !configNames.includes(config) && !(parsed.sweep?.runNames ?? []).includes(config)) {
    throw new UsageError(`no config named '${config}' in ${shown} (${listing})`);
  }
  const { runs: selected, problems } = resolveRuns(text, { config, all: a.all, sweep: a.sweep, epochs: a.epochs });
  if (problems.length) {
    for (const p of problems) io.stderr(formatProblem(p, shown) + '\n');
    const n = problems.filter((p) => p.severity === 'error').length;
    throw new UsageError(`${shown}: ${n || problems.length} problem${(n || problems.length) === 1 ? '' : 's'}; nothing was run`);
  }
  if (selected.length === 0) throw new UsageError(`nothing to run in ${shown} (${listing})`);
  return { file, shown, runs: selected };

}

async function runCommand(args: string[], io: CliIo): Promise<number> {
  const parsedArgs = parseRunArgs(args);
  if (parsedArgs === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  const a = parsedArgs;
  const { file, runs: selected } = selectRuns(a, io);

  let backendName: string;
  try {
    backendName = backendLabel(await loadBackend(a.backend));
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }

  const runsRoot = runsRootOf(a.out, file);
  const human = a.json ? io.stderr : io.stdout;
  const runs = a.resume ? await resumePoints(selected, runsRoot, human) : selected;
  if (runs.length === 0) {
    human(`resume: every point of the selection has completed; nothing to run\n`);
    return 0;
  }
  const requestFor = (r: ResolvedRun): StartRunRequest => startRunRequest(r, { experimentFile: file, runsRoot, backend: a.backend });
  const jobs = Math.min(runs.length, effectiveConcurrency(a.jobs, os.cpus().length, backendName));
  if (jobs > 1) return await runConcurrent(runs.map(requestFor), jobs, a.json, io);
  const control: SessionControl = { stopRequested: false };
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) {
      io.stderr('\ntraining-dynamics: interrupted again, exiting now\n');
      process.exit(130);
    }
    interrupted = true;
    control.stopRequested = true;
    io.stderr('\ntraining-dynamics: stopping after the current step (Ctrl-C again to quit at once)\n');
  };
  // If the process ends while a run is open (second Ctrl-C, a crash), its run.json still gets a final status.
  let current: RunWriter | null = null;
  const onExit = () => {
    if (current && !current.finished) {
      current.finish(
        interrupted ? 'stopped' : 'failed',
        interrupted ? 'interrupted: the CLI was quit with a second Ctrl-C' : 'interrupted: the CLI process exited before the run finished',
        null,
      );
    }
  };
  // Slurm ends a job (scancel, time limit, preemption) with SIGTERM, then SIGKILL: the run is marked failed
  // with that reason at once. Elsewhere SIGTERM stops the run cleanly, as Ctrl-C does.
  const onSigterm = () => {
    const job = slurmTaskId(process.env);
    if (job === null) return onSigint();
    if (current && !current.finished) current.finish('failed', `the Slurm job ${job} was ended (SIGTERM: cancelled, preempted or out of time)`, null);
    io.stderr(`\ntraining-dynamics: SIGTERM from Slurm (job ${job}); the run is marked failed\n`);
    process.exit(143);
  };
  if (io.handleSignals) {
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);
  }
  process.on('exit', onExit);

  let failed = 0;
  let stopped = 0;
  let finishedRuns = 0;
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  const machine0 = machineCpuMs();
  try {
    for (let i = 0; i < runs.length; i++) {
      const r = runs[i];
      if (interrupted) break;
      const label = runs.length > 1 ? `[${i + 1}/${runs.length}] ${r.runName}` : r.runName;
      const display = new ProgressDisplay({ write: io.stderr, tty: io.tty, columns: io.columns, label, totalEpochs: r.config.training.epochs });
      const req = requestFor(r);
      let runDir = '';
      let run: RunJson;
      try {
        run = await runSession(
          req,
          (m) => {
            if (m.type === 'started') runDir = m.runDir;
            display.onMessage(m);
          },
          control,
          { onWriter: (w) => (current = w) },
        );
      } catch (err) {
        if (err instanceof RunDirError) throw new UsageError(err.message);
        throw err;
      }
      if (run.status === 'failed') failed++;
      if (run.status === 'stopped') stopped++;
      finishedRuns++;
      human(summaryText(run, runDir, trainLossPoints(runDir)));
      if (a.json) io.stdout(JSON.stringify(jsonResult(run, runDir)) + '\n');
    }
  } finally {
    if (io.handleSignals) {
      process.removeListener('SIGINT', onSigint);
      process.removeListener('SIGTERM', onSigterm);
    }
    process.removeListener('exit', onExit);
  }
  if (runs.length > 1) {
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    human(
      sweepSummaryText({
        total: runs.length,
        completed: finishedRuns - failed - stopped,
        failed,
        stopped,
        notStarted: runs.length - finishedRuns,
        wallMs: Date.now() - t0,
        cpuMs,
        jobs: 1,
        cores: os.cpus().length,
        machine: machineShares(machine0, machineCpuMs(), cpuMs),
      }),
    );
  }
  if (failed) return 1;
  return interrupted ? 130 : 0;
}
