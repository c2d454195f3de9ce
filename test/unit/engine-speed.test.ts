/**
 * The fast paths of the engine compute the same numbers as the plain tfjs ops they replace: fused softmax
 * cross-entropy (loss, correct count, gradient), the dense layer's explicit-transpose backward, and the
 * wasm backend's zero-copy JS kernels (gather/scatter of the one-hot first layer) against the cpu backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBackend } from '../../extension/engine/backend';
import { softmaxCrossEntropy } from '../../extension/engine/model/losses';
import { Mlp } from '../../extension/engine/model/mlp';
import { makeDataset } from '../../extension/engine/tasks/datasets';
import type { ModelConfig, ModularTask } from '../../extension/shared/configTypes';

const relClose = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, `${what}: length`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  assert.ok(den > 0, `${what}: zero reference`);
  assert.ok(Math.sqrt(num / den) < tol, `${what}: relative error ${Math.sqrt(num / den)}`);
};

test('fused softmax cross-entropy matches tf.losses.softmaxCrossEntropy, its gradient and argMax accuracy', async () => {
  const { tf } = await loadBackend('cpu');
  const n = 40;
  const c = 7;
  const logits = tf.randomNormal([n, c], 0, 3, 'float32', 11) as import('@tensorflow/tfjs').Tensor2D;
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 5 + 3) % c);
  const stats = { correct: -1 };
  const g1 = tf.grad((z: import('@tensorflow/tfjs').Tensor) => softmaxCrossEntropy(tf, z as never, labels, stats))(logits);
  const fused = softmaxCrossEntropy(tf, logits, labels).dataSync()[0];
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), c).toFloat();
  const ref = tf.losses.softmaxCrossEntropy(y, logits).dataSync()[0];
  const g2 = tf.grad((z: import('@tensorflow/tfjs').Tensor) => tf.losses.softmaxCrossEntropy(y, z) as never)(logits);
  assert.ok(Math.abs(fused - ref) < 1e-5 * Math.abs(ref), `loss ${fused} vs ${ref}`);
  relClose(g1.dataSync(), g2.dataSync(), 1e-5, 'gradient');
  const pred = tf.argMax(logits, 1).dataSync();
  const expected = labels.reduce((s, l, i) => s + (pred[i] === l ? 1 : 0), 0);
  assert.ok(expected > 0 && expected < n, 'test data should have some right and some wrong predictions');
  assert.equal(stats.correct, expected);
  assert.throws(() => softmaxCrossEntropy(tf, logits, labels.subarray(1)), /39 labels for 40 rows/);
  // Two losses in one gradient: the first one's backward runs after the second forward, so it cannot use the
  // cached exponentials and must recompute them from its saved logits.
  const twice = (f: (z: import('@tensorflow/tfjs').Tensor2D) => import('@tensorflow/tfjs').Scalar) =>
    tf.grad((z: import('@tensorflow/tfjs').Tensor) => tf.add(f(z as never), f(tf.mul(z, -0.5) as never)) as never)(logits);
  const h1 = twice((z) => softmaxCrossEntropy(tf, z, labels));
  const h2 = twice((z) => tf.losses.softmaxCrossEntropy(y, z) as never);
  relClose(h1.dataSync(), h2.dataSync(), 1e-5, 'gradient of two interleaved losses');
});

const task: ModularTask = { kind: 'modular', op: 'add', p: 11, trainFraction: 0.5, input: 'onehot', embeddingDim: 6, labelNoise: 0 };
const model = (over: Partial<ModelConfig> = {}): ModelConfig => ({ hidden: [16, 12], activation: 'relu', init: 'glorot-uniform', initScale: 1, bias: true, freeze: [], ...over });

/** Loss and gradients of an MLP on the train split of `task`, on the current backend. */
async function lossAndGrads(backend: 'cpu' | 'wasm', cfg: ModelConfig, t: ModularTask) {
  const { tf } = await loadBackend(backend);
  const data = makeDataset(t, 4);
  const m = new Mlp(tf, cfg, data, 9);
  // Nonzero biases so no ReLU preactivation sits exactly on its kink.
  for (const p of m.params) if (p.kind === 'bias') p.variable.assign(tf.fill(p.shape, 0.07));
  const inp = m.input(data.train, data);
  const { value, grads } = tf.variableGrads(() => softmaxCrossEntropy(tf, m.forward(inp).out, data.train.labels!), m.params.map((p) => p.variable));
  const out = { loss: value.dataSync()[0], grads: new Map(m.params.map((p) => [p.name, Float32Array.from(grads[p.variable.name].dataSync())])) };
  m.disposeInput(inp);
  m.dispose();
  return out;
}

for (const [label, cfg, t] of [
  ['one-hot gather path', model(), task],
  ['learned embedding', model({ hidden: [10] }), { ...task, input: 'embedding' as const }],
] as const) {
  test(`wasm backend (zero-copy JS kernels) gives the cpu backend's loss and gradients: ${label}`, async (ctx) => {
    try {
      await loadBackend('wasm');
    } catch {
      ctx.skip('wasm backend does not load here');
      return;
    }
    const w = await lossAndGrads('wasm', cfg, t);
    const c = await lossAndGrads('cpu', cfg, t);
    assert.ok(Math.abs(w.loss - c.loss) < 1e-5 * c.loss, `loss wasm ${w.loss} vs cpu ${c.loss}`);
    assert.deepEqual([...w.grads.keys()], [...c.grads.keys()]);
    for (const [name, g] of c.grads) relClose(w.grads.get(name)!, g, 1e-4, name);
  });
}

test('expNonPositive: relative error < 1e-8 against Math.exp on [−745, 0], and the edge cases', async () => {
  const { expNonPositive } = await import('../../extension/engine/model/fastexp');
  let worst = 0;
  let worstAt = 0;
  // A dense grid (including every half-integer multiple of ln 2, where k changes) plus the far tail.
  const xs: number[] = [];
  for (let i = 0; i <= 200_000; i++) xs.push(-i * 1e-4); // [−20, 0]
  for (let i = 0; i <= 10_000; i++) xs.push(-20 - i * 0.0725); // to −745
  for (let k = 0; k < 1000; k++) xs.push(-(k + 0.5) * Math.LN2, -(k + 0.5) * Math.LN2 + 1e-12);
  for (const x of xs) {
    if (x < -745) continue;
    const want = Math.exp(x);
    if (want === 0) continue;
    const rel = Math.abs(expNonPositive(x) - want) / want;
    if (rel > worst) [worst, worstAt] = [rel, x];
  }
  assert.ok(worst < 1e-8, `relative error ${worst} at x = ${worstAt}`);
  assert.equal(expNonPositive(0), 1);
  assert.equal(expNonPositive(-0), 1);
  assert.equal(expNonPositive(-Infinity), 0);
  assert.ok(Number.isNaN(expNonPositive(NaN)));
  assert.equal(expNonPositive(-800), 0);
  assert.equal(expNonPositive(-740), Math.exp(-740)); // subnormal range: deferred to Math.exp
});
