/**
 * `training-dynamics submit FILE [--config NAME | --all | --sweep] --slurm [options]`: writes a Slurm
 * job-array script (engine/sweep/slurm.ts; one array task per point, each running this CLI on its point into
 * the experiment's runs folder) and submits it with `sbatch`, printing the array's job id on stdout; a
 * manifest (which task runs which point) is written beside the script for the extension to follow the array.
 * `--dry-run` prints the script and submits nothing.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCommandArgs, positiveInt } from './args';
import type { OutputIo } from './io';
import { BACKEND_CHOICES, isBackendChoice } from '../shared/protocol';
import { defaultRunsRoot, experimentDir, findWorkspaceRoot, runTimestamp, writeFileAtomicSync } from '../engine/runs';
import { parseSbatchJobId, slurmArrayScript, type SlurmManifest } from '../engine/sweep';
import { UsageError, selectRuns } from './main';
import { resumePoints } from './sweep';

export const SUBMIT_USAGE = `Usage:
  training-dynamics submit FILE [--config NAME | --all | --sweep] --slurm [--partition P] [--time T]
                                [--cpus-per-task C] [--max-parallel K] [--sbatch-arg ARG]… [--dry-run]
                                [--resume] [--epochs N] [--out DIR] [--backend B]

Writes an sbatch job-array script, one array task per point (each runs \`training-dynamics run FILE
--config POINT\`), into <runs>/<experiment>/.slurm/ and submits it; prints the job id. The runs folder
(--out, default <workspace>/.training-dynamics/runs) must be on a filesystem the compute nodes share.
--cpus-per-task defaults to 2 (training + the evaluation thread); --max-parallel K runs at most K tasks
at once; --sbatch-arg passes an #SBATCH option verbatim (repeatable); --resume submits only the points
whose newest run is not completed; --dry-run prints the script only.
`;

/** This CLI as a command a compute node can run: the same Node and bin/training-dynamics.js (shared filesystem). */
function cliCommand(): string[] {
  for (const bin of [path.resolve(__dirname, '..', 'bin', 'training-dynamics.js'), path.resolve(__dirname, '..', '..', 'bin', 'training-dynamics.js')]) {
    if (fs.existsSync(bin) && fs.existsSync(path.join(path.dirname(bin), '..', 'dist', 'cli.js'))) return [process.execPath, bin];
  }
  throw new UsageError('submit: dist/cli.js is missing; run `npm run build` first (the array tasks run the built CLI)');
}

