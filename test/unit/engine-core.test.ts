import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBackend } from '../../extension/engine/backend';
import { makeDataset, modularLabel } from '../../extension/engine/tasks/datasets';
import { isPrime } from '../../extension/engine/config/primes';
import { Mlp } from '../../extension/engine/model/mlp';
import { Optimizer, learningRate } from '../../extension/engine/optim/optimizers';
import { train } from '../../extension/engine/train';
import type { ModelConfig, ModularTask, OptimizerConfig, TrainingConfig } from '../../extension/shared/configTypes';
import type { MetricsRecord } from '../../extension/shared/protocol';
import { BASE_DEFAULTS } from '../../extension/engine/config';

const modular = (over: Partial<ModularTask> = {}): ModularTask => ({ kind: 'modular', op: 'add', p: 7, trainFraction: 0.5, input: 'onehot', embeddingDim: 4, labelNoise: 0, ...over });
const mlp = (over: Partial<ModelConfig> = {}): ModelConfig => ({ hidden: [5], activation: 'relu', init: 'glorot-uniform', initScale: 1, bias: true, freeze: [], ...over });
const adamw = (over: Partial<OptimizerConfig> = {}): OptimizerConfig => ({ ...BASE_DEFAULTS.optimizer, name: 'adamw', lr: 0.01, weightDecay: 0.5, ...over });

test('modular labels are (a ∘ b) mod p for every op', () => {
  assert.equal(modularLabel('add', 5, 4, 7), 2);
  assert.equal(modularLabel('sub', 2, 5, 7), 4);
  assert.equal(modularLabel('mul', 3, 5, 7), 1);
  // 3 / 5 mod 7: 5⁻¹ = 3 (5·3 = 15 = 1), so 3·3 = 9 = 2.
  assert.equal(modularLabel('div', 3, 5, 7), 2);
  const d = makeDataset(modular({ op: 'mul', p: 11 }), 3);
  for (const split of [d.train, d.test]) {
    for (let i = 0; i < split.n; i++) {
      const a = split.operands![2 * i];
      const b = split.operands![2 * i + 1];
      assert.equal(split.labels![i], (a * b) % 11);
      assert.equal(split.x[i * 22 + a], 1);
      assert.equal(split.x[i * 22 + 11 + b], 1);
    }
  }
  assert.equal(d.train.n + d.test.n, 121);
  assert.equal(makeDataset(modular({ op: 'div', p: 11 }), 0).train.n + makeDataset(modular({ op: 'div', p: 11 }), 0).test.n, 110);
  assert.ok(isPrime(97) && !isPrime(91));
});

test('the split and label noise are deterministic for a seed and differ across seeds', () => {
  const a = makeDataset(modular({ p: 13, labelNoise: 0.3 }), 1);
  const b = makeDataset(modular({ p: 13, labelNoise: 0.3 }), 1);
  const c = makeDataset(modular({ p: 13, labelNoise: 0.3 }), 2);
  assert.deepEqual(a.train.operands, b.train.operands);
  assert.deepEqual(a.train.labels, b.train.labels);
  assert.notDeepEqual(a.train.operands, c.train.operands);
  // Train and test are disjoint and cover all pairs.
  const key = (ops: Int32Array, i: number) => ops[2 * i] * 13 + ops[2 * i + 1];
  const seen = new Set<number>();
  for (let i = 0; i < a.train.n; i++) seen.add(key(a.train.operands!, i));
  for (let i = 0; i < a.test.n; i++) assert.ok(!seen.has(key(a.test.operands!, i)));
  assert.equal(seen.size + a.test.n, 169);
  // About 30 % of train labels were re-drawn (some land on the true class by chance: ≈ 1/13 of them).
  let wrong = 0;
  for (let i = 0; i < a.train.n; i++) if (a.train.labels![i] !== (a.train.operands![2 * i] + a.train.operands![2 * i + 1]) % 13) wrong++;
  const expected = 0.3 * a.train.n * (12 / 13);
  assert.ok(Math.abs(wrong - expected) < 0.35 * expected, `wrong labels ${wrong}, expected ≈ ${expected}`);
  // Test labels are never noisy.
  for (let i = 0; i < a.test.n; i++) assert.equal(a.test.labels![i], (a.test.operands![2 * i] + a.test.operands![2 * i + 1]) % 13);
});

