/**
 * The CLI end to end as a separate process (extension/cli/entry.ts through tsx, which is what
 * bin/training-dynamics.js runs from the bundle): a tiny run with --json, several configs run in sequence,
 * a diverging run (exit 1), and Ctrl-C (SIGINT → the run is marked stopped, exit 130).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isMetricsRecord, type RunJson } from '../../extension/shared/protocol';
import { readRun } from '../../extension/engine/runs';
import { REPO, decodeSafetensorsFile, tempDir, tinyExperiment } from './runs-fixture';

const ENTRY = path.join(REPO, 'extension', 'cli', 'entry.ts');
const { dir, cleanup } = tempDir('cli-run');
after(cleanup);
const file = path.join(dir, 'unit.experiment.json');
writeFileSync(file, tinyExperiment(25));

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
}

const JSON_KEYS = ['config', 'status', 'backend', 'epochs', 'epochsPerSecond', 'final', 'memorizationEpoch', 'generalizationEpoch', 'transitions', 'runDir'];

test('run --json: exit 0, one JSON line of exactly the documented shape, a complete run directory', () => {
  const out = path.join(dir, 'runs-json');
  const r = cli(['run', file, '--config', 'tiny', '--epochs', '15', '--out', out, '--backend', 'cpu', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, r.stdout);
  const j = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(j), JSON_KEYS);
  assert.deepEqual(Object.keys(j.final), ['trainLoss', 'trainAcc', 'testLoss', 'testAcc']);
  assert.equal(j.config, 'tiny');
  assert.equal(j.status, 'completed');
  assert.equal(j.backend, 'cpu');
  assert.equal(j.epochs, 15);
  assert.ok(j.epochsPerSecond > 0);
  for (const k of ['trainLoss', 'trainAcc', 'testLoss', 'testAcc']) assert.equal(typeof j.final[k], 'number', k);
  for (const k of ['memorizationEpoch', 'generalizationEpoch']) assert.ok(j[k] === null || Number.isInteger(j[k]), k);
  for (const t of j.transitions) assert.deepEqual(Object.keys(t), ['layer', 'epoch', 'kind']);
  // Progress and the summary went to stderr.
  assert.match(r.stderr, /epoch 15\/15/);
  assert.match(r.stderr, /run directory/);

  assert.equal(path.dirname(j.runDir), path.join(out, 'unit-tiny'));
  assert.match(path.basename(j.runDir), /^tiny-\d{8}-\d{6}-\d{3}$/);
  const run = JSON.parse(readFileSync(path.join(j.runDir, 'run.json'), 'utf8')) as RunJson;
  assert.equal(run.status, 'completed');
  assert.equal(run.epochsCompleted, 15);
  assert.equal(run.config.training.epochs, 15);
  assert.equal(run.experimentFile, file);
  assert.deepEqual(run.summary?.final, j.final);

  const lines2 = readFileSync(path.join(j.runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean);
  const records = lines2.map((l) => JSON.parse(l));
  for (const rec of records) assert.ok(isMetricsRecord(rec), JSON.stringify(rec).slice(0, 200));
  assert.equal(records.filter((x) => x.type === 'epoch').length, 15);
  const last = records.filter((x) => x.type === 'epoch').pop();
  assert.equal(last.trainLoss, j.final.trainLoss);

  const ckpts = readdirSync(path.join(j.runDir, 'checkpoints')).sort();
  assert.deepEqual(ckpts, ['epoch-000010.safetensors', 'epoch-000015.safetensors']);
  const st = decodeSafetensorsFile(path.join(j.runDir, 'checkpoints', 'epoch-000015.safetensors'));
  // p = 7, one-hot input (2p), hidden 8, p classes.
  assert.deepEqual(st.tensors['layers.0.kernel'].shape, [14, 8]);
  assert.deepEqual(st.tensors['layers.0.bias'].shape, [8]);
  assert.deepEqual(st.tensors['layers.1.kernel'].shape, [8, 7]);
  assert.equal(st.metadata?.epoch, '15');
  assert.equal(JSON.parse(st.metadata!.metrics).epoch, 15);
  const l2 = Math.hypot(...st.tensors['layers.0.kernel'].data);
  assert.ok(Math.abs(l2 - last.weightNorms['layers.0.kernel']) < 1e-4 * l2, `${l2} vs ${last.weightNorms['layers.0.kernel']}`);
});

test('run --all --jobs 1 runs every config in sequence; plain output has the summary on stdout', () => {
  const out = path.join(dir, 'runs-all');
  const r = cli(['run', file, '--all', '--jobs', '1', '--epochs', '3', '--out', out, '--backend', 'cpu']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /tiny: completed/);
  assert.match(r.stdout, /long: completed/);
  assert.ok(r.stdout.indexOf('tiny: completed') < r.stdout.indexOf('long: completed'));
  assert.match(r.stdout, /memorization +(never|epoch \d+)/);
  assert.match(r.stdout, /backend +cpu/);
  const dirs = readdirSync(path.join(out, 'unit-tiny'));
  assert.equal(dirs.length, 2);
});

test('a run that fails (diverges) exits 1 and leaves run.json failed with the reason', async () => {
  const bad = path.join(dir, 'diverge.experiment.json');
  writeFileSync(bad, tinyExperiment(20, 'unit-diverge').replace('"name": "adamw", "lr": 0.01, "weightDecay": 0.1', '"name": "sgd", "lr": 1e30'));
  const r = cli(['run', bad, '--config', 'tiny', '--out', path.join(dir, 'runs-bad'), '--backend', 'cpu', '--json']);
  assert.equal(r.status, 1, r.stderr);
  const j = JSON.parse(r.stdout.trim());
  assert.equal(j.status, 'failed');
  const { run } = await readRun(j.runDir);
  assert.equal(run.status, 'failed');
  assert.match(run.reason ?? '', /diverged/);
  assert.match(r.stderr, /error: training diverged/);
});

test('Ctrl-C (SIGINT) stops the run cleanly: run.json stopped, exit 130', async () => {
  const out = path.join(dir, 'runs-int');
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'run', file, '--config', 'long', '--out', out, '--backend', 'cpu', '--json'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const sent = new Promise<void>((resolve) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/epoch \d+\/200000/.test(stderr) && !child.killed) {
        child.kill('SIGINT');
        resolve();
      }
    });
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  await sent;
  assert.equal(code, 130, stderr);
  const j = JSON.parse(stdout.trim());
  assert.equal(j.status, 'stopped');
  const { run, records } = await readRun(j.runDir);
  assert.equal(run.status, 'stopped');
  assert.equal(run.reason, 'stopped by user');
  assert.ok(run.epochsCompleted >= 1);
  assert.equal(records.filter((x) => x.type === 'epoch').pop()?.epoch, run.epochsCompleted);
});

test('a second Ctrl-C exits at once, and run.json still ends as stopped', async () => {
  const out = path.join(dir, 'runs-int2');
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'run', file, '--config', 'long', '--out', out, '--backend', 'cpu'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout.resume();
  child.stderr.on('data', (d) => {
    stderr += d;
    if (/epoch \d+\/200000/.test(stderr) && !child.killed) {
      child.kill('SIGINT');
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 130, stderr);
  const runDir = /→ (\S+)/.exec(stderr)![1];
  const { run } = await readRun(runDir);
  assert.equal(run.status, 'stopped');
  assert.match(run.reason ?? '', /stopped by user|second Ctrl-C/);
  assert.ok(run.endedAt);
});
