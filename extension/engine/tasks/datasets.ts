/**
 * Datasets for every task kind, as plain typed arrays (no tfjs), deterministic for a seed.
 * Rows are examples; the train rows and the test rows are kept apart so probes can use "the whole dataset"
 * (train then test) exactly as the literature means it.
 */
import type { ModularTask, PolynomialTask, RandomFeatureTask, SineTask, TaskConfig } from '../../shared/configTypes';
import { Rng, STREAM } from './rng';
import { isPrime } from '../config/primes';

export interface Split {
  n: number;
  /** Row-major [n, inputDim] features (for modular tasks: the concatenated one-hot encoding). */
  x: Float32Array;
  /** Classification: class index per row. */
  labels: Int32Array | null;
  /** Regression: [n, outputDim] targets. */
  targets: Float32Array | null;
  /** Modular tasks: operand pairs [a0, b0, a1, b1, …]. */
  operands: Int32Array | null;
}

export interface Dataset {
  kind: 'classification' | 'regression';
  inputDim: number;
  outputDim: number;
  /** Modular tasks: the modulus and the input encoding (the model gathers embedding rows for both). */
  modular: { p: number; input: 'onehot' | 'embedding'; embeddingDim: number } | null;
  train: Split;
  test: Split;
  description: string;
}

function modPow(b: number, e: number, p: number): number {
  let r = 1;
  b %= p;
  while (e > 0) {
    if (e & 1) r = (r * b) % p;
    b = (b * b) % p;
    e >>= 1;
  }
  return r;
}

/** (a ∘ b) mod p; for div, b ≠ 0 and a / b = a · b^(p−2) (Fermat). */
export function modularLabel(op: ModularTask['op'], a: number, b: number, p: number): number {
  switch (op) {
    case 'add':
      return (a + b) % p;
    case 'sub':
      return (((a - b) % p) + p) % p;
    case 'mul':
      return (a * b) % p;
    case 'div':
      return (a * modPow(b, p - 2, p)) % p;
  }
}

function applyLabelNoise(labels: Int32Array, fraction: number, classes: number, rng: Rng): void {
  if (fraction <= 0) return;
  const idx = Array.from({ length: labels.length }, (_, i) => i);
  rng.shuffle(idx);
  const k = Math.round(fraction * labels.length);
  for (let i = 0; i < k; i++) labels[idx[i]] = rng.int(classes);
}

export function modularDataset(t: ModularTask, seed: number): Dataset {
  if (!isPrime(t.p)) throw new Error(`task.p must be prime (got ${t.p})`);
  const p = t.p;
  const pairs: number[] = [];
  for (let a = 0; a < p; a++) for (let b = t.op === 'div' ? 1 : 0; b < p; b++) pairs.push(a, b);
  const n = pairs.length / 2;
  const order = Array.from({ length: n }, (_, i) => i);
  new Rng(seed, STREAM.split).shuffle(order);
  const nTrain = Math.max(1, Math.min(n - 1, Math.round(t.trainFraction * n)));
  const build = (rows: number[]): Split => {
    const operands = new Int32Array(rows.length * 2);
    const labels = new Int32Array(rows.length);
    const x = new Float32Array(rows.length * 2 * p);
    rows.forEach((r, i) => {
      const a = pairs[2 * r];
      const b = pairs[2 * r + 1];
      operands[2 * i] = a;
      operands[2 * i + 1] = b;
      labels[i] = modularLabel(t.op, a, b, p);
      x[i * 2 * p + a] = 1;
      x[i * 2 * p + p + b] = 1;
    });
    return { n: rows.length, x, labels, targets: null, operands };
  };
  const train = build(order.slice(0, nTrain));
  const test = build(order.slice(nTrain));
  applyLabelNoise(train.labels!, t.labelNoise, p, new Rng(seed, STREAM.labelNoise));
  const inputDim = t.input === 'onehot' ? 2 * p : 2 * t.embeddingDim;
  return {
    kind: 'classification',
    inputDim,
    outputDim: p,
    modular: { p, input: t.input, embeddingDim: t.embeddingDim },
    train,
    test,
    description: `(a ${{ add: '+', sub: '−', mul: '×', div: '÷' }[t.op]} b) mod ${p}, ${train.n} train / ${test.n} test` +
      (t.labelNoise > 0 ? `, ${Math.round(t.labelNoise * 100)} % of train labels random` : ''),
  };
}