/** Float64 reference: loss of the same MLP computed in plain JS. */
function refLoss(params: Map<string, Float64Array>, x: Float32Array, labels: Int32Array, n: number, widths: number[], act: (z: number) => number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    let h: number[] = Array.from(x.subarray(i * widths[0], (i + 1) * widths[0]));
    for (let k = 0; k + 1 < widths.length; k++) {
      const W = params.get(`layers.${k}.kernel`)!;
      const b = params.get(`layers.${k}.bias`)!;
      const out: number[] = [];
      for (let j = 0; j < widths[k + 1]; j++) {
        let s = b[j];
        for (let q = 0; q < widths[k]; q++) s += h[q] * W[q * widths[k + 1] + j];
        out.push(k + 2 < widths.length ? act(s) : s);
      }
      h = out;
    }
    const m = Math.max(...h);
    const lse = m + Math.log(h.reduce((s, v) => s + Math.exp(v - m), 0));
    total += lse - h[labels[i]];
  }
  return total / n;
}

for (const [activation, act] of [
  ['tanh', Math.tanh],
  ['quadratic', (z: number) => z * z],
  ['relu', (z: number) => Math.max(0, z)],
] as const) {
  test(`gradient norms (${activation}, one-hot gather path) match central finite differences in float64`, async () => {
    const { tf } = await loadBackend('cpu');
    const data = makeDataset(modular({ p: 5, trainFraction: 0.6 }), 0);
    const model = new Mlp(tf, mlp({ hidden: [6, 4], activation }), data, 1);
    // Biases start at 0, so a ReLU preactivation can be exactly 0 (a kink where finite differences see ½):
    // move them off zero first.
    for (const p of model.params) if (p.kind === 'bias') p.variable.assign(tf.randomUniform(p.variable.shape, 0.05, 0.2, 'float32', 3));
    const inp = model.input(data.train, data);
    const y = tf.oneHot(tf.tensor1d(data.train.labels!, 'int32'), 5).toFloat();
    const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.forward(inp).out) as never, model.params.map((p) => p.variable));
    const params = new Map(model.params.map((p) => [p.name, Float64Array.from(p.variable.dataSync())]));
    const widths = model.widths;
    for (const p of model.params) {
      const g = grads[p.variable.name].dataSync();
      const w = params.get(p.name)!;
      const h = 1e-5;
      let fdSq = 0;
      let diffSq = 0;
      for (let i = 0; i < w.length; i++) {
        const old = w[i];
        w[i] = old + h;
        const up = refLoss(params, data.train.x, data.train.labels!, data.train.n, widths, act);
        w[i] = old - h;
        const down = refLoss(params, data.train.x, data.train.labels!, data.train.n, widths, act);
        w[i] = old;
        const fd = (up - down) / (2 * h);
        fdSq += fd * fd;
        diffSq += (fd - g[i]) ** 2;
      }
      const tfNorm = Math.sqrt(Array.from(g).reduce((s, v) => s + v * v, 0));
      const fdNorm = Math.sqrt(fdSq);
      assert.ok(fdNorm > 0, `${p.name}: zero reference gradient`);
      assert.ok(Math.abs(tfNorm - fdNorm) / fdNorm < 1e-3, `${p.name}: ‖g‖ ${tfNorm} vs finite differences ${fdNorm}`);
      assert.ok(Math.sqrt(diffSq) / fdNorm < 1e-3, `${p.name}: gradient direction differs (rel ${Math.sqrt(diffSq) / fdNorm})`);
    }
    model.dispose();
  });
}

