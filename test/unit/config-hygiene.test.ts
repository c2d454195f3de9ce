/**
 * Configs that used to be accepted and then took the process down (memory, V8 limits, non-finite numbers),
 * duplicate names that ran the wrong config, prototype-named keys, deep nesting and BOMs: each is refused
 * by the validator with a located problem, and neither `resolveRuns` (what the CLI and the extension start
 * runs from) nor the CLI starts anything for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseExperiment, resolveRuns, formatProblem, estimateResources, type MachineLimits } from '../../extension/engine/config';
import { preflight } from '../../extension/engine/config/preflight';
import { main } from '../../extension/cli/main';
import { tinyConfig } from './runs-fixture';

const GB = 1e9;
/** The machine of the report: 24 GB, Node's default 4 GB heap. */
const SMALL: MachineLimits = { memoryBytes: 24 * 2 ** 30, heapBytes: 4.3 * GB, maxArrayBytes: 2 ** 32 };

const file = (config: string, defaults = '{ "task": { "kind": "modular", "p": 7 }, "model": { "hidden": [8] }, "training": { "epochs": 10 } }') =>
  `{\n  "name": "t",\n  "defaults": ${defaults},\n  "configs": [\n    { "name": "a", ${config} }\n  ]\n}\n`;

function refused(text: string, path: RegExp, message: RegExp, limits: MachineLimits = SMALL) {
  const parsed = parseExperiment(text, limits);
  const errors = parsed.problems.filter((p) => p.severity === 'error');
  assert.ok(errors.length >= 1, `expected an error, got ${JSON.stringify(parsed.problems)}`);
  const hit = errors.find((p) => path.test(p.path) && message.test(p.message));
  assert.ok(hit, errors.map((p) => formatProblem(p)).join('\n'));
  assert.ok(hit.line >= 1 && hit.offset >= 0 && hit.length >= 1);
  assert.equal(parsed.configs[0]?.valid ?? false, false);
  for (const select of [{ config: 'a' }, { all: true }]) {
    const r = resolveRuns(text, select, limits);
    assert.equal(r.runs.length, 0, JSON.stringify(select));
    assert.ok(r.problems.some((p) => p.severity === 'error'));
  }
  return hit;
}

/** [what, config fields, path of the problem, message, the text the problem is located on]. */
const HOSTILE: [string, string, RegExp, RegExp, string][] = [
  ['prime p = 999983', '"task": { "kind": "modular", "p": 999983 }', /task\.p$/, /needs ≈ .* this machine has/, '999983'],
  ['histogramBins 1e9', '"probes": { "histogramBins": 1000000000 }', /probes\.histogramBins$/, /≤ 1000/, '1000000000'],
  ['hidden [1e8]', '"model": { "hidden": [100000000] }', /model\.hidden\[0\]$/, /the model needs ≈ .* GB for its weights and optimizer state.*this machine has 26 GB/, '100000000'],
  ['embeddingDim 1e8', '"task": { "kind": "modular", "p": 97, "input": "embedding", "embeddingDim": 100000000 }', /task\.embeddingDim$/, /the model needs ≈/, '100000000'],
  ['polynomial nTrain 1e9', '"task": { "kind": "polynomial", "nTrain": 1000000000 }', /task\.nTrain$/, /needs ≈/, '1000000000'],
  ['teacher classes 1e6', '"task": { "kind": "teacher", "mode": "classification", "classes": 1000000 }', /task\.classes$/, /needs ≈/, '1000000'],
  ['lr 1e309 (Infinity)', '"optimizer": { "lr": 1e309 }', /optimizer\.lr$/, /must be a finite number \(1e309 is out of range\)/, '1e309'],
];

for (const [what, config, at, message, located] of HOSTILE) {
  test(`refused before any process starts: ${what}`, () => {
    const text = file(config);
    const hit = refused(text, at, message);
    assert.equal(text.slice(hit.offset, hit.offset + hit.length), located, formatProblem(hit));
  });
}