function regressionSplit(n: number, f: (x: number) => number, range: [number, number], noise: number, rng: Rng, noiseRng: Rng): Split {
  const x = new Float32Array(n);
  const targets = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = rng.uniform(range[0], range[1]);
    targets[i] = f(x[i]) + (noise > 0 ? noise * noiseRng.normal() : 0);
  }
  return { n, x, labels: null, targets, operands: null };
}

function scalarRegression(t: PolynomialTask | SineTask, seed: number, f: (x: number) => number, description: string): Dataset {
  const rng = new Rng(seed, STREAM.data);
  const noiseRng = new Rng(seed, STREAM.noise);
  // Noise on the training targets only: the test set measures the true function.
  const train = regressionSplit(t.nTrain, f, t.xRange, t.noise, rng, noiseRng);
  const test = regressionSplit(t.nTest, f, t.xRange, 0, rng, noiseRng);
  return { kind: 'regression', inputDim: 1, outputDim: 1, modular: null, train, test, description };
}

export function teacherDataset(t: RandomFeatureTask, seed: number): Dataset {
  const d = t.inputDim;
  const w = t.teacherWidth;
  const out = t.mode === 'classification' ? t.classes : 1;
  const trng = new Rng(seed, STREAM.teacher);
  const W1 = new Float64Array(d * w).map(() => trng.normal() / Math.sqrt(d));
  const W2 = new Float64Array(w * out).map(() => trng.normal() / Math.sqrt(w));
  const drng = new Rng(seed, STREAM.data);
  const nrng = new Rng(seed, STREAM.noise);
  const make = (n: number, noisy: boolean): Split => {
    const x = new Float32Array(n * d);
    for (let i = 0; i < x.length; i++) x[i] = drng.normal();
    const y = new Float64Array(n * out);
    const h = new Float64Array(w);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < w; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += x[i * d + k] * W1[k * w + j];
        h[j] = s > 0 ? s : 0;
      }
      for (let o = 0; o < out; o++) {
        let s = 0;
        for (let j = 0; j < w; j++) s += h[j] * W2[j * out + o];
        y[i * out + o] = s;
      }
    }
    if (t.mode === 'regression') {
      const targets = new Float32Array(n);
      for (let i = 0; i < n; i++) targets[i] = y[i] + (noisy && t.noise > 0 ? t.noise * nrng.normal() : 0);
      return { n, x, labels: null, targets, operands: null };
    }
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let o = 1; o < out; o++) if (y[i * out + o] > y[i * out + best]) best = o;
      labels[i] = best;
    }
    return { n, x, labels, targets: null, operands: null };
  };
  const train = make(t.nTrain, true);
  const test = make(t.nTest, false);
  if (t.mode === 'classification') applyLabelNoise(train.labels!, t.labelNoise, t.classes, new Rng(seed, STREAM.labelNoise));
  return {
    kind: t.mode === 'classification' ? 'classification' : 'regression',
    inputDim: d,
    outputDim: out,
    modular: null,
    train,
    test,
    description: `random ReLU teacher (d=${d}, width ${w}) ${t.mode}, ${t.nTrain} train / ${t.nTest} test`,
  };
}

export function makeDataset(task: TaskConfig, seed: number): Dataset {
  switch (task.kind) {
    case 'modular':
      return modularDataset(task, seed);
    case 'polynomial': {
      const c = task.coefficients;
      return scalarRegression(task, seed, (x) => c.reduceRight((acc, ck) => acc * x + ck, 0),
        `polynomial regression (degree ${c.length - 1}), noise σ=${task.noise}`);
    }
    case 'sine':
      return scalarRegression(task, seed, (x) => task.amplitude * Math.sin(2 * Math.PI * task.frequency * x),
        `sine regression (f=${task.frequency}), noise σ=${task.noise}`);
    case 'teacher':
      return teacherDataset(task, seed);
  }
}