test('one AdamW step matches a hand computation (decoupled decay, bias correction)', async () => {
  const { tf } = await loadBackend('cpu');
  const w = tf.variable(tf.tensor1d([1.0, -2.0, 0.5]));
  const g = tf.tensor1d([0.1, 0.2, -0.3]);
  const cfg = adamw({ lr: 0.1, weightDecay: 0.5, beta1: 0.9, beta2: 0.98, eps: 1e-8 });
  const opt = new Optimizer(tf, cfg);
  opt.step(0.1, [{ name: 'w', variable: w }], new Map([['w', g]]));
  // t = 1: m = 0.1 g, v = 0.02 g²; m̂ = g, v̂ = g² → step = lr · g / (|g| + ε) = lr·sign(g).
  const expected = [1.0, -2.0, 0.5].map((x, i) => x * (1 - 0.1 * 0.5) - 0.1 * ([0.1, 0.2, -0.3][i] / (Math.abs([0.1, 0.2, -0.3][i]) + 1e-8)));
  Array.from(w.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `w[${i}] = ${v}, expected ${expected[i]}`));
  // Second step with another gradient: check against the full recurrences.
  const g2 = [0.05, -0.1, 0.2];
  opt.step(0.1, [{ name: 'w', variable: w }], new Map([['w', tf.tensor1d(g2)]]));
  const g1 = [0.1, 0.2, -0.3];
  const after = expected.map((x, i) => {
    const m = 0.9 * (0.1 * g1[i]) + 0.1 * g2[i];
    const v = 0.98 * (0.02 * g1[i] ** 2) + 0.02 * g2[i] ** 2;
    const mhat = m / (1 - 0.9 ** 2);
    const vhat = v / (1 - 0.98 ** 2);
    return x * (1 - 0.05) - 0.1 * mhat / (Math.sqrt(vhat) + 1e-8);
  });
  Array.from(w.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - after[i]) < 1e-6, `step 2 w[${i}] = ${v}, expected ${after[i]}`));
});

test('sgd, momentum (Nesterov) and adam with coupled L2 follow the PyTorch update rules', async () => {
  const { tf } = await loadBackend('cpu');
  const run = (cfg: OptimizerConfig, steps: number[][]) => {
    const w = tf.variable(tf.tensor1d([1.0, -1.0]));
    const opt = new Optimizer(tf, cfg);
    for (const g of steps) opt.step(cfg.lr, [{ name: 'w', variable: w }], new Map([['w', tf.tensor1d(g)]]));
    return Array.from(w.dataSync());
  };
  const close = (a: number[], b: number[]) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-6, `${a} vs ${b}`));
  close(run({ ...adamw(), name: 'sgd', lr: 0.1, weightDecay: 0.1 }, [[0.5, 0.5]]), [1 - 0.1 * (0.5 + 0.1), -1 - 0.1 * (0.5 - 0.1)]);
  // momentum 0.9, nesterov: b1 = g1; d1 = g1 + 0.9 b1; b2 = 0.9 b1 + g2; d2 = g2 + 0.9 b2.
  const g1 = 1;
  const g2 = 2;
  const b1 = g1;
  const w1 = 1 - 0.1 * (g1 + 0.9 * b1);
  const b2 = 0.9 * b1 + g2;
  const w2 = w1 - 0.1 * (g2 + 0.9 * b2);
  close(run({ ...adamw(), name: 'momentum', lr: 0.1, weightDecay: 0, momentum: 0.9, nesterov: true }, [[g1, 0], [g2, 0]]).slice(0, 1), [w2]);
  // adam with coupled L2: gradient becomes g + wd·w before the moments; first step moves by lr·sign.
  close(run({ ...adamw(), name: 'adam', lr: 0.1, weightDecay: 10 }, [[0.5, 0.5]]), [0.9, -1 + 0.1]);
});

