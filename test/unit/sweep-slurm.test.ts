/**
 * The Slurm job-array script (run through bash with a stand-in CLI), sbatch/sacct/squeue parsing, which run is a
 * task's and when a dead task's run is repaired, the shared submission (options, script, manifest, a missing
 * sbatch), and `submit` without sbatch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  SlurmError,
  isSlurmEnded,
  parseSacct,
  parseSbatchJobId,
  slurmArrayScript,
  slurmEndReason,
  defaultCpusPerTask,
  parseSqueue,
  prepareSlurmArray,
  readSlurmStates,
  slurmArrayEnded,
  slurmArraySummary,
  slurmOptionsProblem,
  slurmRepairs,
  slurmTaskRuns,
  submitSlurmArray,
  type CommandResult,
  type SlurmManifest,
} from '../../extension/engine/sweep';
import { REPO, tempDir, tinyExperiment } from './runs-fixture';

const base = {
  experiment: 'grok sweep',
  experimentFile: '/shared/exp/grok.experiment.json',
  points: ['tiny_lr=0.001', "odd 'name'", 'tiny_lr=0.01'],
  runsRoot: '/shared/runs dir',
  cli: ['/usr/bin/node', '/opt/td/bin/training-dynamics.js'],
  logDir: '/shared/runs dir/grok/.slurm',
  cpusPerTask: 2,
};

test('the array script: one task per point, each running the CLI on its point into the runs root', () => {
  const s = slurmArrayScript({ ...base, partition: 'gpu', time: '1:00:00', maxParallel: 2, sbatchArgs: ['--mem=4G'], backend: 'wasm', epochs: 50 });
  const lines = s.split('\n');
  assert.equal(lines[0], '#!/bin/bash');
  for (const l of ['#SBATCH --job-name=td-grok_sweep', '#SBATCH --array=0-2%2', '#SBATCH --cpus-per-task=2', '#SBATCH --partition=gpu', '#SBATCH --time=1:00:00', '#SBATCH --mem=4G']) {
    assert.ok(lines.includes(l), `${l}\n${s}`);
  }
  const { dir, cleanup } = tempDir('slurm-script');
  try {
    const file = path.join(dir, 'job.sbatch');
    // The CLI replaced by a stand-in that prints its arguments one a line.
    writeFileSync(file, slurmArrayScript({ ...base, cli: ['printf', '%s\\n'] }));
    assert.equal(spawnSync('bash', ['-n', file]).status, 0);
    for (const [task, point] of [[0, 'tiny_lr=0.001'], [1, "odd 'name'"], [2, 'tiny_lr=0.01']] as const) {
      const r = spawnSync('bash', [file], { encoding: 'utf8', env: { ...process.env, SLURM_ARRAY_TASK_ID: String(task), SLURM_ARRAY_JOB_ID: '77' } });
      assert.equal(r.status, 0, r.stderr);
      const [echo, ...argv] = r.stdout.trimEnd().split('\n');
      assert.match(echo, new RegExp(`task ${task} of job 77 on .*: `));
      assert.deepEqual(argv, ['run', base.experimentFile, '--config', point, '--out', '/shared/runs dir']);
    }
    // Outside the array's range the task fails instead of running something else.
    assert.notEqual(spawnSync('bash', [file], { env: { ...process.env, SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_JOB_ID: '77' } }).status, 0);
  } finally {
    cleanup();
  }
  assert.throws(() => slurmArrayScript({ ...base, points: [] }), /no points/);
});

test('sbatch --parsable and sacct output', () => {
  assert.equal(parseSbatchJobId('4242\n'), '4242');
  assert.equal(parseSbatchJobId('4242;cluster\n'), '4242');
  assert.equal(parseSbatchJobId('sbatch: error: x'), null);
  const rows = parseSacct('12_0|COMPLETED|0:0\n12_1|CANCELLED by 0|0:15\n12_[2-3%2]|PENDING|0:0\nnot a row\n');
  assert.deepEqual(rows.map((r) => [r.id, r.task, r.state]), [['12_0', 0, 'COMPLETED'], ['12_1', 1, 'CANCELLED'], ['12_2', 2, 'PENDING'], ['12_3', 3, 'PENDING']]);
  assert.equal(slurmEndReason(rows[1]), 'Slurm job 12_1 CANCELLED by 0, exit 0:15');
  assert.ok(isSlurmEnded('CANCELLED') && isSlurmEnded('TIMEOUT') && !isSlurmEnded('RUNNING') && !isSlurmEnded('PENDING'));
});

test('submit --slurm without sbatch on PATH names what is missing (exit 2); --dry-run prints the script', () => {
  const { dir, cleanup } = tempDir('slurm-submit');
  try {
    const file = path.join(dir, 's.experiment.json');
    writeFileSync(file, tinyExperiment(5, 'sub').replace(/\n\}\n$/, `,\n  "sweep": { "configs": ["tiny"], "grid": { "training.seed": [0, 1] } }\n}\n`));
    const entry = path.join(REPO, 'extension', 'cli', 'entry.ts');
    const run = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
      spawnSync(process.execPath, ['--import', 'tsx', entry, 'submit', file, '--sweep', '--slurm', '--out', path.join(dir, 'runs'), ...args], { cwd: REPO, encoding: 'utf8', env, timeout: 60_000 });
    const missing = run([], { ...process.env, PATH: path.join(dir, 'no-bin') });
    assert.equal(missing.status, 2, missing.stderr);
    assert.match(missing.stderr, /needs Slurm's sbatch command, which is not on PATH/);
    const dry = run(['--dry-run', '--max-parallel', '1']);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /#SBATCH --array=0-1%1/);
    assert.match(dry.stdout, /\n {2}tiny_seed=0\n {2}tiny_seed=1\n\)/);
    const bad = run(['--time', 'soon']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--time takes a Slurm time/);
  } finally {
    cleanup();
  }
});

const ok = (stdout: string): CommandResult => ({ code: 0, stdout, stderr: '', missing: false });
const missing: CommandResult = { code: null, stdout: '', stderr: '', missing: true, error: 'spawn ENOENT' };

test('squeue rows (reason instead of exit code), array summaries and when an array has ended', () => {
  const rows = parseSqueue('7_0|COMPLETED|None\n7_1|RUNNING|None\n7_2|FAILED|NonZeroExitCode\n7_[3-4]|PENDING|Resources\n');
  assert.deepEqual(rows.map((r) => [r.task, r.state, r.detail]), [[0, 'COMPLETED', ''], [1, 'RUNNING', ''], [2, 'FAILED', 'NonZeroExitCode'], [3, 'PENDING', 'Resources'], [4, 'PENDING', 'Resources']]);
  assert.equal(slurmArraySummary(5, rows), '1 running · 2 pending · 1 completed · 1 failed');
  assert.equal(slurmArraySummary(6, rows), '1 running · 2 pending · 1 completed · 1 failed · 1 unknown');
  assert.equal(slurmArrayEnded(5, rows), false);
  assert.equal(slurmArrayEnded(2, parseSqueue('7_0|COMPLETED|None\n7_1|CANCELLED|None\n')), true);
  assert.equal(slurmArrayEnded(3, parseSqueue('7_0|COMPLETED|None\n7_1|CANCELLED|None\n')), false, 'a task Slurm did not report has not ended');
});

const manifest: SlurmManifest = {
  kind: 'training-dynamics/slurm-array',
  jobId: '7',
  experiment: 'exp',
  experimentFile: '/x/exp.experiment.json',
  submittedAt: '2026-12-01T10:00:00.000Z',
  points: [
    { task: 0, runName: 'tiny_seed=0', configName: 'tiny', sweepValues: { 'training.seed': 0 } },
    { task: 1, runName: 'tiny_seed=1', configName: 'tiny', sweepValues: { 'training.seed': 1 } },
    { task: 2, runName: 'tiny_seed=2', configName: 'tiny', sweepValues: { 'training.seed': 2 } },
  ],
};
const entry = (runDir: string, seed: number, startedAt: string, status: string) => ({
  runDir,
  run: { experiment: 'exp', configName: 'tiny', sweepValues: { 'training.seed': seed }, startedAt, status },
});

test('a task’s run is its point’s newest run since the submission; a dead task’s run still marked running is repaired with Slurm’s reason, at the second look', () => {
  const entries = [
    entry('/r/old0', 0, '2026-11-30T00:00:00.000Z', 'running'), // before the submission: not this array's
    entry('/r/a0', 0, '2026-12-01T10:01:00.000Z', 'completed'),
    entry('/r/a1', 1, '2026-12-01T10:01:00.000Z', 'running'),
    entry('/r/a2', 2, '2026-12-01T10:01:00.000Z', 'failed'),
  ];
  const states = parseSacct('7_0|COMPLETED|0:0\n7_1|CANCELLED by 0|0:9\n7_2|TIMEOUT|0:0\n');
  const runs = slurmTaskRuns(manifest, states, entries);
  assert.deepEqual(runs.map((r) => [r.task, r.entry?.runDir, r.state?.state]), [[0, '/r/a0', 'COMPLETED'], [1, '/r/a1', 'CANCELLED'], [2, '/r/a2', 'TIMEOUT']]);
  assert.deepEqual(slurmRepairs(runs, new Set()), [], 'first look: the run may still be writing its own final status');
  assert.deepEqual(slurmRepairs(runs, new Set([0, 1, 2])), [{ runDir: '/r/a1', reason: 'Slurm job 7_1 CANCELLED by 0, exit 0:9' }]);
  const none = slurmTaskRuns(manifest, [], [entries[0]]);
  assert.deepEqual(none.map((r) => [r.entry, r.state]), [[null, null], [null, null], [null, null]]);
});

test('options are checked with the CLI’s words; the default cores a task asks for follow the backend', () => {
  assert.equal(slurmOptionsProblem({ partition: 'cpu', time: '2:00:00', cpusPerTask: 2, maxParallel: 4, sbatchArgs: ['--mem=4G'] }), null);
  assert.match(slurmOptionsProblem({ time: 'soon' })!, /--time takes a Slurm time/);
  assert.match(slurmOptionsProblem({ partition: 'a b' })!, /--partition/);
  assert.match(slurmOptionsProblem({ cpusPerTask: 0 })!, /--cpus-per-task must be a positive integer/);
  assert.match(slurmOptionsProblem({ sbatchArgs: ['mem=4G'] })!, /--sbatch-arg takes one sbatch option/);
  assert.equal(defaultCpusPerTask('auto', true), 1);
  assert.equal(defaultCpusPerTask('auto', false), 2);
  assert.equal(defaultCpusPerTask('wasm', true), 2);
  assert.throws(() => prepareSlurmArray({ points: [], experimentFile: '/x', runsRoot: '/r', cli: ['node'], options: {} }), (e: unknown) => e instanceof SlurmError && e.kind === 'options');
});

test('submitting: the script and the manifest beside the runs, the job id from sbatch; a missing sbatch or a refusal is a SlurmError naming it', async () => {
  const { dir, cleanup } = tempDir('slurm-submit2');
  try {
    const points = manifest.points.map((p) => ({ experiment: 'exp', runName: p.runName, configName: p.configName, sweepValues: p.sweepValues }));
    const array = prepareSlurmArray({ points, experimentFile: '/x/exp.experiment.json', runsRoot: dir, cli: ['node', '/td/bin/training-dynamics.js'], options: { maxParallel: 2 } });
    assert.equal(array.logDir, path.join(dir, 'exp', '.slurm'));
    assert.match(array.script, /#SBATCH --array=0-2%2/);
    const calls: string[][] = [];
    const s = await submitSlurmArray(array, { run: async (cmd, args) => (calls.push([cmd, ...args]), ok('4242\n')), now: new Date('2026-12-01T10:00:00Z') });
    assert.equal(s.jobId, '4242');
    assert.deepEqual(calls, [['sbatch', '--parsable', s.scriptFile]]);
    assert.equal(readFileSync(s.scriptFile, 'utf8'), array.script);
    const m = JSON.parse(readFileSync(s.manifestFile, 'utf8'));
    assert.deepEqual(m.points.map((p: { task: number; runName: string }) => [p.task, p.runName]), [[0, 'tiny_seed=0'], [1, 'tiny_seed=1'], [2, 'tiny_seed=2']]);
    await assert.rejects(submitSlurmArray(array, { run: async () => missing, what: 'Run Sweep on Slurm' }), (e: unknown) => {
      assert.ok(e instanceof SlurmError && e.kind === 'missing', String(e));
      assert.match(e.message, /^Run Sweep on Slurm needs Slurm's sbatch command, which is not on PATH .*The script is in /);
      assert.ok(e.scriptFile && existsSync(e.scriptFile));
      return true;
    });
    await assert.rejects(
      submitSlurmArray(array, { run: async () => ({ code: 1, stdout: '', stderr: 'sbatch: error: invalid partition', missing: false }) }),
      /sbatch refused the job \(exit 1\): sbatch: error: invalid partition/,
    );
  } finally {
    cleanup();
  }
});

test('array states from sacct, else squeue one job at a time (accounting off), else the reason nobody answered', async () => {
  const sacct = await readSlurmStates(['7'], { run: async (cmd) => (cmd === 'sacct' ? ok('7_0|RUNNING|0:0\n7_1|PENDING|0:0\n') : missing) });
  assert.equal(sacct.source, 'sacct');
  assert.deepEqual(sacct.byJob.get('7')!.map((t) => t.state), ['RUNNING', 'PENDING']);
  const asked: string[] = [];
  const squeue = await readSlurmStates(['7', '8'], {
    run: async (cmd, args) => {
      asked.push(`${cmd} ${args.includes('-j') ? args[args.indexOf('-j') + 1] : ''}`);
      if (cmd === 'sacct') return { code: 1, stdout: '', stderr: 'sacct: error: Slurm accounting storage is disabled', missing: false };
      return args.includes('8') ? { code: 1, stdout: '', stderr: 'slurm_load_jobs error: Invalid job id specified', missing: false } : ok('7_0|COMPLETED|None\n');
    },
  });
  assert.deepEqual(asked, ['sacct 7,8', 'squeue 7', 'squeue 8']);
  assert.equal(squeue.source, 'squeue');
  assert.equal(squeue.sacctFailed, true);
  assert.deepEqual([...squeue.byJob.keys()], ['7'], 'an aged-out job is simply not known');
  const nobody = await readSlurmStates(['7'], { run: async () => missing });
  assert.equal(nobody.source, null);
  assert.match(nobody.problem!, /sacct is not installed; squeue is not installed/);
});
