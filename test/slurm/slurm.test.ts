/**
 * Sweeps on a real Slurm (started by scripts/test-slurm.sh, which sets SLURM_CONF and TD_SLURM_SCRATCH):
 * `training-dynamics submit --slurm` runs every point of a sweep as an array task and the runs are complete
 * and readable by the CLI; a task cancelled mid-run leaves its run marked failed with Slurm's reason, and
 * `submit --resume` submits only that point.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { listRuns, readRun } from '../../extension/engine/runs';
import { isSlurmManifest } from '../../extension/engine/sweep';

const REPO = path.resolve(__dirname, '../..');
const BIN = path.join(REPO, 'bin', 'training-dynamics.js');
const S = process.env.TD_SLURM_SCRATCH;
if (!S || !process.env.SLURM_CONF) throw new Error('run through scripts/test-slurm.sh (npm run test:slurm): it starts the Slurm daemons');
const RUNS = path.join(S, 'runs');

function experiment(name: string, grid: string): string {
  const file = path.join(S!, `${name}.experiment.json`);
  writeFileSync(
    file,
    `{
  "name": "${name}",
  "defaults": {
    "task": { "kind": "modular", "op": "add", "p": 7, "trainFraction": 0.6 },
    "model": { "hidden": [8] },
    "optimizer": { "name": "adamw", "lr": 0.01, "weightDecay": 0.1 },
    "training": { "epochs": 8 },
    "checkpoints": { "every": 0, "atEnd": true }
  },
  "configs": [{ "name": "tiny" }],
  "sweep": { "configs": ["tiny"], "grid": ${grid} }
}
`,
  );
  return file;
}

function td(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: S, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, f: () => boolean | Promise<boolean>, timeoutMs = 240_000): Promise<void> {
  const t0 = Date.now();
  while (!(await f())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** Array tasks of `job` still pending or running. */
const queued = (job: string) => sh('squeue', ['-h', '-r', '-j', job, '-o', '%i %T']).trim();

/** JobState of every task of `job` (scontrol keeps ended jobs for MinJobAge). */
function taskStates(job: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of sh('scontrol', ['-o', 'show', 'job', job]).split('\n')) {
    const id = /ArrayJobId=(\d+) ArrayTaskId=(\d+)/.exec(line);
    const st = /JobState=(\S+)/.exec(line);
    if (id && st) out.set(`${id[1]}_${id[2]}`, st[1]);
  }
  return out;
}

function submit(file: string, extra: string[] = []): string {
  const r = td(['submit', file, '--sweep', '--slurm', '--out', RUNS, '--backend', 'cpu', '--cpus-per-task', '1', '--time', '10', ...extra]);
  assert.equal(r.status, 0, r.stderr);
  const job = r.stdout.trim();
  assert.match(job, /^\d+$/, r.stdout);
  return job;
}

