/**
 * `training-dynamics submit FILE [--config NAME | --all | --sweep] --slurm [options]`: writes a Slurm
 * job-array script (engine/sweep/slurm.ts; one array task per point, each running this CLI on its point into
 * the experiment's runs folder) and submits it with `sbatch`, printing the array's job id on stdout; a
 * manifest (which task runs which point) is written beside the script for the extension to follow the array.
 * `--dry-run` prints the script and submits nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCommandArgs, positiveInt, runsRootOf, trainArgs, TRAIN_OPTIONS } from './args';
import type { OutputIo } from './io';
import { experimentDir } from '../engine/runs';
import { SlurmError, cliArgv, defaultCpusPerTask, prepareSlurmArray, submitSlurmArray } from '../engine/sweep';
import { nativeBuilt } from '../engine/fast/native';
import { UsageError, selectRuns } from './main';
import { resumePoints } from './sweep';

export const SUBMIT_USAGE = `Usage:
  training-dynamics submit FILE [--config NAME | --all | --sweep] --slurm [--partition P] [--time T]
                                [--cpus-per-task C] [--max-parallel K] [--sbatch-arg ARG]… [--dry-run]
                                [--resume] [--epochs N] [--out DIR] [--backend B]

Writes an sbatch job-array script, one array task per point (each runs \`training-dynamics run FILE
--config POINT\`), into <runs>/<experiment>/.slurm/ and submits it; prints the job id. The runs folder
(--out, default <workspace>/.training-dynamics/runs) must be on a filesystem the compute nodes share.
--cpus-per-task defaults to 1 on the native fast path (one thread), else 2 (training + the evaluation
thread); --max-parallel K runs at most K tasks
at once; --sbatch-arg passes an #SBATCH option verbatim (repeatable); --resume submits only the points
whose newest run is not completed; --dry-run prints the script only.
`;

/** This CLI as a command a compute node can run: the same Node and bin/training-dynamics.js (shared filesystem). */
function cliCommand(): string[] {
  // dist/cli.js when bundled, extension/cli/ from source: the package root is one or two folders up.
  for (const root of [path.resolve(__dirname, '..'), path.resolve(__dirname, '..', '..')]) {
    if (fs.existsSync(path.join(root, 'bin', 'training-dynamics.js'))) return cliArgv(root, process.execPath);
  }
  return cliArgv(path.resolve(__dirname, '..'), process.execPath);
}

export async function submitCommand(args: string[], io: OutputIo): Promise<number> {
  const parsed = parseCommandArgs('submit', args, {
      ...TRAIN_OPTIONS,
      slurm: { type: 'boolean' },
      partition: { type: 'string' },
      time: { type: 'string' },
      'cpus-per-task': { type: 'string' },
      'max-parallel': { type: 'string' },
      'sbatch-arg': { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
  });
  const v = parsed.values;
  if (v.help) {
    io.stdout(SUBMIT_USAGE);
    return 0;
  }
  if (!v.slurm) throw new UsageError('submit: name the scheduler with --slurm (the only one supported)');
  if (parsed.positionals.length !== 1) throw new UsageError(`submit: expected one experiment FILE (got ${parsed.positionals.length})`);
  const t = trainArgs('submit', v);
  const { epochs, backend } = t;
  const cpusPerTask = positiveInt('submit', '--cpus-per-task', v['cpus-per-task']) ?? defaultCpusPerTask(backend ?? 'auto', nativeBuilt());
  const maxParallel = positiveInt('submit', '--max-parallel', v['max-parallel']);
  const options = { partition: v.partition, time: v.time, cpusPerTask, maxParallel, sbatchArgs: v['sbatch-arg'] ?? [] };

  const { file, shown, runs: selected } = selectRuns({ file: parsed.positionals[0], ...t }, io);
  const runsRoot = runsRootOf(t.out, file);
  const runs = t.resume ? await resumePoints(selected, runsRoot, io.stderr) : selected;
  if (runs.length === 0) {
    io.stderr('resume: every point of the selection has completed; nothing to submit\n');
    return 0;
  }
  let submitted;
  try {
    const array = prepareSlurmArray({ points: runs, experimentFile: file, runsRoot, cli: cliCommand(), backend, epochs, options });
    if (v['dry-run']) {
      io.stdout(array.script);
      return 0;
    }
    submitted = await submitSlurmArray(array);
  } catch (err) {
    if (!(err instanceof SlurmError)) throw err;
    if (err.kind === 'options') throw new UsageError(`submit: ${err.message}`);
    io.stderr(`training-dynamics: ${err.message}${err.kind === 'missing' ? ' --dry-run prints the script.' : ''}\n`);
    return err.kind === 'missing' ? 2 : 1;
  }
  io.stderr(
    `submitted ${shown}: Slurm array job ${submitted.jobId}, ${runs.length} task${runs.length === 1 ? '' : 's'} (${submitted.scriptFile}); runs → ${experimentDir(runsRoot, runs[0].experiment)}\n`,
  );
  io.stdout(`${submitted.jobId}\n`);
  return 0;
}