test('pre-flight: the estimate names the part that does not fit and what the machine has', () => {
  const cfg = tinyConfig();
  cfg.model.hidden = [100_000_000];
  const [p] = preflight(cfg, SMALL);
  assert.equal(p.severity, 'error');
  assert.equal(p.path, 'model.hidden[0]');
  assert.match(p.message, /^the model needs ≈ \d+ GB for its weights and optimizer state \(in all ≈ \d+ GB: activations ≈ \d+ GB besides\); this machine has 26 GB$/);
  // The grokking sample (p = 97, hidden 128) is far inside a small machine.
  const ok = tinyConfig();
  ok.task = { kind: 'modular', op: 'add', p: 97, trainFraction: 0.5, input: 'onehot', embeddingDim: 32, labelNoise: 0 };
  assert.deepEqual(preflight(ok, SMALL), []);
  const e = estimateResources(ok);
  assert.equal(e.parameters, 194 * ok.model.hidden[0] + ok.model.hidden[0] + ok.model.hidden[0] * 97 + 97);
  // A machine with too little memory for an otherwise fine config refuses it too.
  assert.equal(preflight(ok, { ...SMALL, memoryBytes: 1e6 })[0].severity, 'error');
});

test('pre-flight: a V8 heap or array-length limit refuses even with memory to spare', () => {
  const cfg = tinyConfig();
  cfg.task = { kind: 'modular', op: 'add', p: 1999, trainFraction: 0.5, input: 'embedding', embeddingDim: 4, labelNoise: 0 };
  const big: MachineLimits = { memoryBytes: 1e15, heapBytes: 4.3 * GB, maxArrayBytes: 2 ** 32 };
  const probs = preflight(cfg, big).filter((p) => p.severity === 'error');
  assert.equal(probs.length, 1);
  assert.match(probs[0].message, /JavaScript heap|largest array/);
});

test('disk estimate: a default that writes 1,000 checkpoints and ~90 MB of metrics gets a warning, and still runs', () => {
  const long = '"training": { "epochs": 100000 }';
  const defaults = '{ "task": { "kind": "modular", "op": "add", "p": 13, "trainFraction": 0.6 }, "model": { "hidden": [32] }, "probes": { "activationsEvery": 20, "spectrumEvery": 20, "benfordEvery": 20 }, "checkpoints": { "every": 100, "atEnd": true } }';
  const text = file(long, defaults);
  const parsed = parseExperiment(text, SMALL);
  const warnings = parsed.problems.filter((p) => p.severity === 'warning');
  assert.equal(parsed.problems.length, 1, parsed.problems.map((p) => formatProblem(p)).join('\n'));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0].message, /^this run writes ≈ (\d+) MB of metrics and 1,001 checkpoints \(≈ \d+(\.\d)? MB\) over 100,000 epochs; raise checkpoints\.every to write less$/);
  const mb = Number(/≈ (\d+) MB of metrics/.exec(warnings[0].message)![1]);
  // The same config's 200-epoch run writes 186 kB of metrics: 100,000 epochs ≈ 93 MB.
  assert.ok(mb >= 60 && mb <= 130, `${mb} MB`);
  assert.equal(parsed.configs[0].valid, true);
  assert.equal(resolveRuns(text, { config: 'a' }, SMALL).runs.length, 1);
  // 200 epochs of the same config: no warning.
  assert.deepEqual(parseExperiment(file('"training": { "epochs": 200 }', defaults), SMALL).problems, []);
});

test('duplicate config names: both are marked, --all and a run by name refuse instead of running the first twice', () => {
  const text = `{ "name": "t", "defaults": { "task": { "kind": "modular", "p": 7 } },
    "configs": [ { "name": "a", "training": { "epochs": 3 } }, { "name": "b" }, { "name": "a", "training": { "epochs": 5 } } ] }`;
  const parsed = parseExperiment(text, SMALL);
  assert.deepEqual(parsed.configs.map((c) => c.valid), [false, true, false]);
  assert.ok(parsed.configs[0].problems.some((p) => /duplicate config name 'a' \(also configs\[2\]\)/.test(p.message)));
  assert.ok(parsed.configs[2].problems.some((p) => /duplicate config name 'a' \(also configs\[0\]\)/.test(p.message)));
  for (const select of [{ all: true }, { config: 'a' }]) {
    const r = resolveRuns(text, select, SMALL);
    assert.deepEqual(r.runs, [], JSON.stringify(select));
    assert.ok(r.problems.some((p) => /duplicate config name/.test(p.message)));
  }
  assert.equal(resolveRuns(text, { config: 'b' }, SMALL).runs.length, 1);
});

