/**
 * The native fast path (native/mlp.cc through extension/engine/fast/) trains exactly the model the tfjs path
 * trains: for every task kind, activation, optimizer, mini-batches, biases off, frozen layers and learned
 * embeddings, the two paths' per-epoch records (losses, accuracies, gradient and weight norms, update ratios)
 * and the final weights agree within float32 tolerance. Also: with the fast path disabled the engine trains
 * on tfjs and says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { loadBackend } from '../../extension/engine/backend';
import { BASE_DEFAULTS, TASK_DEFAULTS, deepMerge } from '../../extension/engine/config';
import type { EpochRecord, MetricsRecord } from '../../extension/shared/protocol';
import type { TrainingConfig } from '../../extension/shared/configTypes';
import { train, type TensorSnapshot } from '../../extension/engine/train';
import { loadNative } from '../../extension/engine/fast/native';
import { FastMlp } from '../../extension/engine/fast/fastMlp';
import { Mlp } from '../../extension/engine/model/mlp';
import { makeDataset } from '../../extension/engine/tasks/datasets';

const native = loadNative();

type Over = Record<string, unknown>;
function config(task: Over, model: Over, optimizer: Over, training: Over = {}): TrainingConfig {
  return deepMerge(BASE_DEFAULTS as unknown as TrainingConfig, {
    task: { ...TASK_DEFAULTS[task.kind as 'modular'], ...task },
    model: { hidden: [16], activation: 'relu', init: 'glorot-uniform', ...model },
    optimizer: { lr: 0.01, ...optimizer },
    training: { epochs: 6, batchSize: 'full', seed: 3, ...training },
    probes: { every: 1, activationsEvery: 3, spectrumEvery: 0, benfordEvery: 0 },
    checkpoints: { every: 0, atEnd: true },
  });
}

const modular = { kind: 'modular', op: 'add', p: 11, trainFraction: 0.6, input: 'onehot' };
const CASES: [string, TrainingConfig][] = [
  ['one-hot, relu, adamw, full batch', config(modular, {}, { name: 'adamw', weightDecay: 1, beta2: 0.98 })],
  // Larger than one GEMM block in every dimension (rows > 120, reduction > 256, edge tiles).
  ['one-hot, relu, adamw, 317 rows × width 300 × 23 classes', config({ ...modular, p: 23 }, { hidden: [300] }, { name: 'adamw', weightDecay: 1, lr: 3e-3 }, { epochs: 4 })],
  ['one-hot, gelu, adam + L2, mini-batches, biases off', config(modular, { activation: 'gelu', bias: false }, { name: 'adam', weightDecay: 0.01 }, { batchSize: 16 })],
  ['embedding, tanh, nesterov momentum, mini-batches', config({ ...modular, input: 'embedding', embeddingDim: 5 }, { activation: 'tanh', hidden: [12] }, { name: 'momentum', momentum: 0.9, nesterov: true, lr: 0.05 }, { batchSize: 20 })],
  ['one-hot, quadratic, sgd, layer 0 frozen, two hidden layers', config({ ...modular, op: 'mul' }, { activation: 'quadratic', hidden: [16, 8], freeze: [0] }, { name: 'sgd', lr: 0.05, weightDecay: 0.001 })],
  ['one-hot, relu, momentum, last layer frozen, cosine schedule with warmup', config(modular, { hidden: [10, 10], freeze: [2] }, { name: 'momentum', momentum: 0.8, lr: 0.05, schedule: { type: 'cosine', warmupEpochs: 2, minLrFraction: 0.1 } })],
  ['one-hot, relu, biases off, layer 0 frozen, adam, mini-batches', config(modular, { bias: false, hidden: [14, 10], freeze: [0] }, { name: 'adam' }, { batchSize: 30 })],
  ['one-hot, no hidden layer (linear), adamw', config(modular, { hidden: [] }, { name: 'adamw', weightDecay: 0.1 })],
  ['polynomial regression, tanh, adamw, mini-batches (dense input, mse)', config({ kind: 'polynomial', nTrain: 60, nTest: 40 }, { activation: 'tanh', hidden: [12, 12] }, { name: 'adamw', weightDecay: 0.01 }, { batchSize: 25 })],
  ['sine regression, gelu, sgd, biases off', config({ kind: 'sine', nTrain: 50, nTest: 30 }, { activation: 'gelu', bias: false }, { name: 'sgd', lr: 0.05 })],
  ['teacher classification, relu, adam, mse loss, layer 1 frozen', config({ kind: 'teacher', mode: 'classification', inputDim: 6, teacherWidth: 8, classes: 4, nTrain: 64, nTest: 32 }, { hidden: [12, 9], freeze: [1] }, { name: 'adam' }, { loss: 'mse' })],
  ['teacher regression, quadratic, momentum, init he-normal', config({ kind: 'teacher', mode: 'regression', inputDim: 5, teacherWidth: 6, nTrain: 48, nTest: 24 }, { activation: 'quadratic', init: 'he-normal', initScale: 0.5 }, { name: 'momentum', momentum: 0.5, lr: 0.01 })],
];

interface Trace {
  records: MetricsRecord[];
  weights: TensorSnapshot[];
  engine: string;
  evaluation: string;
}

async function run(cfg: TrainingConfig, useNative: boolean, evaluation: 'inline' | 'thread' = 'inline'): Promise<Trace> {
  const { tf } = await loadBackend('cpu');
  const records: MetricsRecord[] = [];
  let weights: TensorSnapshot[] = [];
  const res = await train(
    tf,
    cfg,
    { onRecord: (r) => records.push(r), onCheckpoint: (_, t) => void (weights = t), shouldStop: () => false },
    { evaluation, native: useNative && typeof native !== 'string' ? native.addon : null },
  );
  return { records, weights, engine: res.engine, evaluation: res.evaluation };
}

/** |a − b| ≤ tol·max(|a|, |b|, floor). */
function close(a: number | null, b: number | null, tol: number, what: string, floor = 1e-3): void {
  if (a === null || b === null) return assert.equal(a, b, what);
  assert.ok(Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b), floor), `${what}: native ${a} vs tfjs ${b}`);
}

