/** The Slurm job-array script (run through bash with a stand-in CLI), sbatch/sacct parsing, and `submit` without sbatch. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isSlurmEnded, parseSacct, parseSbatchJobId, slurmArrayScript, slurmEndReason } from '../../extension/engine/sweep';
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
