/**
 * The MLP on the native fast path: the same parameters as the tfjs model it is built from (names, shapes,
 * initial values copied from `Mlp`), trained by native/mlp.cc's fused step. Weights and optimizer slots live in
 * Float32Arrays owned here and updated in place by the addon, so the probes and checkpoints read them without
 * copies.
 */
import type { TrainingConfig } from '../../shared/configTypes';
import type { Dataset, Split } from '../tasks/datasets';
import type { Mlp } from '../model/mlp';
import type { SplitMetrics } from '../evaluate';
import type { NativeAddon, NativeHandle, NativeModelDesc, NativeSplit } from './native';

const ACTIVATIONS = { relu: 0, tanh: 1, quadratic: 2, gelu: 3 } as const;
const OPTIMIZERS = { sgd: 0, momentum: 1, adam: 2, adamw: 3 } as const;

export interface StepStats {
  /** Mean loss over the step's rows (weights before the step). */
  loss: number;
  correct: number;
  sse: number;
  /** ‖∇‖ per parameter in Mlp.params order (0 for frozen ones; all 0 unless measured). */
  gradNorms: Float64Array;
}

const f32 = (n: number) => new Float32Array(new ArrayBuffer(4 * n));

export class FastMlp {
  /** Current values of every parameter, in Mlp.params order (updated in place by each step). */
  readonly weights: Float32Array[];
  private readonly handle: NativeHandle;
  private released = false;

  constructor(private readonly addon: NativeAddon, model: Mlp, config: TrainingConfig, data: Dataset, loss: 'cross-entropy' | 'mse') {
    const mod = data.modular;
    const o = config.optimizer;
    const desc: NativeModelDesc = {
      first: mod ? (mod.input === 'embedding' ? 2 : 1) : 0,
      activation: ACTIVATIONS[config.model.activation],
      loss: loss === 'cross-entropy' ? 0 : 1,
      optimizer: OPTIMIZERS[o.name],
      weightDecay: o.weightDecay,
      momentum: o.momentum,
      nesterov: o.nesterov,
      beta1: o.beta1,
      beta2: o.beta2,
      eps: o.eps,
      bias: config.model.bias,
      embeddingRows: mod && mod.input === 'embedding' ? mod.p : 0,
      embeddingDim: mod && mod.input === 'embedding' ? mod.embeddingDim : 0,
      widths: model.widths.slice(),
    };
    const snap = model.snapshot();
    this.weights = snap.map((s) => {
      const w = f32(s.data.length);
      w.set(s.data);
      return w;
    });
    this.handle = addon.create(
      desc,
      model.params.map((p, i) => ({ w: this.weights[i], m: f32(this.weights[i].length), v: f32(this.weights[i].length), trainable: p.trainable })),
    );
    addon.setSplit(this.handle, 0, nativeSplit(data.train, data, loss));
    addon.setSplit(this.handle, 1, nativeSplit(data.test, data, loss));
  }

  /** One optimizer step on the training rows `rows` (null: the whole training split). */
  step(rows: Int32Array | null, lr: number, measure: boolean): StepStats {
    const r = this.addon.step(this.handle, rows, lr, measure);
    return { loss: r[0], correct: r[1], sse: r[2], gradNorms: r.subarray(3) };
  }

  /** Loss, correct count and sse of the current weights on the train (0) or test (1) split. */
  evaluate(slot: 0 | 1): SplitMetrics {
    const r = this.addon.evaluate(this.handle, slot);
    return { loss: r[0], correct: r[1], sse: r[2] };
  }

  /** The same as evaluate(slot) of the weights as they are now, on a worker thread while training goes on. */
  async evaluateAsync(slot: 0 | 1): Promise<SplitMetrics> {
    const r = await this.addon.evaluateAsync(this.handle, slot);
    return { loss: r[0], correct: r[1], sse: r[2] };
  }

  /** Remembers the current weights (the start of an epoch) for weightStats(). */
  markWeights(): void {
    this.addon.markWeights(this.handle);
  }

  /** Per parameter (Mlp.params order): ‖w‖, and ‖w − w₀‖ / ‖w₀‖ (0 when w₀ = 0) with w₀ the weights at markWeights(). */
  weightStats(): { norms: Float64Array; updateRatios: Float64Array } {
    const r = this.addon.weightStats(this.handle);
    const n = r.length / 3;
    const norms = new Float64Array(n);
    const updateRatios = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      norms[i] = r[3 * i];
      updateRatios[i] = r[3 * i + 2] > 0 ? r[3 * i + 1] / r[3 * i + 2] : 0;
    }
    return { norms, updateRatios };
  }

  /** CPU ms per phase since the last call (names in `phases`), then resets and switches the phase timers on or off. */
  profile(on: boolean): { phases: string[]; ms: Float64Array } {
    return { phases: this.addon.phases, ms: this.addon.profile(this.handle, on) };
  }

  /** Post-activation values of every hidden layer on a whole split (n × width each). */
  hidden(slot: 0 | 1): Float32Array[] {
    return this.addon.hidden(this.handle, slot);
  }

  dispose(): void {
    if (this.released) return;
    this.released = true;
    this.addon.release(this.handle);
  }
}

/** A split as the addon reads it: indices for the gather paths, dense rows otherwise; one-hot targets for mse. */
function nativeSplit(split: Split, data: Dataset, loss: 'cross-entropy' | 'mse'): NativeSplit {
  const mod = data.modular;
  let ia: Int32Array | null = null;
  let ib: Int32Array | null = null;
  if (mod && split.operands) {
    const offset = mod.input === 'onehot' ? mod.p : 0;
    ia = new Int32Array(split.n);
    ib = new Int32Array(split.n);
    for (let i = 0; i < split.n; i++) {
      ia[i] = split.operands[2 * i];
      ib[i] = split.operands[2 * i + 1] + offset;
    }
  }
  let y: Float32Array | null = null;
  if (loss === 'mse') {
    if (split.labels) {
      y = new Float32Array(split.n * data.outputDim);
      for (let i = 0; i < split.n; i++) y[i * data.outputDim + split.labels[i]] = 1;
    } else {
      y = split.targets;
    }
  }
  return { n: split.n, x: ia ? null : split.x, ia, ib, labels: split.labels, y };
}
