import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generalizationEpochOf, landscapeGrid, varyingAxes, type LandscapeRun } from '../../extension/shared/view/landscape';
import type { RunStatus, RunSummary } from '../../extension/shared/protocol';
import { fakeRun } from './export-fixture';

function summary(gen: number | null): RunSummary {
  return { epochs: 100, epochsPerSecond: 1, final: null, memorizationEpoch: null, generalizationEpoch: gen, transitions: [], lossFits: [], bestLossFit: null };
}

function sweepRun(lr: number, wd: number, gen: number | null, status: RunStatus = 'completed', extra: Record<string, unknown> = {}): LandscapeRun {
  const dir = `/runs/lr${lr}-wd${wd}-${JSON.stringify(extra)}`;
  return { runDir: dir, run: fakeRun({ status, sweepValues: { 'optimizer.lr': lr, 'optimizer.weightDecay': wd, ...extra }, summary: status === 'running' ? null : summary(gen) }) };
}

test('landscape: axes sorted numerically, cells hold the generalization epoch or never', () => {
  const lrs = [3e-3, 1e-3, 1e-2];
  const wds = [1, 0];
  const gen = (lr: number, wd: number) => (wd === 0 ? null : Math.round(1 / lr));
  const runs = lrs.flatMap((lr) => wds.map((wd) => sweepRun(lr, wd, gen(lr, wd))));
  const g = landscapeGrid(runs, 'optimizer.lr', 'optimizer.weightDecay');
  assert.deepEqual(g.xValues, [...lrs].sort((a, b) => a - b));
  assert.deepEqual(g.yValues, [0, 1]);
  g.yValues.forEach((wd, yi) =>
    g.xValues.forEach((lr, xi) => {
      const cell = g.cells[yi][xi];
      const expected = gen(lr as number, wd as number);
      if (expected === null) assert.equal(cell.state, 'never');
      else assert.deepEqual(cell.state === 'generalized' && cell.epoch, expected);
      assert.equal(cell.runs.length, 1);
    }),
  );
  const epochs = lrs.map((lr) => gen(lr, 1)!);
  assert.equal(g.minEpoch, Math.min(...epochs));
  assert.equal(g.maxEpoch, Math.max(...epochs));
});

test('landscape: a running run without generalization is pending; shared cells take the earliest; gaps are empty', () => {
  const runs = [
    sweepRun(1, 1, 500, 'completed', { seed: 1 }),
    sweepRun(1, 1, 300, 'completed', { seed: 2 }),
    sweepRun(2, 1, null, 'running'),
    sweepRun(2, 2, null, 'completed'),
  ];
  const g = landscapeGrid(runs, 'optimizer.lr', 'optimizer.weightDecay');
  const at = (lr: number, wd: number) => g.cells[g.yValues.indexOf(wd)][g.xValues.indexOf(lr)];
  const shared = at(1, 1);
  assert.equal(shared.state, 'generalized');
  assert.equal(shared.state === 'generalized' && shared.epoch, 300);
  assert.equal(shared.runs.length, 2);
  assert.equal(at(2, 1).state, 'pending');
  assert.equal(at(2, 2).state, 'never');
  assert.equal(at(1, 2).state, 'empty');
});

test('landscape: a live run generalizes from its event before run.json has a summary', () => {
  const r = sweepRun(1, 1, null, 'running');
  assert.equal(generalizationEpochOf(r), null);
  const withEvent: LandscapeRun = { ...r, generalizationEpoch: 42 };
  assert.equal(generalizationEpochOf(withEvent), 42);
  const g = landscapeGrid([withEvent, sweepRun(2, 2, 7)], 'optimizer.lr', 'optimizer.weightDecay');
  assert.equal(g.cells[0][0].state, 'generalized');
});

test('landscape: runs missing an axis are left out; varyingAxes drops constant axes', () => {
  const runs = [sweepRun(1, 1, 10), sweepRun(2, 1, 20), { runDir: '/x', run: fakeRun({ sweepValues: null }) }];
  const g = landscapeGrid(runs, 'optimizer.lr', 'optimizer.weightDecay');
  assert.equal(g.cells.flat().reduce((n, c) => n + c.runs.length, 0), 2);
  assert.deepEqual(varyingAxes(runs.slice(0, 2), ['optimizer.lr', 'optimizer.weightDecay']), ['optimizer.lr']);
  assert.deepEqual(varyingAxes([sweepRun(1, 1, 1), sweepRun(2, 3, 1)], ['optimizer.weightDecay', 'optimizer.lr']), ['optimizer.weightDecay', 'optimizer.lr']);
});

test('landscape: non-numeric axis values keep their first-appearance order', () => {
  const mk = (opt: string, lr: number) => ({ runDir: `/${opt}${lr}`, run: fakeRun({ sweepValues: { 'optimizer.name': opt, 'optimizer.lr': lr }, summary: summary(lr * 100) }) });
  const g = landscapeGrid([mk('sgd', 2), mk('adamw', 1), mk('sgd', 1), mk('adam', 2)], 'optimizer.name', 'optimizer.lr');
  assert.deepEqual(g.xValues, ['sgd', 'adamw', 'adam']);
  assert.deepEqual(g.yValues, [1, 2]);
});
