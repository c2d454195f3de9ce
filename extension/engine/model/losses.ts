/**
 * Softmax cross-entropy over integer labels, fused on the JS side: one pass over the logits gives the mean
 * loss, the number of correct argmax predictions and the gradient (softmax − onehot)/n, which the custom
 * gradient returns. Same maths as `tf.losses.softmaxCrossEntropy(oneHot(labels), logits)` (mean reduction)
 * plus argMax/equal/sum, but the wasm backend's scalar Exp kernel and the ~10 small ops it takes cost more
 * than these loops, and the accuracy comes for free. Sums run in float64; exp is fastexp.ts's (rel. error < 1e-8).
 */
import type * as tfc from '@tensorflow/tfjs';
import type { TF } from '../backend';
import { expNonPositive } from './fastexp';
import { HostOutput, hostRead } from './hostio';

export interface CrossEntropyStats {
  /** Rows whose argmax (first maximum, as tf.argMax) equals the label, for the last call. */
  correct: number;
}

/**
 * exp(z − max) of the most recent forward pass, reused by its gradient if no other call came in between
 * (the usual forward → backward order); otherwise the gradient recomputes them from the saved logits.
 * One module-level buffer: no per-call allocation of n×c floats, and nothing held by calls that never
 * take a gradient (test evaluation).
 */
let expCache = new Float32Array(0);
let expCacheOwner = 0;
let calls = 0;

export function softmaxCrossEntropy(tf: TF, logits: tfc.Tensor2D, labels: Int32Array, stats?: CrossEntropyStats): tfc.Scalar {
  const [n, c] = logits.shape;
  if (labels.length !== n) throw new Error(`softmaxCrossEntropy: ${labels.length} labels for ${n} rows`);
  const op = tf.customGrad(((z: tfc.Tensor2D, save: (t: tfc.Tensor[]) => void) => {
    save([z]);
    const v = hostRead(tf, z);
    // Per row: the max and log Σ exp(z − max), kept for the gradient (which recomputes the softmax from the
    // saved logits rather than holding an n×c buffer that a loss-only call would never release).
    const rowMax = new Float64Array(n);
    const rowLogSum = new Float64Array(n);
    const call = ++calls;
    if (expCache.length < n * c) expCache = new Float32Array(n * c);
    const ex = expCache;
    expCacheOwner = call;
    let total = 0;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      const o = i * c;
      let max = v[o];
      let arg = 0;
      for (let j = 1; j < c; j++) {
        if (v[o + j] > max) {
          max = v[o + j];
          arg = j;
        }
      }
      let sum = 0;
      for (let j = 0; j < c; j++) {
        const e = expNonPositive(v[o + j] - max);
        ex[o + j] = e;
        sum += e;
      }
      const y = labels[i];
      const logSum = Math.log(sum);
      rowMax[i] = max;
      rowLogSum[i] = logSum;
      total += max + logSum - v[o + y];
      if (arg === y) correct++;
    }
    if (stats) stats.correct = correct;
    const value = tf.scalar(total / n);
    const gradFunc = (dy: tfc.Tensor, saved: tfc.Tensor[]) => {
      const out = new HostOutput<tfc.Tensor2D>(tf, [n, c]);
      const zs = hostRead(tf, saved[0]);
      const grad = out.view();
      const cached = expCacheOwner === call;
      for (let i = 0; i < n; i++) {
        const o = i * c;
        if (cached) {
          // softmax = exp(z − max) / Σ: the division by Σ·n as one float64 scale.
          const scale = Math.exp(-rowLogSum[i]) / n;
          for (let j = 0; j < c; j++) grad[o + j] = ex[o + j] * scale;
        } else {
          const shift = rowMax[i] + rowLogSum[i];
          for (let j = 0; j < c; j++) grad[o + j] = expNonPositive(zs[o + j] - shift) / n;
        }
        grad[o + labels[i]] -= 1 / n;
      }
      return tf.mul(out.finish(), dy);
    };
    return { value, gradFunc };
  }) as unknown as Parameters<TF['customGrad']>[0]);
  return op(logits) as tfc.Scalar;
}
