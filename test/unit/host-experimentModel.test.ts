import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyProbeDefaults,
  configAtOffset,
  describeProblems,
  explicitProbeIntervals,
  lensesFor,
} from '../../extension/host/experimentModel';
import { blockingProblems, type ConfigProblem, type ParsedExperiment } from '../../extension/engine/config';
import type { TrainingConfig } from '../../extension/shared/configTypes';

const problem = (message: string, offset: number, severity: ConfigProblem['severity'] = 'error'): ConfigProblem => ({
  path: 'configs[1].optimizer.lr', message, line: 3, column: 7, offset, length: 4, severity,
});

const parsed: ParsedExperiment = {
  name: 'exp',
  problems: [],
  configs: [
    { name: 'a', index: 0, offset: 20, length: 50, nameOffset: 30, problems: [], valid: true },
    { name: 'b', index: 1, offset: 80, length: 40, nameOffset: 90, problems: [problem('must be > 0', 100)], valid: false },
  ],
  sweep: { offset: 130, length: 30, configNames: ['a'], runNames: ['a-lr1', 'a-lr2', 'a-lr3'], axes: ['optimizer.lr'], problems: [], valid: true },
  study: null,
};

test('configAtOffset finds the config around the cursor, including its braces, and nothing between configs', () => {
  assert.equal(configAtOffset(parsed, 20)?.name, 'a');
  assert.equal(configAtOffset(parsed, 70)?.name, 'a');
  assert.equal(configAtOffset(parsed, 75), undefined);
  assert.equal(configAtOffset(parsed, 95)?.name, 'b');
  assert.equal(configAtOffset(parsed, 125), undefined);
});

test('lenses: one train lens per config (invalid ones too), show where runs exist, sweep with its run count', () => {
  const lenses = lensesFor(parsed, (name) => name === 'b');
  assert.deepEqual(lenses.map((l) => [l.kind, l.offset]), [['train', 30], ['train', 90], ['show', 90], ['sweep', 130]]);
  assert.equal(lenses[0].title, '▶ Train this config');
  assert.match(lenses[1].title, /has errors/);
  assert.equal(lenses[3].title, '▶ Run sweep (3 runs)');
  assert.equal(lensesFor({ ...parsed, sweep: null }, () => false).length, 2);
});

test('blocking problems: file-wide errors and the config own ones, not other configs', () => {
  const fileWide = (message: string, offset: number, severity: ConfigProblem['severity'] = 'error') => ({ ...problem(message, offset, severity), path: 'nmae' });
  // parsed.problems lists every problem of the file, the other config's too.
  const withFile: ParsedExperiment = { ...parsed, problems: [fileWide('unknown key "nmae"', 5), fileWide('deprecated', 6, 'warning'), problem('must be > 0', 100)] };
  const p = blockingProblems(withFile, withFile.configs[1]);
  assert.deepEqual(p.map((x) => x.message), ['unknown key "nmae"', 'must be > 0']);
  assert.deepEqual(blockingProblems(withFile, withFile.configs[0]).map((x) => x.message), ['unknown key "nmae"']);
});

test('describeProblems names the problems and counts the rest', () => {
  const ps = [1, 2, 3, 4, 5].map((i) => problem(`p${i}`, i));
  const s = describeProblems('Config "b"', ps, (p) => `${p.path}: ${p.message}`, 2);
  assert.equal(s, 'Config "b" cannot run: 5 problems — configs[1].optimizer.lr: p1; configs[1].optimizer.lr: p2; and 3 more');
});

const TEXT = `{
  // comment
  "name": "exp",
  "defaults": { "probes": { "spectrumEvery": 10 } },
  "configs": [
    { "name": "a", "probes": { "activationsEvery": 5 } },
    { "name": "b" },
  ],
  "sweep": { "configs": ["b"], "grid": { "probes.activationsEvery": [1, 2] } }
}`;

test('explicitProbeIntervals sees defaults, the config itself and swept keys', () => {
  assert.deepEqual(explicitProbeIntervals(TEXT, 'a'), { activationsEvery: true, spectrumEvery: true });
  assert.deepEqual(explicitProbeIntervals(TEXT.replace('"probes.activationsEvery"', '"optimizer.lr"'), 'b'), { activationsEvery: false, spectrumEvery: true });
  assert.deepEqual(explicitProbeIntervals(TEXT, 'b'), { activationsEvery: true, spectrumEvery: true });
  assert.deepEqual(explicitProbeIntervals('{"configs":[{"name":"x"}]}', 'x'), { activationsEvery: false, spectrumEvery: false });
});

test('applyProbeDefaults fills only what the file leaves unset, and ignores invalid settings', () => {
  const config = { probes: { activationsEvery: 100, spectrumEvery: 100, every: 1 } } as unknown as TrainingConfig;
  const out = applyProbeDefaults(config, { activationsEvery: true, spectrumEvery: false }, { activationsEvery: 7, spectrumEvery: 25 });
  assert.equal(out.probes.activationsEvery, 100);
  assert.equal(out.probes.spectrumEvery, 25);
  assert.equal(config.probes.spectrumEvery, 100, 'input not mutated');
  const same = applyProbeDefaults(config, { activationsEvery: false, spectrumEvery: false }, { activationsEvery: null, spectrumEvery: 0 });
  assert.deepEqual(same.probes, config.probes);
});

