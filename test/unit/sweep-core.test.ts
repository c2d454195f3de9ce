/** engine/sweep: the default concurrency rule, point identity and resume plans, sweep progress, Slurm ids. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunJson } from '../../extension/shared/protocol';
import {
  SweepTracker,
  concurrencyBackend,
  defaultConcurrency,
  effectiveConcurrency,
  planResume,
  pointKey,
  slurmTaskId,
  sweepProgressText,
  utilisation,
} from '../../extension/engine/sweep';

test('default concurrency counts the evaluation thread: enough runs to fill every core', () => {
  assert.equal(defaultConcurrency(1, 'wasm'), 1);
  assert.equal(defaultConcurrency(2, 'wasm'), 2);
  assert.equal(defaultConcurrency(4, 'cpu'), 3);
  assert.equal(defaultConcurrency(32, 'wasm'), 24);
  assert.equal(defaultConcurrency(32, 'tensorflow'), 1);
  assert.equal(defaultConcurrency(0, 'wasm'), 1);
  // Every core has a thread to run: runs × (1 + evaluation load) ≥ cores.
  for (const cores of [2, 3, 4, 8, 16, 64]) assert.ok(defaultConcurrency(cores, 'wasm') * (4 / 3) >= cores, String(cores));
  assert.equal(effectiveConcurrency(3, 8, 'wasm'), 3);
  assert.equal(effectiveConcurrency(0, 8, 'wasm'), 6);
  assert.equal(effectiveConcurrency(undefined, 2, 'wasm'), 2);
  assert.equal(effectiveConcurrency('x', 2, 'wasm'), 2);
});

test('a run on the native path is one thread (evaluation inline): one run a core; auto counts as native when it is built', () => {
  for (const cores of [1, 2, 8, 32]) assert.equal(defaultConcurrency(cores, 'native'), cores);
  assert.equal(effectiveConcurrency(0, 8, 'native'), 8);
  assert.equal(effectiveConcurrency(3, 8, 'native'), 3);
  assert.equal(concurrencyBackend('auto', true), 'native');
  assert.equal(concurrencyBackend('auto', false), 'auto');
  assert.equal(concurrencyBackend('wasm', true), 'wasm');
  assert.equal(defaultConcurrency(8, concurrencyBackend('auto', false)), 6);
});

test('utilisation is CPU / (wall × cores)', () => {
  assert.equal(utilisation(180_000, 100_000, 2), 0.9);
  assert.equal(utilisation(1, 0, 2), null);
});

function entry(runDir: string, configName: string, sweepValues: Record<string, unknown> | null, status: RunJson['status'], startedAt: string, experiment = 'e'): { runDir: string; run: RunJson } {
  return { runDir, run: { experiment, configName, runName: configName, sweepValues, status, startedAt } as RunJson };
}

test('a point is its experiment, config and swept values, whatever the key order or directory name', () => {
  assert.equal(pointKey({ experiment: 'e', configName: 'c', sweepValues: { a: 1, b: [2, { y: 1, x: 0 }] } }), pointKey({ experiment: 'e', configName: 'c', sweepValues: { b: [2, { x: 0, y: 1 }], a: 1 } }));
  assert.notEqual(pointKey({ experiment: 'e', configName: 'c', sweepValues: { a: 1 } }), pointKey({ experiment: 'e', configName: 'c', sweepValues: { a: 2 } }));
  assert.notEqual(pointKey({ experiment: 'e', configName: 'c', sweepValues: null }), pointKey({ experiment: 'f', configName: 'c', sweepValues: null }));
  assert.equal(pointKey({ experiment: 'e', configName: 'c' }), pointKey({ experiment: 'e', configName: 'c', sweepValues: {} }));
});

test('resume runs the points whose newest run is not completed', () => {
  const points = [
    { experiment: 'e', configName: 'c', runName: 'c_lr=1', sweepValues: { lr: 1 } },
    { experiment: 'e', configName: 'c', runName: 'c_lr=2', sweepValues: { lr: 2 } },
    { experiment: 'e', configName: 'c', runName: 'c_lr=3', sweepValues: { lr: 3 } },
    { experiment: 'e', configName: 'c', runName: 'c_lr=4', sweepValues: { lr: 4 } },
  ];
  const entries = [
    entry('/r/renamed-dir', 'c', { lr: 1 }, 'completed', '2026-01-01T00:00:01Z'),
    entry('/r/a', 'c', { lr: 2 }, 'completed', '2026-01-01T00:00:01Z'),
    entry('/r/b', 'c', { lr: 2 }, 'failed', '2026-01-01T00:00:02Z'),
    entry('/r/c', 'c', { lr: 3 }, 'failed', '2026-01-01T00:00:01Z'),
    entry('/r/d', 'c', { lr: 3 }, 'completed', '2026-01-01T00:00:02Z'),
    entry('/r/x', 'c', { lr: 4 }, 'running', '2026-01-01T00:00:02Z'),
    entry('/r/other', 'c', { lr: 2 }, 'completed', '2026-01-01T00:00:09Z', 'other-experiment'),
  ];
  const plan = planResume(points, entries);
  assert.deepEqual(plan.pending.map((p) => p.runName), ['c_lr=2', 'c_lr=4']);
  assert.deepEqual(plan.completed.map((c) => [c.point.runName, c.entry.runDir]), [['c_lr=1', '/r/renamed-dir'], ['c_lr=3', '/r/d']]);
  assert.deepEqual(plan.wasRunning.map((w) => w.entry.runDir), ['/r/x']);
  assert.deepEqual(planResume(points, []).pending.length, 4);
});

test('sweep progress: counts, fraction of epochs and ETA', () => {
  const t = new SweepTracker([10, 10, 20, 20], 0);
  assert.equal(t.snapshot(0).etaMs, null);
  assert.equal(t.snapshot(0).queued, 4);
  t.start(0);
  t.start(1);
  t.progress(0, 5);
  t.progress(1, 5);
  let s = t.snapshot(10_000);
  assert.deepEqual([s.queued, s.running, s.done], [2, 2, 0]);
  assert.equal(s.fraction, 10 / 60);
  assert.equal(s.etaMs, 50_000);
  t.finish(0, 'completed');
  t.finish(1, 'failed');
  t.start(2);
  s = t.snapshot(20_000);
  assert.deepEqual([s.done, s.completed, s.failed, s.running, s.queued], [2, 1, 1, 1, 1]);
  assert.equal(sweepProgressText(s), '2/4 done · 1 running · 1 queued · 1 failed · ETA 40 s');
  t.finish(2, 'stopped');
  t.finish(3, 'stopped');
  s = t.snapshot(30_000);
  assert.equal(s.etaMs, 0);
  assert.equal(sweepProgressText(s), '4/4 done · 0 running · 0 queued · 1 failed · 2 stopped');
});

test('the Slurm task of this process, from the environment', () => {
  assert.equal(slurmTaskId({}), null);
  assert.equal(slurmTaskId({ SLURM_JOB_ID: '12' }), '12');
  assert.equal(slurmTaskId({ SLURM_JOB_ID: '15', SLURM_ARRAY_JOB_ID: '12', SLURM_ARRAY_TASK_ID: '3' }), '12_3');
});