function relL2(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return den > 0 ? Math.sqrt(num / den) : Math.sqrt(num);
}

for (const [label, cfg] of CASES) {
  test(`fast path = tfjs path: ${label}`, async (ctx) => {
    if (typeof native === 'string') return ctx.skip(`native fast path ${native}`);
    // The native path with its test evaluation on the worker thread (the default on two cores) against tfjs inline.
    const fast = await run(cfg, true, 'thread');
    const ref = await run(cfg, false);
    assert.equal(fast.engine, 'native');
    assert.equal(fast.evaluation, 'thread');
    assert.equal(ref.engine, 'tfjs');
    const fe = fast.records.filter((r): r is EpochRecord => r.type === 'epoch');
    const te = ref.records.filter((r): r is EpochRecord => r.type === 'epoch');
    assert.equal(fe.length, cfg.training.epochs);
    assert.equal(te.length, fe.length);
    fe.forEach((f, i) => {
      const t = te[i];
      const at = `epoch ${f.epoch}`;
      close(f.lr, t.lr, 1e-12, `${at} lr`);
      close(f.trainLoss, t.trainLoss, 1e-4, `${at} train loss`);
      close(f.testLoss, t.testLoss, 1e-4, `${at} test loss`);
      close(f.trainAcc, t.trainAcc, 1e-9, `${at} train accuracy`);
      close(f.testAcc, t.testAcc, 1e-9, `${at} test accuracy`);
      close(f.trainR2, t.trainR2, 1e-4, `${at} train R²`, 1);
      close(f.testR2, t.testR2, 1e-4, `${at} test R²`, 1);
      assert.deepEqual(Object.keys(f.gradNorms), Object.keys(t.gradNorms));
      for (const k of Object.keys(t.gradNorms)) {
        close(f.gradNorms[k], t.gradNorms[k], 1e-3, `${at} ‖∇${k}‖`, 1e-6);
        close(f.weightNorms[k], t.weightNorms[k], 1e-4, `${at} ‖${k}‖`);
        close(f.updateRatios[k], t.updateRatios[k], 2e-3, `${at} update ratio ${k}`, 1e-6);
      }
    });
    // The frozen layers really stayed put, on both paths (gradient norm 0, update ratio 0).
    for (const k of cfg.model.freeze) {
      assert.equal(fe[fe.length - 1].gradNorms[`layers.${k}.kernel`], 0);
      assert.equal(fe[fe.length - 1].updateRatios[`layers.${k}.kernel`], 0);
    }
    // The activation probe sees the same hidden layers.
    const fa = fast.records.filter((r) => r.type === 'activations');
    const ta = ref.records.filter((r) => r.type === 'activations');
    assert.equal(fa.length, ta.length);
    assert.deepEqual(JSON.stringify(fa).length > 0, true);
    fa.forEach((f, i) => {
      const t = ta[i];
      if (f.type !== 'activations' || t.type !== 'activations') return;
      f.layers.forEach((l, j) => close(l.deadFraction, t.layers[j].deadFraction, 0.02, `activations epoch ${f.epoch} layer ${j} dead fraction`, 1));
    });
    assert.deepEqual(fast.weights.map((w) => w.name), ref.weights.map((w) => w.name));
    fast.weights.forEach((w, i) => {
      const e = relL2(w.data, ref.weights[i].data);
      assert.ok(e < 1e-4, `final ${w.name}: relative L2 difference ${e}`);
    });
  });
}

