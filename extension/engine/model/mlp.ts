/**
 * A multi-layer perceptron written directly against tfjs ops, so the training loop stays visible
 * (micrograd / nanoGPT style) and every tensor has the name our probes and checkpoints use:
 * `layers.K.kernel` [in, out] and `layers.K.bias` [out] for dense layer K, `embedding.weight` [p, d]
 * for a learned token embedding.
 *
 * One-hot modular input: x·W₀ for x = [onehot(a), onehot(b)] equals W₀[a] + W₀[p + b]. The model computes
 * exactly that with a row gather instead of a dense matmul over mostly-zero inputs. The gradient of a
 * gather is a scatter-add (UnsortedSegmentSum), a kernel the wasm backend lacks, so the backward pass is a
 * custom gradient that scatter-adds the incoming rows on the JS side: same numbers, a fraction of the cost.
 */
import type * as tfc from '@tensorflow/tfjs';
import type { TF } from '../backend';
import type { ModelConfig } from '../../shared/configTypes';
import type { Dataset, Split } from '../tasks/datasets';
import { Rng, STREAM } from '../tasks/rng';
import { HostOutput, hostRead } from './hostio';

export interface Param {
  name: string;
  variable: tfc.Variable;
  trainable: boolean;
  /** Dense layer index (-1 for the embedding). */
  layer: number;
  kind: 'kernel' | 'bias' | 'embedding';
  shape: number[];
}

/** What a split looks like to the model: dense features, or operand indices for the gather path. */
export interface ModelInput {
  n: number;
  x: tfc.Tensor2D | null;
  /** Gather rows of the first matrix: indices of a and of (offset + b). */
  ia: tfc.Tensor1D | null;
  ib: tfc.Tensor1D | null;
  /** Host-side copy of the indices for the custom scatter-add gradient. */
  iaHost: Int32Array | null;
  ibHost: Int32Array | null;
}

export interface ForwardResult {
  out: tfc.Tensor2D;
  /** Post-activation hidden layers, when requested. */
  hidden: tfc.Tensor2D[];
}

export class Mlp {
  readonly params: Param[] = [];
  /** Widths of all dense layers' inputs and outputs: [in, h1, …, out]. */
  readonly widths: number[];
  private readonly gatherPath: boolean;
  private readonly embedding: Param | null = null;

  constructor(private readonly tf: TF, readonly cfg: ModelConfig, data: Dataset, seed: number) {
    const rng = new Rng(seed, STREAM.init);
    const mod = data.modular;
    this.gatherPath = mod !== null;
    let inDim = data.inputDim;
    if (mod && mod.input === 'embedding') {
      const d = mod.embeddingDim;
      const values = initValues(rng, cfg.init, mod.p, d, mod.p * d, cfg.initScale);
      this.embedding = this.addParam('embedding.weight', tf.tensor2d(values, [mod.p, d]), -1, 'embedding', true);
      inDim = 2 * d;
    }
    this.widths = [inDim, ...cfg.hidden, data.outputDim];
    for (let k = 0; k + 1 < this.widths.length; k++) {
      const fanIn = this.widths[k];
      const fanOut = this.widths[k + 1];
      const trainable = !cfg.freeze.includes(k);
      const values = initValues(rng, cfg.init, fanIn, fanOut, fanIn * fanOut, cfg.initScale);
      this.addParam(`layers.${k}.kernel`, tf.tensor2d(values, [fanIn, fanOut]), k, 'kernel', trainable);
      if (cfg.bias) this.addParam(`layers.${k}.bias`, tf.zeros([fanOut]), k, 'bias', trainable);
    }
  }

  private addParam(name: string, init: tfc.Tensor, layer: number, kind: Param['kind'], trainable: boolean): Param {
    const variable = this.tf.variable(init, trainable, `${name}#${Math.random().toString(36).slice(2)}`);
    init.dispose();
    const p: Param = { name, variable, trainable, layer, kind, shape: variable.shape.slice() };
    this.params.push(p);
    return p;
  }

