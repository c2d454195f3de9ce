/**
 * Loss, correct predictions and sum of squared errors of a model on one split: the per-epoch test evaluation.
 * One function used both inline (train.ts) and on the evaluation thread (evalWorker.ts), so the two modes
 * compute the same numbers with the same code.
 */
import type * as tfc from '@tensorflow/tfjs';
import type { TF } from './backend';
import type { TrainingConfig } from '../shared/configTypes';
import type { Dataset, Split } from './tasks/datasets';
import { softmaxCrossEntropy, type CrossEntropyStats } from './model/losses';
import type { Mlp, ModelInput } from './model/mlp';

export interface SplitMetrics {
  /** Mean loss (cross-entropy or MSE, as training uses). */
  loss: number;
  /** Correct argmax predictions (classification), else 0. */
  correct: number;
  /** Σ (out − y)² over the split (regression), else 0. */
  sse: number;
}

export function lossKind(config: TrainingConfig, data: Dataset): 'cross-entropy' | 'mse' {
  if (config.training.loss !== 'auto') return config.training.loss;
  return data.kind === 'classification' ? 'cross-entropy' : 'mse';
}

/** A split uploaded once for repeated evaluation: inputs, one-hot/regression targets, labels. */
export class EvalSplit {
  readonly input: ModelInput;
  readonly y: tfc.Tensor2D;
  readonly labels: tfc.Tensor1D | null;
  readonly labelsHost: Int32Array | null;

  constructor(private readonly tf: TF, private readonly model: Mlp, split: Split, data: Dataset) {
    this.input = model.input(split, data);
    const classification = data.kind === 'classification';
    this.y = classification
      ? tf.tidy(() => tf.oneHot(tf.tensor1d(split.labels!, 'int32'), data.outputDim).toFloat() as tfc.Tensor2D)
      : tf.tensor2d(split.targets!, [split.n, data.outputDim]);
    this.labels = classification ? tf.tensor1d(split.labels!, 'int32') : null;
    this.labelsHost = classification ? split.labels! : null;
  }

  dispose(): void {
    this.model.disposeInput(this.input);
    this.y.dispose();
    this.labels?.dispose();
  }
}

/** Forward pass over the whole split and its metrics, in one read from the backend. */
export function evaluateSplit(tf: TF, model: Mlp, split: EvalSplit, loss: 'cross-entropy' | 'mse', classification: boolean): SplitMetrics {
  const stats: CrossEntropyStats = { correct: 0 };
  const packed = tf.tidy(() => {
    const o = model.forward(split.input).out;
    const l = loss === 'cross-entropy' ? softmaxCrossEntropy(tf, o, split.labelsHost!, stats) : (tf.losses.meanSquaredError(split.y, o) as tfc.Scalar);
    const correct =
      split.labels === null
        ? tf.scalar(0)
        : loss === 'cross-entropy'
          ? tf.scalar(stats.correct)
          : tf.sum(tf.cast(tf.equal(tf.argMax(o, 1), split.labels), 'float32'));
    const sse = classification ? tf.scalar(0) : tf.sum(tf.square(tf.sub(o, split.y)));
    return tf.stack([l, correct, sse]);
  });
  const v = packed.dataSync();
  packed.dispose();
  return { loss: v[0], correct: v[1], sse: v[2] };
}