test('native path: the test evaluation on the worker thread gives exactly the inline numbers', async (ctx) => {
  if (typeof native === 'string') return ctx.skip(`native fast path ${native}`);
  const cfg = config({ ...modular, p: 23 }, { hidden: [40] }, { name: 'adamw', weightDecay: 1, lr: 3e-3 }, { epochs: 8 });
  const strip = (t: Trace) => t.records.filter((r): r is EpochRecord => r.type === 'epoch').map((r) => ({ ...r, t: 0 }));
  const thread = await run(cfg, true, 'thread');
  const inline = await run(cfg, true, 'inline');
  assert.equal(thread.evaluation, 'thread');
  assert.equal(inline.evaluation, 'inline');
  assert.deepEqual(strip(thread), strip(inline));
});

test('native path: an evaluation on the worker thread sees the weights at its call, even with steps and a release after it', async (ctx) => {
  if (typeof native === 'string') return ctx.skip(`native fast path ${native}`);
  const { tf } = await loadBackend('cpu');
  const cfg = config({ ...modular, p: 23 }, { hidden: [40] }, { name: 'adamw', lr: 1e-2 });
  const data = makeDataset(cfg.task, 3);
  const model = new Mlp(tf, cfg.model, data, 3);
  const fast = new FastMlp(native.addon, model, cfg, data, 'cross-entropy');
  try {
    const before = fast.evaluate(1);
    const a = fast.evaluateAsync(1);
    fast.step(null, 1e-2, false);
    const middle = fast.evaluate(1);
    const b = fast.evaluateAsync(1); // while a may still run: a second job
    fast.step(null, 1e-2, false);
    const after = fast.evaluate(1);
    const c = fast.evaluateAsync(1);
    fast.dispose(); // with c (maybe a, b) still running: the buffers go when they are done
    assert.deepEqual(await a, before);
    assert.deepEqual(await b, middle);
    assert.deepEqual(await c, after);
    assert.notDeepEqual(before, after);
    assert.throws(() => fast.step(null, 1e-2, false), /released/);
  } finally {
    fast.dispose();
    model.dispose();
  }
});

test('native path: weight norms and update ratios from the addon equal the JS sums over its weights', async (ctx) => {
  if (typeof native === 'string') return ctx.skip(`native fast path ${native}`);
  const { tf } = await loadBackend('cpu');
  const cfg = config({ ...modular, input: 'embedding', embeddingDim: 5 }, { hidden: [12] }, { name: 'adam', lr: 1e-2 });
  const data = makeDataset(cfg.task, 3);
  const model = new Mlp(tf, cfg.model, data, 3);
  const fast = new FastMlp(native.addon, model, cfg, data, 'cross-entropy');
  try {
    fast.markWeights();
    const w0 = fast.weights.map((w) => w.slice());
    for (let i = 0; i < 3; i++) fast.step(null, 1e-2, false);
    const { norms, updateRatios } = fast.weightStats();
    assert.equal(norms.length, model.params.length);
    fast.weights.forEach((w, i) => {
      let ww = 0;
      let dd = 0;
      let bb = 0;
      for (let j = 0; j < w.length; j++) {
        ww += w[j] * w[j];
        dd += (w[j] - w0[i][j]) ** 2;
        bb += w0[i][j] * w0[i][j];
      }
      close(norms[i], Math.sqrt(ww), 1e-12, `‖${model.params[i].name}‖`);
      assert.ok(dd > 0, `${model.params[i].name} moved`);
      // A tensor that started at zero (the biases) has no ratio: 0 by the engine's convention.
      close(updateRatios[i], bb > 0 ? Math.sqrt(dd) / Math.sqrt(bb) : 0, 1e-9, `update ratio ${model.params[i].name}`);
    });
  } finally {
    fast.dispose();
    model.dispose();
  }
});

test('with the fast path disabled (TRAINING_DYNAMICS_NATIVE=off) the engine trains on tfjs and says so', () => {
  const root = path.resolve(__dirname, '..', '..');
  const script = `
    const { loadBackend, backendLabel } = require('./extension/engine/backend');
    const { train } = require('./extension/engine/train');
    const { BASE_DEFAULTS, TASK_DEFAULTS, deepMerge } = require('./extension/engine/config');
    (async () => {
      const b = await loadBackend('auto');
      const cfg = deepMerge(BASE_DEFAULTS, { task: { ...TASK_DEFAULTS.modular, p: 7 }, model: { hidden: [8] }, training: { epochs: 3 }, checkpoints: { every: 0, atEnd: false } });
      const r = await train(b.tf, cfg, { onRecord() {}, onCheckpoint() {}, shouldStop: () => false }, { native: b.native });
      let forced = 'ok';
      try { await loadBackend('native'); } catch (e) { forced = e.message; }
      console.log(JSON.stringify({ label: backendLabel(b), detail: b.detail, engine: r.engine, epochs: r.epochsCompleted, forced }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, TRAINING_DYNAMICS_NATIVE: 'off' }, timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(out.engine, 'tfjs');
  assert.equal(out.epochs, 3);
  assert.notEqual(out.label, 'native');
  assert.match(out.detail, /native fast path disabled by TRAINING_DYNAMICS_NATIVE=off/);
  assert.match(out.forced, /backend 'native' requested but the native fast path is disabled/);
});