  get trainable(): Param[] {
    return this.params.filter((p) => p.trainable);
  }

  get kernels(): Param[] {
    return this.params.filter((p) => p.kind === 'kernel');
  }

  param(name: string): Param | undefined {
    return this.params.find((p) => p.name === name);
  }

  /** Uploads a split once; the returned tensors live until `disposeInput`. */
  input(split: Split, data: Dataset): ModelInput {
    const tf = this.tf;
    if (this.gatherPath && split.operands) {
      const n = split.n;
      const offset = data.modular!.input === 'onehot' ? data.modular!.p : 0;
      const ia = new Int32Array(n);
      const ib = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        ia[i] = split.operands[2 * i];
        ib[i] = split.operands[2 * i + 1] + offset;
      }
      return { n, x: null, ia: tf.tensor1d(ia, 'int32'), ib: tf.tensor1d(ib, 'int32'), iaHost: ia, ibHost: ib };
    }
    return { n: split.n, x: tf.tensor2d(split.x, [split.n, data.inputDim]), ia: null, ib: null, iaHost: null, ibHost: null };
  }

  /** Rows [start, end) of an input, for mini-batches (indices into the split). */
  subset(inp: ModelInput, rows: Int32Array): ModelInput {
    const tf = this.tf;
    if (inp.ia && inp.ib && inp.iaHost && inp.ibHost) {
      const ia = rows.map((r) => inp.iaHost![r]);
      const ib = rows.map((r) => inp.ibHost![r]);
      return { n: rows.length, x: null, ia: tf.tensor1d(ia, 'int32'), ib: tf.tensor1d(ib, 'int32'), iaHost: ia, ibHost: ib };
    }
    const idx = tf.tensor1d(rows, 'int32');
    const x = tf.gather(inp.x!, idx) as tfc.Tensor2D;
    idx.dispose();
    return { n: rows.length, x, ia: null, ib: null, iaHost: null, ibHost: null };
  }

  disposeInput(inp: ModelInput): void {
    inp.x?.dispose();
    inp.ia?.dispose();
    inp.ib?.dispose();
  }

  /** Σ rows gathered from `table` at ia and ib (or their concatenation for embeddings), with a scatter-add gradient. */
  private gatherSum(table: tfc.Variable, inp: ModelInput, concat: boolean): tfc.Tensor2D {
    const tf = this.tf;
    const [rows, cols] = table.shape as [number, number];
    const ia = inp.iaHost!;
    const ib = inp.ibHost!;
    const op = tf.customGrad(((t: tfc.Tensor) => {
      // Forward on the JS side too: the wasm backend's Gather kernel is scalar and slow (≈40 ms for 4704 rows
      // of 256 floats, most of an epoch), while summing the rows here takes ≈3 ms, in place (see hostio.ts).
      const width = concat ? 2 * cols : cols;
      const offB = concat ? cols : 0;
      const result = new HostOutput<tfc.Tensor2D>(tf, [ia.length, width]);
      const table = hostRead(tf, t);
      const out = result.view();
      for (let i = 0; i < ia.length; i++) {
        const dst = i * width;
        const ra = ia[i] * cols;
        const rb = ib[i] * cols;
        if (concat) {
          out.set(table.subarray(ra, ra + cols), dst);
          out.set(table.subarray(rb, rb + cols), dst + offB);
        } else {
          for (let j = 0; j < cols; j++) out[dst + j] = table[ra + j] + table[rb + j];
        }
      }
      const value = result.finish();
      const gradFunc = (dy: tfc.Tensor) => {
        const grad = new HostOutput<tfc.Tensor2D>(tf, [rows, cols]);
        const g = hostRead(tf, dy);
        const acc = grad.view();
        for (let i = 0; i < ia.length; i++) {
          const src = i * width;
          const ra = ia[i] * cols;
          const rb = ib[i] * cols;
          for (let j = 0; j < cols; j++) {
            acc[ra + j] += g[src + j];
            acc[rb + j] += g[src + offB + j];
          }
        }
        return grad.finish();
      };
      return { value, gradFunc };
    }) as unknown as Parameters<TF['customGrad']>[0]);
    return op(table) as tfc.Tensor2D;
  }

  /**
   * The usual first layer of the modular tasks, fused on the JS side: relu(W[a] + W[p + b] + bias).
   * Identical maths to gatherSum → tf.add → tf.relu (relu′(z) = 1 for z > 0, else 0, as tf's Step), but one
   * pass over the n×width output instead of four tfjs kernels forward and five backward (Add, Relu; Step,
   * Cast, Mul, and the bias gradient's Transpose + Sum): ≈ 7 ms of a ≈ 55 ms epoch at width 256.
   */
  private oneHotReluLayer(table: tfc.Variable, bias: tfc.Variable, inp: ModelInput): tfc.Tensor2D {
    const tf = this.tf;
    const [rows, cols] = table.shape as [number, number];
    const ia = inp.iaHost!;
    const ib = inp.ibHost!;
    const n = ia.length;
    const op = tf.customGrad(((t: tfc.Tensor, b: tfc.Tensor, save: (ts: tfc.Tensor[]) => void) => {
      const result = new HostOutput<tfc.Tensor2D>(tf, [n, cols]);
      const tv = hostRead(tf, t);
      const bv = hostRead(tf, b);
      const out = result.view();
      for (let i = 0; i < n; i++) {
        const dst = i * cols;
        const ra = ia[i] * cols;
        const rb = ib[i] * cols;
        for (let j = 0; j < cols; j++) {
          const z = tv[ra + j] + tv[rb + j] + bv[j];
          // relu without a branch: (z + |z|)/2 is exactly max(z, 0) in float64 (and NaN stays NaN, so a diverged
          // run still shows a NaN loss). The sign of z is a coin flip, and `z < 0 ? 0 : z` mispredicts half the
          // time: measured 11 ms → 3 ms for 4704×256 here.
          out[dst + j] = (z + Math.abs(z)) * 0.5;
        }
      }
      const value = result.finish();
      save([value]);
      const gradFunc = (dy: tfc.Tensor, saved: tfc.Tensor[]) => {
        const gT = new HostOutput<tfc.Tensor2D>(tf, [rows, cols]);
        const gB = new HostOutput<tfc.Tensor1D>(tf, [cols]);
        const g = hostRead(tf, dy);
        const h = hostRead(tf, saved[0]);
        const accT = gT.view();
        const accB = gB.view();
        for (let i = 0; i < n; i++) {
          const src = i * cols;
          const ra = ia[i] * cols;
          const rb = ib[i] * cols;
          for (let j = 0; j < cols; j++) {
            // relu′ as a 0/1 factor instead of a branch (see the forward pass): 8.7 ms → 5.9 ms. Adding v·0 = ±0
            // leaves the sums unchanged, so the gradient is bit-identical to the branching form for finite values.
            const v = g[src + j] * +(h[src + j] > 0);
            accT[ra + j] += v;
            accT[rb + j] += v;
            accB[j] += v;
          }
        }
        return [gT.finish(), gB.finish()];
      };
      return { value, gradFunc };
    }) as unknown as Parameters<TF['customGrad']>[0]);
    return op(table, bias) as tfc.Tensor2D;
  }

  /**
   * h·W with the backward pass written with explicit transposes: ∂h = dy·Wᵀ, ∂W = (dyᵀ·h)ᵀ. Same maths as
   * tf.matMul's own gradient, which calls matMul with transposeA/transposeB — a path the wasm backend runs
   * 6–10× slower than a transpose followed by a plain (XNNPACK) matMul (measured: 4704×256×97, 97 ms vs 16 ms).
   */
  private dense(h: tfc.Tensor2D, w: tfc.Tensor2D): tfc.Tensor2D {
    const tf = this.tf;
    const op = tf.customGrad(((x: tfc.Tensor2D, k: tfc.Tensor2D, save: (t: tfc.Tensor[]) => void) => {
      save([x, k]);
      const value = tf.matMul(x, k);
      const gradFunc = (dy: tfc.Tensor2D, saved: tfc.Tensor[]) => {
        const [xs, ks] = saved as tfc.Tensor2D[];
        const dx = tf.matMul(dy, tf.transpose(ks));
        const dk = tf.transpose(tf.matMul(tf.transpose(dy), xs));
        return [dx, dk];
      };
      return { value, gradFunc };
    }) as unknown as Parameters<TF['customGrad']>[0]);
    return op(h, w) as tfc.Tensor2D;
  }

  activate(z: tfc.Tensor2D): tfc.Tensor2D {
    const tf = this.tf;
    switch (this.cfg.activation) {
      case 'relu':
        return tf.relu(z);
      case 'tanh':
        return tf.tanh(z);
      case 'quadratic':
        return tf.square(z);
      case 'gelu': {
        // tanh approximation (Hendrycks & Gimpel), as PyTorch's gelu(approximate='tanh').
        const c = Math.sqrt(2 / Math.PI);
        const inner = tf.mul(tf.add(z, tf.mul(tf.pow(z, 3), 0.044715)), c);
        return tf.mul(tf.mul(z, 0.5), tf.add(tf.tanh(inner), 1));
      }
    }
  }

  /** Call inside tf.tidy (or a gradient function). */
  forward(inp: ModelInput, keepHidden = false): ForwardResult {
    const tf = this.tf;
    const hidden: tfc.Tensor2D[] = [];
    const nLayers = this.widths.length - 1;
    let h: tfc.Tensor2D;
    let first = 0;
    if (inp.iaHost) {
      if (this.embedding) {
        h = this.gatherSum(this.embedding.variable, inp, true);
      } else {
        // One-hot path: layer 0's matmul is a row gather-sum.
        const k0 = this.param('layers.0.kernel')!.variable;
        const b0 = this.param('layers.0.bias');
        if (nLayers > 1 && this.cfg.activation === 'relu' && b0) {
          h = this.oneHotReluLayer(k0, b0.variable, inp);
        } else {
          let z = this.gatherSum(k0, inp, false);
          if (b0) z = tf.add(z, b0.variable);
          h = nLayers === 1 ? z : this.activate(z);
        }
        if (nLayers > 1 && keepHidden) hidden.push(h);
        first = 1;
      }
    } else {
      h = inp.x!;
    }
    for (let k = first; k < nLayers; k++) {
      let z = this.dense(h, this.param(`layers.${k}.kernel`)!.variable as tfc.Tensor2D);
      const b = this.param(`layers.${k}.bias`);
      if (b) z = tf.add(z, b.variable);
      if (k === nLayers - 1) {
        h = z;
      } else {
        h = this.activate(z);
        if (keepHidden) hidden.push(h);
      }
    }
    return { out: h, hidden };
  }

  snapshot(): { name: string; shape: number[]; data: Float32Array }[] {
    return this.params.map((p) => ({ name: p.name, shape: p.shape.slice(), data: p.variable.dataSync() as Float32Array }));
  }

  dispose(): void {
    for (const p of this.params) p.variable.dispose();
  }
}

/** glorot-uniform: U(±√(6/(fanIn+fanOut))); he-normal: N(0, 2/fanIn); both × scale. */
export function initValues(rng: Rng, init: ModelConfig['init'], fanIn: number, fanOut: number, count: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  if (init === 'glorot-uniform') {
    const limit = Math.sqrt(6 / (fanIn + fanOut)) * scale;
    for (let i = 0; i < count; i++) out[i] = rng.uniform(-limit, limit);
  } else {
    const std = Math.sqrt(2 / fanIn) * scale;
    for (let i = 0; i < count; i++) out[i] = rng.normal() * std;
  }
  return out;
}
