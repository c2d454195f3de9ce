/**
 * The resolved shape of one training configuration (after `defaults` are merged and a sweep point is
 * applied). Every field is present here; the JSON Schema (schema.json) documents the optional forms users
 * write and the defaults that fill them. Pure types: imported by engine, trainer, host and webview.
 */

export type ModularOp = 'add' | 'sub' | 'mul' | 'div';

export interface ModularTask {
  kind: 'modular';
  op: ModularOp;
  /** A prime modulus. */
  p: number;
  /** Fraction of all p² (or p·(p−1) for div) pairs used for training. */
  trainFraction: number;
  /** `onehot`: concatenated one-hot of a and b (2p inputs); `embedding`: learned embedding of size embeddingDim per operand, concatenated. */
  input: 'onehot' | 'embedding';
  embeddingDim: number;
  /** Fraction of training labels replaced by uniformly random classes (fixed for the seed). 1 = fully random labels. */
  labelNoise: number;
}

export interface PolynomialTask {
  kind: 'polynomial';
  /** Coefficients c0..cd of y = Σ c_k x^k. */
  coefficients: number[];
  nTrain: number;
  nTest: number;
  /** Standard deviation of Gaussian noise added to training targets. */
  noise: number;
  xRange: [number, number];
}

export interface SineTask {
  kind: 'sine';
  frequency: number;
  amplitude: number;
  nTrain: number;
  nTest: number;
  noise: number;
  xRange: [number, number];
}

export interface RandomFeatureTask {
  kind: 'teacher';
  mode: 'regression' | 'classification';
  inputDim: number;
  /** Hidden width of the fixed random ReLU teacher network. */
  teacherWidth: number;
  /** Number of classes (classification). */
  classes: number;
  nTrain: number;
  nTest: number;
  noise: number;
  labelNoise: number;
}

export type TaskConfig = ModularTask | PolynomialTask | SineTask | RandomFeatureTask;

export type Activation = 'relu' | 'gelu' | 'tanh' | 'quadratic';

export interface ModelConfig {
  hidden: number[];
  activation: Activation;
  init: 'glorot-uniform' | 'he-normal';
  initScale: number;
  bias: boolean;
  /** Indices of dense layers whose weights stay fixed at init (e.g. [0] = random-features model). */
  freeze: number[];
}

export interface ScheduleConfig {
  type: 'constant' | 'cosine';
  /** Linear warmup from 0 over this many optimizer steps... expressed in epochs. */
  warmupEpochs: number;
  /** Final learning rate of the cosine schedule as a fraction of lr. */
  minLrFraction: number;
}

export interface OptimizerConfig {
  name: 'sgd' | 'momentum' | 'adam' | 'adamw';
  lr: number;
  /** adamw: decoupled (w ← w·(1 − lr·wd)); others: coupled L2 added to the gradient (PyTorch weight_decay). */
  weightDecay: number;
  momentum: number;
  nesterov: boolean;
  beta1: number;
  beta2: number;
  eps: number;
  schedule: ScheduleConfig;
}

export interface TrainingSettings {
  epochs: number;
  /** 'full' = full batch (one step per epoch). */
  batchSize: number | 'full';
  seed: number;
  /** 'auto': cross-entropy for classification, mse for regression. */
  loss: 'auto' | 'cross-entropy' | 'mse';
}

export interface ChangePointSettings {
  method: 'pelt';
  /** Penalty per extra segment, in units of the noise variance × log(n) (BIC-like when 1). */
  penalty: number;
  /** Minimum segment length in probe points. */
  minSegment: number;
  /** A change is confirmed once this many points after it agree. */
  confirm: number;
  /** Noise floor of the log10 series, in decades: deviations below it are not structure. */
  noiseFloor: number;
  /** |slope| (log10 units per 1000 epochs) at or below which a segment counts as flat. */
  flatSlope: number;
  /** A fall that slows to at most this fraction of its previous rate counts as levelling off. */
  levelRatio: number;
}

export interface ProbeSettings {
  /** Loss/accuracy, gradient norms, weight norms, update ratios: every N epochs (1 = every epoch). */
  every: number;
  /** Dead neurons, sparsity, entropy: every N epochs. */
  activationsEvery: number;
  /** Weight spectra (eigenvalues, MP fit, α): every N epochs. */
  spectrumEvery: number;
  /** Benford first-digit distribution: every N epochs. */
  benfordEvery: number;
  histogramBins: number;
  memorizationThreshold: number;
  generalizationThreshold: number;
  /** Regression: generalization = test loss under this value. */
  regressionLossThreshold: number;
  changePoint: ChangePointSettings;
}

export interface CheckpointSettings {
  /** Write a checkpoint every N epochs (0 = never, except at the end when atEnd). */
  every: number;
  atEnd: boolean;
}

export interface TrainingConfig {
  task: TaskConfig;
  model: ModelConfig;
  optimizer: OptimizerConfig;
  training: TrainingSettings;
  probes: ProbeSettings;
  checkpoints: CheckpointSettings;
}

/** One run to execute: a config of an experiment file, possibly at one point of a sweep. */
export interface ResolvedRun {
  experiment: string;
  /** Name of the config in the file. */
  configName: string;
  /** Unique, filesystem-safe run name (configName, plus sweep values for sweep points). */
  runName: string;
  /** Dotted path → value, for sweep points. */
  sweepValues?: Record<string, unknown>;
  config: TrainingConfig;
}

/** An experiment file's `study` block: what its study shows first (schema.json documents each field). */
export interface StudySettings {
  metric?: string;
  /** One axis (a curve) or two (a heatmap: x, y). */
  by?: string[];
  split?: string;
  predict?: { feature: string; outcome: string };
  logX?: boolean;
  logY?: boolean;
  /** Reference lines on the curve: at `value` of `axis` (e.g. the interpolation threshold at width = nTrain). */
  marks?: StudyMark[];
}

/** A labelled reference line of the Study panel's curve, drawn when `axis` is the curve's x axis. */
export interface StudyMark {
  axis: string;
  value: number;
  label: string;
}