test('learning-rate schedules: warmup then constant or cosine', () => {
  const s = { type: 'cosine' as const, warmupEpochs: 10, minLrFraction: 0.1 };
  assert.equal(learningRate(1, s, 0, 110, 1), 0.1);
  assert.equal(learningRate(1, s, 9, 110, 1), 1);
  assert.ok(Math.abs(learningRate(1, s, 10, 110, 1) - 1) < 1e-12);
  assert.ok(Math.abs(learningRate(1, s, 60, 110, 1) - 0.55) < 1e-12);
  assert.ok(Math.abs(learningRate(1, s, 110, 110, 1) - 0.1) < 1e-12);
  assert.equal(learningRate(0.5, { ...s, type: 'constant' }, 50, 110, 1), 0.5);
});

test('initialisation: glorot-uniform bounds and he-normal variance', async () => {
  const { tf } = await loadBackend('cpu');
  const data = makeDataset({ kind: 'teacher', mode: 'regression', inputDim: 400, teacherWidth: 4, classes: 2, nTrain: 2, nTest: 2, noise: 0, labelNoise: 0 }, 0);
  const g = new Mlp(tf, mlp({ hidden: [600], initScale: 2 }), data, 0);
  const k = Array.from(g.param('layers.0.kernel')!.variable.dataSync());
  const limit = 2 * Math.sqrt(6 / 1000);
  const max = k.reduce((m, v) => Math.max(m, v), -Infinity);
  const min = k.reduce((m, v) => Math.min(m, v), Infinity);
  assert.ok(max <= limit && min >= -limit);
  assert.ok(max > 0.95 * limit);
  const h = new Mlp(tf, mlp({ hidden: [600], init: 'he-normal' }), data, 0);
  const hk = Array.from(h.param('layers.0.kernel')!.variable.dataSync());
  const variance = hk.reduce((s, v) => s + v * v, 0) / hk.length;
  assert.ok(Math.abs(variance - 2 / 400) / (2 / 400) < 0.05, `variance ${variance}`);
  assert.ok(Array.from(h.param('layers.0.bias')!.variable.dataSync()).every((v) => v === 0));
});

function tinyConfig(over: Partial<TrainingConfig> = {}): TrainingConfig {
  return {
    ...structuredClone(BASE_DEFAULTS),
    task: modular({ p: 7, trainFraction: 0.7 }),
    model: mlp({ hidden: [16] }),
    optimizer: adamw({ lr: 0.03, weightDecay: 0.1 }),
    training: { ...BASE_DEFAULTS.training, epochs: 40 },
    probes: { ...BASE_DEFAULTS.probes, activationsEvery: 10, spectrumEvery: 20, benfordEvery: 20 },
    checkpoints: { every: 20, atEnd: true },
    ...over,
  };
}

test('train() emits every kind of record, checkpoints, and events in order', async () => {
  const { tf } = await loadBackend('cpu');
  const records: MetricsRecord[] = [];
  const checkpoints: number[] = [];
  const res = await train(tf, tinyConfig(), {
    onRecord: (r) => records.push(r),
    onCheckpoint: (epoch, tensors) => {
      checkpoints.push(epoch);
      assert.deepEqual(tensors.map((t) => t.name), ['layers.0.kernel', 'layers.0.bias', 'layers.1.kernel', 'layers.1.bias']);
      assert.deepEqual(tensors[0].shape, [14, 16]);
    },
    shouldStop: () => false,
  });
  assert.equal(res.status, 'completed');
  assert.equal(res.epochsCompleted, 40);
  const epochs = records.filter((r) => r.type === 'epoch');
  assert.equal(epochs.length, 40);
  assert.deepEqual(epochs.map((r) => r.epoch), Array.from({ length: 40 }, (_, i) => i + 1));
  const e = epochs[39];
  assert.ok(e.type === 'epoch' && e.trainAcc !== null && e.trainAcc > 0.9, 'the tiny task is learned');
  assert.ok(e.type === 'epoch' && Object.keys(e.gradNorms).length === 4 && Object.values(e.updateRatios).every((v) => v >= 0));
  assert.deepEqual(records.filter((r) => r.type === 'activations').map((r) => r.epoch), [1, 10, 20, 30, 40]);
  assert.deepEqual(records.filter((r) => r.type === 'spectrum').map((r) => r.epoch), [1, 20, 40]);
  assert.deepEqual(checkpoints, [20, 40]);
  assert.ok(records.some((r) => r.type === 'event' && r.event.kind === 'memorization'));
  assert.equal(res.summary.final?.trainAcc, e.type === 'epoch' ? e.trainAcc : null);
});