test('keys named after Object.prototype members are unknown keys, in configs and in sweep grids', () => {
  for (const key of ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf']) {
    refused(file(`"${key}": { "lr": 1 }`), new RegExp(`configs\\[0\\]\\.${key.replace(/_/g, '_')}$`), new RegExp(`unknown key '${key}'`));
    refused(file(`"optimizer": { "${key}": 1 }`), /optimizer\./, new RegExp(`unknown key '${key}'`));
    const sweep = `{ "name": "t", "defaults": { "task": { "kind": "modular", "p": 7 } }, "configs": [ { "name": "a" } ],
      "sweep": { "grid": { "${key}": [1, 2], "optimizer.${key}": [1] } } }`;
    const p = parseExperiment(sweep, SMALL);
    assert.equal(p.sweep?.valid, false, key);
    assert.equal(p.problems.filter((x) => /is not a config field/.test(x.message)).length, 2, key);
    assert.equal(resolveRuns(sweep, { sweep: true }, SMALL).runs.length, 0);
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('deep nesting is a located error, not a stack overflow', () => {
  const depth = 4000;
  const text = `{ "name": "t", "configs": [ { "name": "a", "x": ${'['.repeat(depth)}${']'.repeat(depth)} } ] }`;
  const parsed = parseExperiment(text, SMALL);
  assert.equal(parsed.problems.length, 1);
  assert.match(parsed.problems[0].message, /nesting deeper than 64 levels/);
  assert.equal(parsed.problems[0].line, 1);
  assert.equal(text[parsed.problems[0].offset], '[');
  assert.equal(resolveRuns(text, { all: true }, SMALL).runs.length, 0);
  // Brackets inside strings and comments do not count.
  const quoted = file(`"training": { "epochs": 5 } /* ${'['.repeat(100)} */`).replace('"name": "t"', `"name": "t", "description": "${'{'.repeat(100)}"`);
  assert.deepEqual(parseExperiment(quoted, SMALL).problems, []);
});

test('a UTF-8 BOM parses as the editor shows the text: same problems at the same places', () => {
  const text = file('"optimizer": { "lr": -1 }');
  const plain = parseExperiment(text, SMALL).problems;
  assert.equal(plain.length, 1);
  assert.deepEqual(parseExperiment('\uFEFF' + text, SMALL).problems, plain);
  assert.equal(resolveRuns('\uFEFF' + file('"training": { "epochs": 2 }'), { config: 'a' }, SMALL).runs.length, 1);
});

test('CLI: every hostile config exits 1 with file:line:col on stderr and creates no run folder', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'td-hygiene-'));
  try {
    const cases = [...HOSTILE.map(([, c]) => file(c)), `{ "name": "t", "defaults": { "task": { "kind": "modular", "p": 7 } }, "configs": [ { "name": "a" }, { "name": "a" } ] }`, file(`"x": ${'['.repeat(5000)}${']'.repeat(5000)}`)];
    for (const [i, text] of cases.entries()) {
      const f = path.join(dir, `c${i}.experiment.json`);
      writeFileSync(f, text);
      const out = path.join(dir, `runs${i}`);
      let stderr = '';
      const code = await main(['run', f, '--all', '--out', out], { stdout: () => {}, stderr: (s) => (stderr += s), tty: false, columns: 80, handleSignals: false });
      assert.notEqual(code, 0, `case ${i}`);
      assert.match(stderr, new RegExp(`c${i}\\.experiment\\.json:\\d+:\\d+: `), `case ${i}: ${stderr}`);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
      assert.equal(existsSync(out), false, `case ${i}: no run folder`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
