/**
 * `run --sweep --jobs N` and `--resume` end to end as separate processes (extension/cli/entry.ts through
 * tsx; each point in its own trainer process): concurrent points with one JSON line each and the sweep
 * summary, Ctrl-C stopping every running point and starting none of the queued ones, and a CLI killed
 * mid-sweep whose re-run with --resume trains only the points that had not completed.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readRun } from '../../extension/engine/runs';
import { machineShares, sweepSummaryText } from '../../extension/cli/sweep';
import { REPO, tempDir, tinyExperiment } from './runs-fixture';

const ENTRY = path.join(REPO, 'extension', 'cli', 'entry.ts');
const { dir, cleanup } = tempDir('cli-sweep');
after(cleanup);

/** The tiny experiment with a sweep over `grid`. */
function sweepFile(name: string, grid: string): string {
  const file = path.join(dir, `${name}.experiment.json`);
  writeFileSync(file, tinyExperiment(6, name).replace(/\n\}\n$/, `,\n  "sweep": { "configs": ["tiny"], "grid": ${grid} }\n}\n`));
  return file;
}

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: REPO, encoding: 'utf8', timeout: 180_000 });
}

const jsonLines = (s: string) => s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

/**
 * The CLI as a child process; `watch` sees its output as it grows (to signal it at the right moment).
 * Resolves with the exit code and all it wrote.
 */
function cliChild(args: string[], watch: (out: { stdout: string; stderr: string; kill: (sig: NodeJS.Signals) => void }) => void) {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '', kill: (sig: NodeJS.Signals) => void (child.killed || child.kill(sig)) };
  child.stdout.on('data', (d) => {
    out.stdout += d;
    watch(out);
  });
  child.stderr.on('data', (d) => {
    out.stderr += d;
    watch(out);
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout: out.stdout, stderr: out.stderr })));
}

test('--sweep --jobs 2: every point runs, one JSON line each, a sweep summary with the cores’ utilisation', () => {
  const file = sweepFile('sweep-seeds', '{ "training.seed": [0, 1, 2] }');
  const out = path.join(dir, 'runs-seeds');
  const r = cli(['run', file, '--sweep', '--jobs', '2', '--out', out, '--backend', 'cpu', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const lines = jsonLines(r.stdout);
  assert.deepEqual(lines.map((j) => j.config).sort(), ['tiny_seed=0', 'tiny_seed=1', 'tiny_seed=2']);
  for (const j of lines) assert.equal(j.status, 'completed');
  assert.match(r.stderr, /sweep: 3 points, 2 at once/);
  assert.match(r.stderr, /sweep 3\/3 done · 0 running · 0 queued/);
  assert.match(r.stderr, /sweep: 3 points in .*2 at once — 3 completed; CPU [\d.]+ s, cores \d+ % busy \(CPU \/ \(wall × \d+ cores\)\); machine \d+ % idle, \d+ % used by other processes/);
  assert.equal(readdirSync(path.join(out, 'sweep-seeds')).length, 3);
});

test('the sweep summary names the whole machine: how idle it was and how much other processes took', () => {
  // 2 cores for 10 s = 20 000 ms of core time; 2 000 idle, the sweep's processes 12 000, other processes the rest.
  const m = machineShares({ totalMs: 5_000, idleMs: 1_000 }, { totalMs: 25_000, idleMs: 3_000 }, 12_000);
  assert.ok(m);
  assert.ok(Math.abs(m.idle - 0.1) < 1e-9 && Math.abs(m.others - 0.3) < 1e-9, JSON.stringify(m));
  assert.equal(machineShares(null, { totalMs: 1, idleMs: 0 }, 1), null);
  assert.equal(machineShares({ totalMs: 1, idleMs: 0 }, { totalMs: 1, idleMs: 0 }, 1), null);
  const text = sweepSummaryText({ total: 8, completed: 8, failed: 0, stopped: 0, notStarted: 0, wallMs: 10_000, cpuMs: 11_000, jobs: 2, cores: 2, machine: m });
  assert.match(text, /8 completed; CPU 11\.0 s, cores 55 % busy \(CPU \/ \(wall × 2 cores\)\); machine 10 % idle, 30 % used by other processes/);
});

test('Ctrl-C stops every running point (stopped) and starts none of the queued ones; exit 130', async () => {
  const file = sweepFile('sweep-int', '{ "training.epochs": [200000, 200001, 200002] }');
  const out = path.join(dir, 'runs-int');
  const { code, stdout, stderr } = await cliChild(['run', file, '--sweep', '--jobs', '2', '--out', out, '--backend', 'cpu', '--json'], (o) => {
    // Both running points have trained (the ETA appears once epochs are counted).
    if (/2 running · 1 queued · ETA \d/.test(o.stderr)) o.kill('SIGINT');
  });
  assert.equal(code, 130, stderr);
  const lines = jsonLines(stdout);
  assert.equal(lines.length, 2, stdout);
  for (const j of lines) {
    assert.equal(j.status, 'stopped');
    const { run } = await readRun(j.runDir);
    assert.equal(run.status, 'stopped');
    assert.ok(run.epochsCompleted >= 1);
  }
  assert.equal(readdirSync(path.join(out, 'sweep-int')).length, 2, 'the queued point never started');
  assert.match(stderr, /2 stopped, 1 not started/);
});

test('a CLI killed mid-sweep, re-run with --resume, trains only the points that had not completed', async () => {
  const file = sweepFile('sweep-resume', '{ "training.epochs": [200000, 4, 5] }');
  const out = path.join(dir, 'runs-resume');
  const { stdout, stderr } = await cliChild(['run', file, '--sweep', '--jobs', '2', '--out', out, '--backend', 'cpu', '--json'], (o) => {
    if (jsonLines(o.stdout).length === 2) o.kill('SIGKILL');
  });
  const first = jsonLines(stdout);
  assert.deepEqual(first.map((j) => j.config).sort(), ['tiny_epochs=4', 'tiny_epochs=5'], stderr);
  const expDir = path.join(out, 'sweep-resume');
  // The long point (first in the grid) had started before the kill.
  const waitFor = async (f: () => boolean) => {
    for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 50));
  };
  await waitFor(() => readdirSync(expDir).length === 3);
  assert.equal(readdirSync(expDir).length, 3);

  // --epochs keeps the resumed point short; it is still the same point (config and swept values).
  const r = cli(['run', file, '--sweep', '--resume', '--epochs', '3', '--out', out, '--backend', 'cpu', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const resumed = jsonLines(r.stdout);
  assert.deepEqual(resumed.map((j) => [j.config, j.status]), [['tiny_epochs=200000', 'completed']]);
  assert.match(r.stderr, /resume: 2 of 3 points already completed, skipped: tiny_epochs=4, tiny_epochs=5/);
  const dirs = readdirSync(expDir);
  assert.equal(dirs.filter((d) => d.startsWith('tiny_epochs=4-')).length, 1);
  assert.equal(dirs.filter((d) => d.startsWith('tiny_epochs=5-')).length, 1);
  assert.equal(dirs.filter((d) => d.startsWith('tiny_epochs=200000-')).length, 2);

  const again = cli(['run', file, '--sweep', '--resume', '--out', out, '--backend', 'cpu', '--json']);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stdout.trim(), '');
  assert.match(again.stderr, /every point of the selection has completed; nothing to run/);
  assert.ok(existsSync(expDir));
});
