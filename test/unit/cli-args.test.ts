/** CLI argument and input errors: exit code 2 and a one-line message naming the problem (main in-process). */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runMain } from './cli-fixture';
import { REPO, tempDir, tinyExperiment } from './runs-fixture';

const run = runMain;

const { dir, cleanup } = tempDir('cli-args');
after(cleanup);
const file = path.join(dir, 'two.experiment.json');
writeFileSync(file, tinyExperiment(5));
const single = path.join(dir, 'one.experiment.json');
writeFileSync(single, tinyExperiment(5).replace(/,\s*\{ "name": "long"[^\n]*\n/, '\n'));
const broken = path.join(dir, 'broken.experiment.json');
// Line 5 / col 48: "lr": -1 (must be > 0); unknown key "epochz" in configs[0].training.
writeFileSync(
  broken,
  ['{', '  "name": "broken",', '  "configs": [', '    { "name": "a", "task": { "kind": "modular", "p": 7 },', '      "optimizer": { "name": "adam", "lr": -1 }, "training": { "epochz": 3 } }', '  ]', '}', ''].join('\n'),
);

test('no arguments prints usage and exits 2; --help exits 0; --version prints the package version', async () => {
  const none = await run([]);
  assert.equal(none.code, 2);
  assert.match(none.err, /Usage:/);
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /training-dynamics run FILE/);
  assert.equal((await run(['run', '--help'])).code, 0);
  const v = await run(['--version']);
  assert.equal(v.code, 0);
  assert.equal(v.out.trim(), JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version);
});

const cases: [string, string[], RegExp][] = [
  ['unknown command', ['train', 'x'], /unknown command 'train'/],
  ['missing FILE', ['run'], /missing the experiment FILE/],
  ['two FILEs', ['run', file, file], /expected one FILE, got 2/],
  ['unknown option', ['run', file, '--confg', 'tiny'], /run: Unknown option '--confg'/],
  ['--config with --all', ['run', file, '--config', 'tiny', '--all'], /--config and --all cannot be used together/],
  ['--epochs 0', ['run', file, '--epochs', '0'], /--epochs must be a positive integer \(got '0'\)/],
  ['--epochs 1.5', ['run', file, '--epochs', '1.5'], /--epochs must be a positive integer/],
  ['--backend gpu', ['run', file, '--backend', 'gpu'], /--backend must be one of auto, native, tensorflow, wasm, cpu \(got 'gpu'\)/],
  ['missing file', ['run', path.join(dir, 'nope.experiment.json')], /cannot read .*nope\.experiment\.json: no such file/],
  ['several configs, none chosen', ['run', file], /has 2 configs; choose one with --config NAME .*configs: tiny, long/],
  ['unknown config', ['run', file, '--config', 'tiyn'], /no config named 'tiyn' .*configs: tiny, long/],
  ['sweep without a sweep', ['run', file, '--sweep'], /has no sweep/],
];

for (const [name, argv, re] of cases) {
  test(`exit 2: ${name}`, async () => {
    const r = await run(argv);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, re);
    assert.equal(r.out, '');
    assert.ok(!/\n\s+at /.test(r.err), 'no stack trace');
  });
}

const hasTfjsNode = (() => {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

test('exit 2: --backend tensorflow where tfjs-node is not installed', { skip: hasTfjsNode && 'tfjs-node is installed here' }, async () => {
  const r = await run(['run', file, '--config', 'tiny', '--backend', 'tensorflow']);
  assert.equal(r.code, 2);
  assert.match(r.err, /^training-dynamics: backend 'tensorflow' requested but tfjs-node unavailable/);
});

test('validation problems print as file:line:col: path: message, then exit 2', async () => {
  const r = await run(['run', broken]);
  assert.equal(r.code, 2);
  const lines = r.err.trim().split('\n');
  // The temp folder is outside the working directory, so the absolute path is shown.
  const col = readFileSync(broken, 'utf8').split('\n')[4].indexOf('-1') + 1;
  assert.ok(lines.includes(`${broken}:5:${col}: configs[0].optimizer.lr: must be > 0`), r.err);
  assert.ok(lines.some((l) => /:5:\d+: configs\[0\]\.training(\.epochz)?: .*epochz/.test(l)), r.err);
  assert.match(lines[lines.length - 1], /^training-dynamics: /);
});

test('exit 2 when the run directory cannot be created (--out under a file)', async () => {
  const blocker = path.join(dir, 'blocker');
  writeFileSync(blocker, '');
  const r = await run(['run', single, '--backend', 'cpu', '--epochs', '2', '--out', path.join(blocker, 'runs')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /training-dynamics: cannot create a run directory in .*blocker/);
});

test('exit 2 for an empty --out (run and submit): nothing is written to the current folder', async () => {
  for (const args of [['run', single, '--out', ''], ['run', single, '--out', '  '], ['submit', single, '--slurm', '--out', '']]) {
    const r = await run(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, /training-dynamics: (run|submit): --out needs a folder \(it was given an empty one\)/);
  }
});

test('a file with one config runs it without --config (exit 0, one JSON line)', async () => {
  const out = path.join(dir, 'runs');
  const r = await run(['run', single, '--backend', 'cpu', '--epochs', '2', '--out', out, '--json']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n');
  assert.equal(lines.length, 1);
  const j = JSON.parse(lines[0]);
  assert.equal(j.config, 'tiny');
  assert.equal(j.epochs, 2);
  assert.ok(j.runDir.startsWith(path.join(out, 'unit-tiny') + path.sep));
});

test('inspect dispatches to the checkpoint inspector (a run checkpoint, --json)', async () => {
  const { RunWriter } = await import('../../extension/engine/runs');
  const { tinyConfig } = await import('./runs-fixture');
  const config = tinyConfig();
  const w = RunWriter.create(path.join(dir, 'inspect-runs'), {
    experiment: 'e', experimentFile: null, configName: 'c', runName: 'c', sweepValues: null, config, backend: 'cpu', versions: {}, totalEpochs: 1,
  });
  const rel = w.writeCheckpoint(1, [{ name: 'layers.0.kernel', shape: [2, 2], data: new Float32Array([3, 0, 0, 4]) }]);
  w.finish('completed', null, null);
  const r = await run(['inspect', path.join(w.runDir, rel), '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.metadata.format, 'training-dynamics/1');
  assert.equal(j.tensors[0].name, 'layers.0.kernel');
  assert.equal(j.tensors[0].l2, 5);
  const bad = await run(['inspect', path.join(dir, 'two.experiment.json')]);
  assert.equal(bad.code, 2);
});
