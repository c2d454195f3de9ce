import { test } from 'node:test';
import assert from 'node:assert/strict';
import { differingKeys, folderRunName, panelTitle, distinguishingLabels, flattenConfig, MAX_LABEL_KEYS, shortKeys, timeText, type LabelSource } from '../../extension/shared/runLabels';

const cfg = (lr: number, wd: number, extra: Record<string, unknown> = {}) => ({
  task: { kind: 'modular', p: 13, trainFraction: 0.5 },
  model: { hidden: [64], activation: 'relu' },
  optimizer: { name: 'adamw', lr, weightDecay: wd },
  training: { epochs: 100 },
  ...extra,
});

test('flattenConfig: dotted leaves, arrays as one leaf', () => {
  assert.deepEqual([...flattenConfig({ a: { b: 1, c: [1, 2] }, d: 'x' })], [
    ['a.b', '1'],
    ['a.c', '[1,2]'],
    ['d', 'x'],
  ]);
});

test('shortKeys: last segment unless another key ends the same', () => {
  const s = shortKeys(['optimizer.lr', 'model.hidden', 'task.noise', 'data.noise']);
  assert.equal(s.get('optimizer.lr'), 'lr');
  assert.equal(s.get('model.hidden'), 'hidden');
  assert.equal(s.get('task.noise'), 'task.noise');
  assert.equal(s.get('data.noise'), 'data.noise');
});

test('a sweep: only the swept values, swept keys first, no config name when all share it', () => {
  const runs: LabelSource[] = [
    { runName: 'grid_lr=0.001_weightDecay=0', configName: 'grid', config: cfg(0.001, 0), sweepValues: { 'optimizer.lr': 0.001, 'optimizer.weightDecay': 0 } },
    { runName: 'grid_lr=0.01_weightDecay=0', configName: 'grid', config: cfg(0.01, 0), sweepValues: { 'optimizer.lr': 0.01, 'optimizer.weightDecay': 0 } },
    { runName: 'grid_lr=0.001_weightDecay=1', configName: 'grid', config: cfg(0.001, 1), sweepValues: { 'optimizer.lr': 0.001, 'optimizer.weightDecay': 1 } },
  ];
  assert.deepEqual(differingKeys(runs), ['optimizer.lr', 'optimizer.weightDecay']);
  assert.deepEqual(distinguishingLabels(runs).map((l) => l.label), ['lr=0.001 weightDecay=0', 'lr=0.01 weightDecay=0', 'lr=0.001 weightDecay=1']);
  assert.match(distinguishingLabels(runs)[1].detail, /optimizer\.lr = 0\.01/);
});

test('different configs: the config name and what differs; unchanged keys never appear', () => {
  const l = distinguishingLabels([
    { runName: 'grok', configName: 'grok', config: cfg(0.001, 1) },
    { runName: 'no-wd', configName: 'no-wd', config: cfg(0.001, 0) },
  ]).map((x) => x.label);
  assert.deepEqual(l, ['grok weightDecay=1', 'no-wd weightDecay=0']);
  for (const s of l) assert.doesNotMatch(s, /lr=|hidden|epochs/);
});

test('the same config run three times: told apart by start time only', () => {
  const t = ['2026-01-01T10:00:00.000Z', '2026-01-01T10:05:00.000Z', '2026-01-01T10:09:30.000Z'];
  const runs = t.map((startedAt) => ({ runName: 'long', configName: 'long', config: cfg(0.01, 0.5), startedAt }));
  const l = distinguishingLabels(runs).map((x) => x.label);
  assert.deepEqual(l, t.map((s) => `long · ${timeText(s, false)}`));
  assert.equal(new Set(l).size, 3);
  // Over several days the date is shown too.
  const two = distinguishingLabels([runs[0], { ...runs[1], startedAt: '2026-01-03T10:00:00.000Z' }]).map((x) => x.label);
  assert.match(two[1], /^long · 2026-01-0\d \d\d:\d\d:\d\d$/);
});

test('only runs that collide get a time; a single run is its run name', () => {
  const l = distinguishingLabels([
    { runName: 'a', configName: 'a', config: cfg(1, 0), startedAt: '2026-01-01T10:00:00Z' },
    { runName: 'a', configName: 'a', config: cfg(1, 0), startedAt: '2026-01-01T11:00:00Z' },
    { runName: 'a', configName: 'a', config: cfg(2, 0), startedAt: '2026-01-01T12:00:00Z' },
  ]).map((x) => x.label);
  assert.match(l[0], /^lr=1 · \d\d:\d\d:\d\d$/);
  assert.equal(l[2], 'lr=2');
  assert.deepEqual(distinguishingLabels([{ runName: 'solo', config: cfg(1, 0) }]).map((x) => x.label), ['solo']);
  assert.deepEqual(distinguishingLabels([]), []);
});

test('many differing keys: at most MAX_LABEL_KEYS in the label, all in the detail', () => {
  const mk = (i: number) => ({ runName: 'r', configName: 'r', config: { a: i, b: i, c: i, d: i, e: i, f: i } });
  const [l] = distinguishingLabels([mk(1), mk(2)]);
  assert.equal(l.label, 'a=1 b=1 c=1 d=1 …');
  assert.equal(MAX_LABEL_KEYS, 4);
  assert.equal(l.detail.split('\n').length, 7);
});

test('a key present in only some runs reads as — in the others', () => {
  const l = distinguishingLabels([
    { runName: 'x', configName: 'x', config: { task: { kind: 'modular', p: 13 } } },
    { runName: 'x', configName: 'x', config: { task: { kind: 'sine', frequency: 2 } } },
  ]).map((x) => x.label);
  assert.deepEqual(l, ['kind=modular p=13 frequency=—', 'kind=sine p=— frequency=2']);
});

test('tab titles: what differs, not the folder name', () => {
  assert.equal(folderRunName('tiny_lr=0.01_weightDecay=0.3-20261202-125433-179'), 'tiny_lr=0.01_weightDecay=0.3');
  assert.equal(panelTitle([{ runName: 'tiny' }], null), 'Dynamics: tiny');
  const point = { runName: 'tiny_lr=0.01_weightDecay=0.3', configName: 'tiny', sweepValues: { 'optimizer.lr': 0.01, 'optimizer.weightDecay': 0.3 } };
  assert.equal(panelTitle([point], null), 'Dynamics: tiny lr=0.01 weightDecay=0.3');
  assert.equal(panelTitle([point, point], ['optimizer.lr', 'optimizer.weightDecay'], 6), 'Sweep lr × weightDecay (6 runs)');
  assert.equal(panelTitle([point, point], null), 'Compare 2 runs');
  assert.equal(panelTitle([], null), 'Dynamics');
});
