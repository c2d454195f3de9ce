import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseExperiment, resolveRuns, formatProblem, expandGrid, sweepRunName, BASE_DEFAULTS, TASK_DEFAULTS } from '../../extension/engine/config';
import schema from '../../extension/engine/config/schema.json';

const base = (configs: string, extra = '') => `{
  "name": "t",
  "defaults": { "task": { "kind": "modular", "p": 7 } },
  "configs": [${configs}]${extra}
}`;

function only(text: string) {
  const p = parseExperiment(text).problems;
  assert.equal(p.length, 1, p.map((x) => formatProblem(x)).join('\n'));
  return p[0];
}

test('every sample and quick variant validates, expands into the expected runs and has a study block', () => {
  const dir = join(__dirname, '..', '..', 'samples');
  const expected: Record<string, [number, number]> = {
    'grokking-mod97.experiment.json': [2, 0],
    'quickstart.experiment.json': [3, 6],
    'optimizer-landscape.experiment.json': [4, 72],
    'dead-neurons.experiment.json': [2, 8],
    'double-descent.experiment.json': [1, 11],
    'memorization.experiment.json': [2, 28],
    'activation-sparsity.experiment.json': [2, 24],
    'loss-curve-forms.experiment.json': [4, 12],
    'gradnorm-transitions.experiment.json': [6, 18],
    'benford-weights.experiment.json': [2, 6],
    'spectra-vs-mp.experiment.json': [2, 12],
    'quick/optimizer-landscape.experiment.json': [4, 36],
    'quick/double-descent.experiment.json': [1, 5],
    'quick/memorization.experiment.json': [2, 12],
    'quick/activation-sparsity.experiment.json': [2, 16],
    'quick/loss-curve-forms.experiment.json': [4, 8],
    'quick/gradnorm-transitions.experiment.json': [4, 8],
    'quick/benford-weights.experiment.json': [2, 4],
    'quick/spectra-vs-mp.experiment.json': [2, 4],
  };
  const studies = ['activation-sparsity', 'optimizer-landscape', 'loss-curve-forms', 'gradnorm-transitions', 'memorization', 'benford-weights', 'spectra-vs-mp', 'double-descent'];
  const files = [
    ...readdirSync(dir).filter((f) => f.endsWith('.experiment.json')),
    ...readdirSync(join(dir, 'quick')).filter((f) => f.endsWith('.experiment.json')).map((f) => `quick/${f}`),
  ];
  assert.deepEqual(files.sort(), Object.keys(expected).sort());
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    const p = parseExperiment(text);
    assert.deepEqual(p.problems.filter((x) => x.severity === 'error').map((x) => formatProblem(x)), [], f);
    assert.equal(p.configs.length, expected[f][0], f);
    assert.equal(p.sweep?.runNames.length ?? 0, expected[f][1], f);
    const all = resolveRuns(text, { all: true, sweep: !!p.sweep });
    assert.equal(all.runs.length, expected[f][0] + expected[f][1], f);
    assert.equal(new Set(all.runs.map((r) => r.runName)).size, all.runs.length, `${f}: run names unique`);
  }
  for (const s of studies) {
    for (const f of [`${s}.experiment.json`, `quick/${s}.experiment.json`]) {
      const p = parseExperiment(readFileSync(join(dir, f), 'utf8'));
      assert.ok(p.study?.metric && p.study.by?.length, `${f} has a study block with a metric and axes`);
      assert.equal(p.name, f.startsWith('quick/') ? `${s}-quick` : s, `${f}: its runs go to their own folder`);
    }
  }
});

test('syntax errors are located', () => {
  const p = parseExperiment('{\n  "name": "x",\n  "configs": [ { "name": "a" ]\n}').problems[0];
  assert.match(p.message, /syntax error/);
  assert.equal(p.line, 3);
  // Comments and trailing commas are allowed (JSONC).
  assert.deepEqual(parseExperiment(base('{ "name": "a", /* trailing comma */ }', '')).problems, []);
});

test('unknown keys say "did you mean"', () => {
  const p = only(base('{ "name": "a", "optimizer": { "weightDecy": 1 } }'));
  assert.equal(p.path, 'configs[0].optimizer.weightDecy');
  assert.match(p.message, /unknown key 'weightDecy' — did you mean 'weightDecay'\?/);
  const top = only(base('{ "name": "a" }').replace('"defaults"', '"defualts"').replace('"name": "t",', '"name": "t", "defaults": {"task": {"kind": "modular"}},'));
  assert.match(top.message, /did you mean 'defaults'/);
});