test('a sweep submitted as a job array: every task completes its point and the runs are readable by the CLI', async () => {
  const file = experiment('slurm-seeds', '{ "training.seed": [0, 1, 2] }');
  const job = submit(file);
  const manifest = JSON.parse(readFileSync(path.join(RUNS, 'slurm-seeds', '.slurm', `job-${job}.json`), 'utf8'));
  assert.ok(isSlurmManifest(manifest));
  assert.deepEqual(manifest.points.map((p: { runName: string }) => p.runName), ['tiny_seed=0', 'tiny_seed=1', 'tiny_seed=2']);
  await waitUntil(`array ${job}`, () => queued(job) === '');
  const states = taskStates(job);
  assert.deepEqual([...states.values()], ['COMPLETED', 'COMPLETED', 'COMPLETED'], JSON.stringify([...states]));

  const runs = (await listRuns(RUNS)).filter((e) => e.run.experiment === 'slurm-seeds');
  assert.deepEqual(runs.map((e) => e.run.runName).sort(), ['tiny_seed=0', 'tiny_seed=1', 'tiny_seed=2']);
  for (const e of runs) {
    const { run, records } = await readRun(e.runDir);
    assert.equal(run.status, 'completed', `${e.runDir}: ${run.reason}`);
    assert.equal(run.epochsCompleted, 8);
    assert.equal(records.filter((r) => r.type === 'epoch').length, 8);
    assert.equal(run.config.training.seed, Number(run.sweepValues?.['training.seed']));
    const ckpt = path.join(e.runDir, 'checkpoints', 'epoch-000008.safetensors');
    const inspect = td(['inspect', ckpt, '--json']);
    assert.equal(inspect.status, 0, inspect.stderr);
    assert.equal(JSON.parse(inspect.stdout).metadata.epoch, '8');
  }
  // Each task wrote its log where the script said.
  const logs = readdirSync(path.join(RUNS, 'slurm-seeds', '.slurm')).filter((f) => f.endsWith('.out'));
  assert.equal(logs.length, 3);
  // The CLI reads them as the sweep's completed points: nothing left to resume.
  const resume = td(['run', file, '--sweep', '--resume', '--out', RUNS, '--backend', 'cpu', '--json']);
  assert.equal(resume.status, 0, resume.stderr);
  assert.equal(resume.stdout, '');
  assert.match(resume.stderr, /3 of 3 points already completed/);
});

test('a task cancelled mid-run is marked failed with the reason; submit --resume submits only that point', async () => {
  const file = experiment('slurm-cancel', '{ "training.epochs": [6, 200000, 7] }');
  const job = submit(file);
  const expDir = path.join(RUNS, 'slurm-cancel');
  const longRun = async () => (await listRuns(RUNS)).find((e) => e.run.experiment === 'slurm-cancel' && e.run.runName === 'tiny_epochs=200000');
  await waitUntil('the long point to train', async () => {
    const e = await longRun();
    if (!e) return false;
    const metrics = path.join(e.runDir, 'metrics.jsonl');
    return existsSync(metrics) && readFileSync(metrics, 'utf8').includes('"type":"epoch"');
  });
  sh('scancel', [`${job}_1`]);
  await waitUntil(`array ${job}`, () => queued(job) === '');
  const states = taskStates(job);
  assert.equal(states.get(`${job}_0`), 'COMPLETED');
  assert.equal(states.get(`${job}_1`), 'CANCELLED');
  assert.equal(states.get(`${job}_2`), 'COMPLETED');

  const cancelled = (await longRun())!;
  const { run } = await readRun(cancelled.runDir);
  assert.equal(run.status, 'failed');
  assert.match(run.reason ?? '', new RegExp(`Slurm job ${job}_1 was ended`));
  assert.ok(run.epochsCompleted >= 1);

  const before = readdirSync(expDir).filter((d) => !d.startsWith('.')).sort();
  assert.equal(before.length, 3);
  const r = td(['submit', file, '--sweep', '--slurm', '--resume', '--epochs', '4', '--out', RUNS, '--backend', 'cpu', '--cpus-per-task', '1']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /resume: 2 of 3 points already completed, skipped: tiny_epochs=6, tiny_epochs=7/);
  const job2 = r.stdout.trim();
  const manifest = JSON.parse(readFileSync(path.join(expDir, '.slurm', `job-${job2}.json`), 'utf8'));
  assert.deepEqual(manifest.points.map((p: { runName: string }) => p.runName), ['tiny_epochs=200000']);
  await waitUntil(`array ${job2}`, () => queued(job2) === '');
  assert.deepEqual([...taskStates(job2).values()], ['COMPLETED']);
  const after = readdirSync(expDir).filter((d) => !d.startsWith('.'));
  const added = after.filter((d) => !before.includes(d));
  assert.equal(added.length, 1);
  assert.match(added[0], /^tiny_epochs=200000-/);
  const resumed = await readRun(path.join(expDir, added[0]));
  assert.equal(resumed.run.status, 'completed');
  assert.equal(resumed.run.epochsCompleted, 4);
});