test('train() stops between epochs when asked, and reports stopped', async () => {
  const { tf } = await loadBackend('cpu');
  let asked = 0;
  const epochs: number[] = [];
  const res = await train(tf, tinyConfig({ training: { ...BASE_DEFAULTS.training, epochs: 1000 } }), {
    onRecord: (r) => {
      if (r.type === 'epoch') epochs.push(r.epoch);
    },
    onCheckpoint: () => undefined,
    shouldStop: () => ++asked > 12, // asked once before each (full-batch) epoch: stop before epoch 13
  });
  assert.equal(res.status, 'stopped');
  assert.equal(res.epochsCompleted, 12);
  // Every finished epoch's record is out before train() returns, even those whose test metrics were pending.
  assert.deepEqual(epochs, Array.from({ length: 12 }, (_, i) => i + 1));
});

for (const backend of ['wasm', 'cpu'] as const) test(`the test evaluation on a worker thread gives the inline numbers, in epoch order (${backend})`, async () => {
  const { tf } = await loadBackend(backend);
  const cfg = tinyConfig({ training: { ...BASE_DEFAULTS.training, epochs: 25 } });
  const run = async (evaluation: 'thread' | 'inline') => {
    const records: MetricsRecord[] = [];
    const res = await train(tf, cfg, { onRecord: (r) => records.push(r), onCheckpoint: () => undefined, shouldStop: () => false }, { evaluation });
    return { res, records };
  };
  const thread = await run('thread');
  const inline = await run('inline');
  assert.equal(thread.res.evaluation, 'thread');
  assert.equal(inline.res.evaluation, 'inline');
  const strip = (rs: MetricsRecord[]) => rs.map((r) => (r.type === 'epoch' ? { ...r, t: 0 } : r));
  assert.deepEqual(strip(thread.records), strip(inline.records));
  const epochs = thread.records.filter((r) => r.type === 'epoch').map((r) => r.epoch);
  assert.deepEqual(epochs, Array.from({ length: 25 }, (_, i) => i + 1));
});

test('regression tasks report MSE and R², mini-batches and frozen layers work', async () => {
  const { tf } = await loadBackend('cpu');
  const records: MetricsRecord[] = [];
  const cfg = tinyConfig({
    task: { kind: 'sine', frequency: 1, amplitude: 1, nTrain: 64, nTest: 64, noise: 0, xRange: [-1, 1] },
    model: mlp({ hidden: [32], activation: 'tanh', freeze: [0] }),
    training: { ...BASE_DEFAULTS.training, epochs: 30, batchSize: 16 },
  });
  const data = makeDataset(cfg.task, 0);
  const before = new Mlp(tf, cfg.model, data, 0).param('layers.0.kernel')!.variable.dataSync().slice();
  await train(tf, cfg, { onRecord: (r) => records.push(r), onCheckpoint: (epoch, t) => { if (epoch === 30) assert.deepEqual(t[0].data, before); }, shouldStop: () => false });
  const last = records.filter((r) => r.type === 'epoch').pop();
  assert.ok(last && last.type === 'epoch' && last.trainAcc === null && last.testR2 !== null && last.testR2 > 0);
  assert.equal(last && last.type === 'epoch' ? last.gradNorms['layers.0.kernel'] : -1, 0, 'frozen layer has no gradient');
});