test('wrong types, enums and ranges, with line and column', () => {
  const text = base(`
    { "name": "a",
      "optimizer": { "lr": -1, "name": "adamx" },
      "training": { "epochs": 1.5, "batchSize": "half" },
      "model": { "hidden": [0], "bias": "yes" } }`);
  const probs = parseExperiment(text).problems.map((p) => `${p.path}|${p.message}|${p.line}:${p.column}`);
  const find = (path: string) => probs.find((p) => p.startsWith(path + '|'));
  assert.match(find('configs[0].optimizer.lr')!, /must be > 0\|6:28$/);
  assert.match(find('configs[0].optimizer.name')!, /must be one of "sgd", "momentum", "adam", "adamw" — did you mean "adam"\?/);
  assert.match(find('configs[0].training.epochs')!, /must be an integer/);
  assert.match(find('configs[0].training.batchSize')!, /must be integer ≥ 1 or "full"/);
  assert.match(find('configs[0].model.hidden[0]')!, /must be ≥ 1/);
  assert.match(find('configs[0].model.bias')!, /must be a boolean/);
  assert.equal(formatProblem(parseExperiment(text).problems.find((p) => p.path === 'configs[0].optimizer.lr')!), 'configs[0].optimizer.lr: must be > 0 (line 6, col 28)');
});

test('required names, duplicate names, empty configs, missing task, task kind', () => {
  assert.match(only(base('{ "optimizer": {} }')).message, /missing required 'name'/);
  const dup = parseExperiment(base('{ "name": "a" }, { "name": "a" }'));
  assert.deepEqual(dup.problems.map((p) => p.path), ['configs[1].name', 'configs[0].name']);
  assert.ok(dup.problems.every((p) => /duplicate config name 'a'/.test(p.message)));
  assert.match(only(base('')).message, /at least 1 item/);
  const noTask = parseExperiment('{ "name": "t", "configs": [ { "name": "a" } ] }').problems;
  assert.match(noTask[0].message, /no task/);
  assert.match(only(base('{ "name": "a", "task": { "kind": "modulr" } }')).message, /must be one of "modular", "polynomial", "sine", "teacher" — did you mean "modular"\?/);
  assert.match(only(base('{ "name": "a", "task": { "p": 7 } }')).message, /missing 'kind'/);
  // A field of another task kind is unknown for this kind.
  assert.match(only(base('{ "name": "a", "task": { "kind": "modular", "nTrain": 10 } }')).message, /unknown key 'nTrain'/);
});

test('cross-field rules: prime modulus, frozen layers, lr × weight decay', () => {
  const p = only(base('{ "name": "a", "task": { "kind": "modular", "p": 91 } }'));
  assert.equal(p.path, 'configs[0].task.p');
  assert.match(p.message, /must be prime \(91 = 7 × 13\)/);
  assert.match(only(base('{ "name": "a", "model": { "hidden": [8], "freeze": [2] } }')).message, /layer 2 does not exist/);
  assert.match(only(base('{ "name": "a", "optimizer": { "name": "adamw", "lr": 0.5, "weightDecay": 2 } }')).message, /lr × weightDecay = 1 ≥ 1/);
});

test('a field of another optimizer is a warning on its key (momentum, nesterov with adamw; beta1 with sgd), a field of this one is none', () => {
  const text = base('{ "name": "a", "optimizer": { "name": "adamw", "momentum": 0.9, "nesterov": true, "beta1": 0.9 } }');
  const probs = parseExperiment(text).problems;
  assert.deepEqual(probs.map((p) => [p.path, p.severity]), [['configs[0].optimizer.momentum', 'warning'], ['configs[0].optimizer.nesterov', 'warning']]);
  assert.match(probs[0].message, /^'momentum' has no effect with the 'adamw' optimizer \(it applies to 'momentum'\)$/);
  assert.equal(text.slice(probs[0].offset, probs[0].offset + probs[0].length), '"momentum"');
  // The optimizer in effect comes from defaults when the config names none (built-in default: adamw).
  assert.deepEqual(parseExperiment(base('{ "name": "a", "optimizer": { "momentum": 0.9 } }')).problems.map((p) => p.severity), ['warning']);
  const sgd = parseExperiment('{ "name": "t", "defaults": { "task": { "kind": "modular", "p": 7 }, "optimizer": { "name": "sgd" } }, "configs": [ { "name": "a", "optimizer": { "beta1": 0.8 } } ] }').problems;
  assert.deepEqual(sgd.map((p) => p.path), ['configs[0].optimizer.beta1']);
  assert.deepEqual(parseExperiment(base('{ "name": "a", "optimizer": { "name": "momentum", "momentum": 0.9, "nesterov": true } }')).problems, []);
});

test('problems inside defaults make every config invalid, and are located in defaults', () => {
  const text = '{ "name": "t", "defaults": { "task": { "kind": "modular", "p": 8 } }, "configs": [ { "name": "a" }, { "name": "b", "task": { "kind": "modular", "p": 7 } } ] }';
  const parsed = parseExperiment(text);
  const a = parsed.configs.find((c) => c.name === 'a')!;
  assert.equal(a.valid, false);
  assert.ok(a.problems.some((p) => /must be prime/.test(p.message)));
  // b overrides p with a prime, so only the defaults' own problem remains on b's list (inherited), and runs are refused.
  const r = resolveRuns(text, { config: 'a' });
  assert.equal(r.runs.length, 0);
  assert.ok(r.problems.length > 0);
});