export async function submitCommand(args: string[], io: OutputIo): Promise<number> {
  const parsed = parseCommandArgs('submit', args, {
      config: { type: 'string', short: 'c' },
      all: { type: 'boolean' },
      sweep: { type: 'boolean' },
      slurm: { type: 'boolean' },
      partition: { type: 'string' },
      time: { type: 'string' },
      'cpus-per-task': { type: 'string' },
      'max-parallel': { type: 'string' },
      'sbatch-arg': { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
      resume: { type: 'boolean' },
      epochs: { type: 'string' },
      out: { type: 'string', short: 'o' },
      backend: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
  });
  const v = parsed.values;
  if (v.help) {
    io.stdout(SUBMIT_USAGE);
    return 0;
  }
  if (!v.slurm) throw new UsageError('submit: name the scheduler with --slurm (the only one supported)');
  if (parsed.positionals.length !== 1) throw new UsageError(`submit: expected one experiment FILE (got ${parsed.positionals.length})`);
  if (v.config !== undefined && v.all) throw new UsageError('submit: --config and --all cannot be used together');
  if (v.backend !== undefined && !isBackendChoice(v.backend)) throw new UsageError(`submit: --backend must be one of ${BACKEND_CHOICES.join(', ')} (got '${v.backend}')`);
  const epochs = positiveInt('submit', '--epochs', v.epochs);
  const cpusPerTask = positiveInt('submit', '--cpus-per-task', v['cpus-per-task']) ?? 2;
  const maxParallel = positiveInt('submit', '--max-parallel', v['max-parallel']);
  if (v.time !== undefined && !/^[\d:-]+$/.test(v.time)) throw new UsageError(`submit: --time takes a Slurm time such as 30, 2:00:00 or 1-12:00:00 (got '${v.time}')`);
  if (v.partition !== undefined && !/^[\w.,-]+$/.test(v.partition)) throw new UsageError(`submit: --partition takes a partition name (got '${v.partition}')`);
  const sbatchArgs = v['sbatch-arg'] ?? [];
  for (const a of sbatchArgs) if (!/^-/.test(a) || /[\n\r]/.test(a)) throw new UsageError(`submit: --sbatch-arg takes one sbatch option such as --mem=4G (got '${a}')`);

  const { file, shown, runs: selected } = selectRuns({ file: parsed.positionals[0], config: v.config, all: !!v.all, sweep: !!v.sweep, epochs }, io);
  const runsRoot = v.out !== undefined ? path.resolve(v.out) : defaultRunsRoot(findWorkspaceRoot(file));
  const runs = v.resume ? await resumePoints(selected, runsRoot, io.stderr) : selected;
  if (runs.length === 0) {
    io.stderr('resume: every point of the selection has completed; nothing to submit\n');
    return 0;
  }
  const experiment = runs[0].experiment;
  const logDir = path.join(experimentDir(runsRoot, experiment), '.slurm');
  const script = slurmArrayScript({
    experiment,
    experimentFile: file,
    points: runs.map((r) => r.runName),
    runsRoot,
    cli: cliCommand(),
    logDir,
    backend: v.backend,
    epochs,
    partition: v.partition,
    time: v.time,
    cpusPerTask,
    maxParallel,
    sbatchArgs,
  });
  if (v['dry-run']) {
    io.stdout(script);
    return 0;
  }

  fs.mkdirSync(logDir, { recursive: true });
  const submittedAt = new Date();
  const scriptFile = path.join(logDir, `${experiment}-${runTimestamp(submittedAt)}.sbatch`.replace(/[^A-Za-z0-9._=,+-]/g, '_'));
  fs.writeFileSync(scriptFile, script, { mode: 0o755 });
  const r = spawnSync('sbatch', ['--parsable', scriptFile], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    io.stderr(
      code === 'ENOENT'
        ? `training-dynamics: submit --slurm needs Slurm's sbatch command, which is not on PATH (${process.env.PATH ?? ''}). Run this on a cluster's login node, or install the Slurm client (Debian/Ubuntu: slurm-client). The script is in ${scriptFile}; --dry-run prints it.\n`
        : `training-dynamics: could not run sbatch: ${r.error.message}\n`,
    );
    return 2;
  }
  if (r.status !== 0) {
    io.stderr(`training-dynamics: sbatch refused the job (exit ${r.status}): ${(r.stderr || r.stdout).trim()}\nThe script is in ${scriptFile}.\n`);
    return 1;
  }
  const jobId = parseSbatchJobId(r.stdout);
  if (jobId === null) {
    io.stderr(`training-dynamics: sbatch answered '${r.stdout.trim()}', not a job id\n`);
    return 1;
  }
  const manifest: SlurmManifest = {
    kind: 'training-dynamics/slurm-array',
    jobId,
    experiment,
    experimentFile: file,
    submittedAt: submittedAt.toISOString(),
    points: runs.map((p, task) => ({ task, runName: p.runName, configName: p.configName, sweepValues: p.sweepValues ?? null })),
  };
  writeFileAtomicSync(path.join(logDir, `job-${jobId}.json`), JSON.stringify(manifest, null, 2) + '\n');
  io.stderr(`submitted ${shown}: Slurm array job ${jobId}, ${runs.length} task${runs.length === 1 ? '' : 's'} (${scriptFile}); runs → ${experimentDir(runsRoot, experiment)}\n`);
  io.stdout(`${jobId}\n`);
  return 0;
}