test('sweep: bad paths, bad values, unknown config names', () => {
  const s = (grid: string, configs = '') => base('{ "name": "a" }', `, "sweep": { ${configs} "grid": { ${grid} } }`);
  assert.match(only(s('"optimizer.lrr": [1]')).message, /'optimizer.lrr' is not a config field — did you mean 'optimizer.lr'\?/);
  assert.match(only(s('"optimizer.lr": 0.1')).message, /must be an array/);
  assert.match(only(s('"optimizer.lr": []')).message, /at least 1 item/);
  assert.match(only(s('"optimizer.lr": [0.1, -2]')).message, /sweep.grid.optimizer.lr\[1\]|must be > 0/);
  assert.equal(only(s('"optimizer.lr": [0.1, -2]')).path, 'sweep.grid.optimizer.lr[1]');
  assert.match(only(s('"optimizer.lr": [0.1]', '"configs": ["b"],')).message, /no config named 'b'/);
});

test('sweep expansion: cartesian product, names, precedence', () => {
  assert.equal(expandGrid({ a: [1, 2, 3], b: ['x', 'y'] }).length, 6);
  assert.equal(sweepRunName('adamw', { 'optimizer.lr': 0.001, 'optimizer.weightDecay': 0 }), 'adamw_lr=0.001_weightDecay=0');
  assert.equal(sweepRunName('c', { 'model.hidden': [64, 64] }), 'c_hidden=64x64');
  const text = `{ "name": "t",
    "defaults": { "task": { "kind": "modular", "p": 7 }, "optimizer": { "lr": 0.1, "beta2": 0.9 }, "training": { "epochs": 10 } },
    "configs": [ { "name": "a", "optimizer": { "lr": 0.2 } } ],
    "sweep": { "grid": { "optimizer.lr": [0.3, 0.4], "training.seed": [1, 2] } } }`;
  const r = resolveRuns(text, { sweep: true, epochs: 5 });
  assert.deepEqual(r.runs.map((x) => x.runName), ['a_lr=0.3_seed=1', 'a_lr=0.3_seed=2', 'a_lr=0.4_seed=1', 'a_lr=0.4_seed=2']);
  const c = r.runs[3].config;
  assert.equal(c.optimizer.lr, 0.4, 'sweep point over config');
  assert.equal(c.optimizer.beta2, 0.9, 'experiment defaults over built-ins');
  assert.equal(c.optimizer.eps, BASE_DEFAULTS.optimizer.eps);
  assert.equal(c.training.seed, 2);
  assert.equal(c.training.epochs, 5, 'CLI override last');
  assert.equal(c.task.kind === 'modular' && c.task.trainFraction, TASK_DEFAULTS.modular.trainFraction);
  assert.deepEqual(r.runs[0].sweepValues, { 'optimizer.lr': 0.3, 'training.seed': 1 });
  const one = resolveRuns(text, { config: 'a' });
  assert.equal(one.runs[0].config.optimizer.lr, 0.2, 'config over defaults');
  assert.match(resolveRuns(text, { config: 'nope' }).problems[0].message, /no config named 'nope' \(configs: a\)/);
});

test('config locations point at each config object (for CodeLens) and the sweep', () => {
  const text = base('\n    { "name": "first" },\n    { "name": "second", "optimizer": { "lr": -1 } }', ', "sweep": { "grid": { "training.seed": [1, 2] } }');
  const p = parseExperiment(text);
  assert.deepEqual(p.configs.map((c) => [c.name, text.slice(c.offset, c.offset + 1), text.slice(c.nameOffset, c.nameOffset + 7)]), [
    ['first', '{', '"first"'], ['second', '{', '"second'],
  ]);
  assert.deepEqual(p.configs.map((c) => c.valid), [true, false]);
  assert.equal(text.slice(p.sweep!.offset, p.sweep!.offset + 7), '"sweep"');
  assert.deepEqual(p.sweep!.runNames, ['first_seed=1', 'first_seed=2']);
  assert.equal(p.sweep!.valid, false, 'a sweep over an invalid config is not runnable');
});

test('schema and validator agree: every schema property has a description and a default or is structural', () => {
  const walk = (s: Record<string, unknown>, path: string): void => {
    const props = (s.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const [k, sub] of Object.entries(props)) {
      if (k === '$schema') continue;
      assert.ok(typeof sub.description === 'string' && (sub.description as string).length > 5, `${path}.${k} has no description`);
      if (sub.properties) walk(sub, `${path}.${k}`);
      if (sub.oneOf) (sub.oneOf as Record<string, unknown>[]).forEach((b) => walk(b, `${path}.${k}`));
    }
  };
  walk(schema as unknown as Record<string, unknown>, '');
  // Built-in defaults come from the schema, so they validate.
  const text = JSON.stringify({ name: 'd', defaults: { ...BASE_DEFAULTS, task: TASK_DEFAULTS.modular }, configs: [{ name: 'x' }] });
  assert.deepEqual(parseExperiment(text).problems, []);
});
