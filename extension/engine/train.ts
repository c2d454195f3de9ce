/**
 * The training loop. One function, readable top to bottom: build the data and the model, then per epoch
 * take the optimizer steps, measure, and every so often run the heavier probes. Every measurement is emitted
 * as a MetricsRecord through `hooks.onRecord` the moment it exists.
 *
 * Conventions (documented in README):
 * - trainLoss / trainAcc are measured on the epoch's training forward passes (weights before each step; for
 *   full batch that is the loss the gradient was taken of). testLoss / testAcc are measured after the epoch.
 * - gradNorms: L2 norm of each tensor's loss gradient (no weight-decay term); with mini-batches, the mean of
 *   the per-step norms over the epoch. weightNorms after the epoch; updateRatios = ‖W_after − W_before‖/‖W_before‖.
 */
import type * as tfc from '@tensorflow/tfjs';
import type { TF } from './backend';
import type { TrainingConfig } from '../shared/configTypes';
import type { EpochRecord, MetricsRecord, RunSummary } from '../shared/protocol';
import { makeDataset, type Dataset } from './tasks/datasets';
import { Mlp, type ModelInput } from './model/mlp';
import { softmaxCrossEntropy, type CrossEntropyStats } from './model/losses';
import { EvalSplit, lossKind, type SplitMetrics } from './evaluate';
import { InlineEvaluator, NativeEvaluator, ThreadEvaluator, pickEvaluation, pickNativeEvaluation, type EvaluationMode, type TestEvaluator } from './testEvaluator';
import { Optimizer, learningRate } from './optim/optimizers';
import { Rng, STREAM } from './tasks/rng';
import { layerActivationStats } from './probes/activations';
import { matrixSpectrum } from './probes/spectra';
import { benford } from './probes/benford';
import { ChangePointDetector } from './probes/changepoint';
import { SummaryTracker } from '../shared/summary';
import { FULL_FIT, QUICK_FIT, fitLossCurve } from './probes/curvefit';
import { hostRead } from './model/hostio';
import { FastMlp } from './fast/fastMlp';
import type { NativeAddon } from './fast/native';

/** Euclidean norm, accumulated in float64. */
function l2(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

export interface TensorSnapshot {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface TrainHooks {
  onRecord(record: MetricsRecord): void;
  onCheckpoint(epoch: number, tensors: TensorSnapshot[]): void | Promise<void>;
  shouldStop(): boolean;
  /** The caller's summary tracker, fed every record (so a run that fails still has its summary so far). */
  summary?: SummaryTracker;
}

export interface TrainResult {
  status: 'completed' | 'stopped';
  epochsCompleted: number;
  summary: RunSummary;
  /** Where the per-epoch test evaluation ran (testEvaluator.ts). */
  evaluation: EvaluationMode;
  /** Which path trained: the native fused kernels or tfjs ops. */
  engine: EnginePath;
  /** With `options.profile` on the native path: where the CPU time of the run's last three quarters went. */
  profile?: NativeProfile;
}

export interface NativeProfile {
  /** Epochs profiled: from the first quarter's end to the last epoch (V8 compiles the loop's JS in the first ones). */
  epochs: number;
  /** CPU ms of each of the addon's phases (their names) in those epochs, its evaluation thread included. */
  phases: Record<string, number>;
  /** CPU ms of the whole process (every thread) in those epochs. */
  processCpuMs: number;
}

export type EnginePath = 'native' | 'tfjs';

export interface TrainOptions {
  /**
   * Where to evaluate the test split every measured epoch: 'thread' (a worker thread, overlapping the next
   * epoch's training), 'inline', or 'auto' (default: a thread when there is a second core and the path is
   * native, or tfjs on wasm or cpu). Same numbers either way.
   */
  evaluation?: EvaluationMode | 'auto';
  /**
   * The native fast path (fast/native.ts): when given, every step, evaluation and probe runs on it (the tfjs
   * model only provides the initial weights); without it, tfjs ops do.
   */
  native?: NativeAddon | null;
  /** Time the native path's phases and the process's CPU (TrainResult.profile); for the bench. */
  profile?: boolean;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function train(tf: TF, config: TrainingConfig, hooks: TrainHooks, options: TrainOptions = {}): Promise<TrainResult> {
  const started = Date.now();
  const data = makeDataset(config.task, config.training.seed);
  const model = new Mlp(tf, config.model, data, config.training.seed);
  const opt = new Optimizer(tf, config.optimizer);
  const loss = lossKind(config, data);
  const classification = data.kind === 'classification';
  if (loss === 'cross-entropy' && !classification) throw new Error('training.loss: cross-entropy needs a classification task');

  const trainSplit = new EvalSplit(tf, model, data.train, data);
  const testSplit = new EvalSplit(tf, model, data.test, data);
  const trainIn = trainSplit.input;
  const testIn = testSplit.input;
  const yTrain = trainSplit.y;
  const labelsTrain = trainSplit.labels;
  const fast = options.native ? new FastMlp(options.native, model, config, data, loss) : null;
  // The fast path's test forward (a third of a step) runs on a libuv worker thread beside the next step.
  const picked = fast ? { mode: pickNativeEvaluation(options.evaluation), start: null } : pickEvaluation(tf.getBackend(), options.evaluation);
  const evaluator: TestEvaluator = fast
    ? new NativeEvaluator(fast, picked.mode)
    : picked.mode === 'thread' && picked.start
      ? new ThreadEvaluator(picked.start, config, tf.getBackend() as 'wasm' | 'cpu')
      : new InlineEvaluator(tf, model, testSplit, loss, classification);
  /** Current values of parameter i (Mlp.params order): read-only, valid until the next step or tfjs call. */
  const values = (i: number): Float32Array => (fast ? fast.weights[i] : hostRead(tf, model.params[i].variable));
  // Records wait here for their epoch's test metrics; everything emitted after an epoch record goes through
  // this chain, so the order of records is the order of epochs whichever evaluator runs.
  let pending: Promise<void> = Promise.resolve();
  const later = (f: () => void | Promise<void>) => {
    pending = pending.then(f);
    pending.catch(() => {}); // observed by the next `await pending`
  };
  const sst = (split: typeof data.train) => {
    if (classification) return 0;
    const t = split.targets!;
    const m = t.reduce((s, v) => s + v, 0) / t.length;
    return t.reduce((s, v) => s + (v - m) * (v - m), 0);
  };
  const sstTrain = sst(data.train);
  const sstTest = sst(data.test);

  // Cross-entropy always has integer labels (checked above); the fused op also counts correct predictions.
  const ceStats: CrossEntropyStats = { correct: 0 };
  const lossOf = (out: tfc.Tensor2D, y: tfc.Tensor2D, labels: Int32Array | null): tfc.Scalar =>
    loss === 'cross-entropy' ? softmaxCrossEntropy(tf, out, labels!, ceStats) : (tf.losses.meanSquaredError(y, out) as tfc.Scalar);
  /** Correct predictions among `out` for labels: from the fused loss, or an argmax for mse on a classification task. */
  const correctOf = (out: tfc.Tensor2D, labels: tfc.Tensor1D | null): number =>
    labels === null ? 0 : loss === 'cross-entropy' ? ceStats.correct : tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(out, 1), labels), 'float32')).dataSync()[0]);

  const p = config.probes;
  const epochs = config.training.epochs;
  const full = config.training.batchSize === 'full' || config.training.batchSize >= data.train.n;
  const batchSize = full ? data.train.n : (config.training.batchSize as number);
  const stepsPerEpoch = Math.ceil(data.train.n / batchSize);
  const totalSteps = epochs * stepsPerEpoch;
  const batchRng = new Rng(config.training.seed, STREAM.batches);
  const trainable = model.trainable;
  const names = model.params.map((q) => q.name);
  const kernels = model.kernels;
  const detectors = kernels.map(() => new ChangePointDetector(p.changePoint));
  const tracker = hooks.summary ?? new SummaryTracker();
  let memorized = false;
  let generalized = false;
  let status: TrainResult['status'] = 'completed';
  let done = 0;
  let lastYield = Date.now();

  const emit = (r: MetricsRecord) => {
    tracker.add(r);
    hooks.onRecord(r);
  };
  /** An epoch record with its test metrics: checked, emitted, and fed to the event detectors. */
  const finishEpoch = (rec: EpochRecord) => {
    const epoch = rec.epoch;
    const gradNorms = rec.gradNorms;
    // A non-finite loss cannot be written as JSON (NaN → null); end the run with a clear reason instead.
    if (!Number.isFinite(rec.trainLoss) || !Number.isFinite(rec.testLoss)) {
      throw new Error(`training diverged at epoch ${epoch}: train loss ${rec.trainLoss}, test loss ${rec.testLoss} (try a smaller learning rate)`);
    }
    emit(rec);

    if (!memorized && rec.trainAcc !== null && rec.trainAcc >= p.memorizationThreshold) {
      memorized = true;
      emit({ type: 'event', epoch, event: { kind: 'memorization', epoch } });
    }
    const gen = classification ? rec.testAcc! >= p.generalizationThreshold : rec.testLoss < p.regressionLossThreshold;
    if (!generalized && gen) {
      generalized = true;
      emit({ type: 'event', epoch, event: { kind: 'generalization', epoch } });
    }
    kernels.forEach((kp, i) => {
      const g = gradNorms[kp.name];
      if (!(g > 0)) return;
      for (const c of detectors[i].push(epoch, Math.log10(g))) {
        emit({
          type: 'event',
          epoch,
          event: { kind: 'transition', layer: kp.layer, tensor: kp.name, epoch: c.epoch, detectedAt: c.detectedAt, changeKind: c.changeKind, slopeBefore: c.slopeBefore, slopeAfter: c.slopeAfter },
        });
      }
    });
  };

  const checkpoint = async (epoch: number) => {
    await hooks.onCheckpoint(
      epoch,
      fast ? model.params.map((q, i) => ({ name: q.name, shape: q.shape.slice(), data: Float32Array.from(fast.weights[i]) })) : model.snapshot(),
    );
  };

  const profileFrom = fast && options.profile ? Math.max(2, Math.floor(epochs / 4) + 1) : Infinity;
  let profileCpu0 = 0;
  const processCpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };

  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (hooks.shouldStop()) {
        status = 'stopped';
        break;
      }
      if (epoch === profileFrom) {
        await pending; // the evaluation before the window is counted before it
        fast!.profile(true);
        profileCpu0 = processCpuMs();
      }
      const measure = epoch % p.every === 0 || epoch === 1 || epoch === epochs;
      // Weights before the epoch, for the update ratios: host copies (the parameters are small; norms of them
      // take well under a millisecond in JS, versus a dozen tfjs ops and clones); the fast path keeps its own.
      const before = measure && !fast ? model.params.map((_, i) => values(i).slice()) : [];
      if (measure && fast) fast.markWeights();
      // Running sums (loss·n and sse as tensors on the tfjs path, read once at the end of the epoch; correct
      // counts and grad norms as numbers).
      let lossSum: tfc.Tensor | null = fast ? null : tf.scalar(0);
      let correctSum = 0;
      let sseSum: tfc.Tensor | null = fast ? null : tf.scalar(0);
      // The fast path's sums, as numbers.
      let fastLoss = 0;
      let fastSse = 0;
      const gradNormSum = new Float64Array(names.length);
      let lr = config.optimizer.lr;

      let order: Int32Array | null = null;
      if (!full) {
        order = new Int32Array(data.train.n).map((_, i) => i);
        batchRng.shuffle(order);
      }
      for (let b = 0; b < stepsPerEpoch; b++) {
        const step = (epoch - 1) * stepsPerEpoch + b;
        lr = learningRate(config.optimizer.lr, config.optimizer.schedule, step, totalSteps, stepsPerEpoch);
        if (fast) {
          const idx = order ? order.subarray(b * batchSize, Math.min(data.train.n, (b + 1) * batchSize)) : null;
          const s = fast.step(idx, lr, measure);
          const n = idx ? idx.length : data.train.n;
          fastLoss += s.loss * n;
          fastSse += s.sse;
          correctSum += s.correct;
          if (measure) for (let i = 0; i < names.length; i++) gradNormSum[i] += s.gradNorms[i];
          if (!full && Date.now() - lastYield > 50) {
            await yieldToEventLoop();
            lastYield = Date.now();
            if (hooks.shouldStop()) break;
          }
          continue;
        }
        let batch: ModelInput = trainIn;
        let yb = yTrain;
        let lb = labelsTrain;
        let lbHost: Int32Array | null = classification ? data.train.labels! : null;
        let rows: tfc.Tensor1D | null = null;
        if (order) {
          const idx = order.subarray(b * batchSize, Math.min(data.train.n, (b + 1) * batchSize));
          batch = model.subset(trainIn, idx);
          rows = tf.tensor1d(idx, 'int32');
          yb = tf.gather(yTrain, rows) as tfc.Tensor2D;
          lb = labelsTrain ? (tf.gather(labelsTrain, rows) as tfc.Tensor1D) : null;
          lbHost = classification ? idx.map((r) => data.train.labels![r]) : null;
        }
        const n = batch.n;
        const out = tf.tidy(() => {
          let logits: tfc.Tensor2D | null = null;
          const { value, grads } = tf.variableGrads(() => {
            const o = model.forward(batch).out;
            logits = tf.keep(o);
            return lossOf(o, yb, lbHost);
          }, trainable.map((q) => q.variable));
          const gradMap = new Map<string, tfc.Tensor>();
          for (const q of trainable) gradMap.set(q.name, grads[q.variable.name]);
          if (measure) {
            names.forEach((nm, i) => {
              const g = gradMap.get(nm);
              if (g) gradNormSum[i] += l2(hostRead(tf, g));
            });
          }
          opt.step(lr, trainable, gradMap);
          const lo = logits! as tfc.Tensor2D;
          const correct = correctOf(lo, lb);
          const sse = classification ? tf.scalar(0) : tf.sum(tf.square(tf.sub(lo, yb)));
          const res = {
            loss: tf.add(lossSum!, tf.mul(value, n)),
            correct: correctSum + correct,
            sse: tf.add(sseSum!, sse),
          };
          lo.dispose();
          return res;
        });
        lossSum?.dispose();
        sseSum?.dispose();
        lossSum = out.loss;
        correctSum = out.correct;
        sseSum = out.sse;
        if (order) {
          model.disposeInput(batch);
          rows?.dispose();
          yb.dispose();
          lb?.dispose();
        }
        if (!full && Date.now() - lastYield > 50) {
          await yieldToEventLoop();
          lastYield = Date.now();
          if (hooks.shouldStop()) break;
        }
      }

      if (measure) {
        await pending; // the previous measured epoch's record is out (and its errors thrown here)
        let trainLoss = fastLoss / data.train.n;
        let trainSse = fastSse;
        if (!fast) {
          const packed = tf.tidy(() => tf.stack([tf.div(lossSum!, data.train.n), sseSum!]));
          [trainLoss, trainSse] = packed.dataSync();
          packed.dispose();
        }
        const trainCorrect = correctSum;
        const test = evaluator.evaluate(epoch, () => model.params.map((_, i) => Float32Array.from(values(i))));
        const gradNorms: Record<string, number> = {};
        const weightNorms: Record<string, number> = {};
        const updateRatios: Record<string, number> = {};
        const native = fast ? fast.weightStats() : null;
        model.params.forEach((q, i) => {
          gradNorms[q.name] = gradNormSum[i] / stepsPerEpoch;
          if (native) {
            weightNorms[q.name] = native.norms[i];
            updateRatios[q.name] = native.updateRatios[i];
            return;
          }
          const w = values(i);
          const b = before[i];
          let dSq = 0;
          for (let j = 0; j < w.length; j++) dSq += (w[j] - b[j]) ** 2;
          const bn = l2(b);
          weightNorms[q.name] = l2(w);
          updateRatios[q.name] = bn > 0 ? Math.sqrt(dSq) / bn : 0;
        });
        const t = Date.now() - started;
        later(async () => {
          const tm: SplitMetrics = await test;
          finishEpoch({
            type: 'epoch',
            epoch,
            t,
            lr,
            trainLoss,
            testLoss: tm.loss,
            trainAcc: classification ? trainCorrect / data.train.n : null,
            testAcc: classification ? tm.correct / data.test.n : null,
            trainR2: classification ? null : sstTrain > 0 ? 1 - trainSse / sstTrain : null,
            testR2: classification ? null : sstTest > 0 ? 1 - tm.sse / sstTest : null,
            gradNorms,
            weightNorms,
            updateRatios,
          });
        });
      }
      lossSum?.dispose();
      sseSum?.dispose();


      const last = epoch === epochs;
      if (p.activationsEvery > 0 && (epoch % p.activationsEvery === 0 || last || epoch === 1) && config.model.hidden.length > 0) {
        const layers = fast ? activationStats(model, fast.hidden(0), fast.hidden(1), data) : activationProbe(tf, model, trainIn, testIn, data);
        later(() => emit({ type: 'activations', epoch, layers }));
      }
      if (p.spectrumEvery > 0 && (epoch % p.spectrumEvery === 0 || last || epoch === 1)) {
        const matrices = model.params.flatMap((q, i) =>
          q.shape.length === 2 ? [matrixSpectrum(q.name, fast ? fast.weights[i] : q.variable.dataSync(), q.shape[0], q.shape[1], p.histogramBins)] : [],
        );
        later(() => emit({ type: 'spectrum', epoch, matrices }));
      }
      if (p.benfordEvery > 0 && (epoch % p.benfordEvery === 0 || last || epoch === 1)) {
        const tensors = model.params.map((q, i) => benford(q.name, fast ? fast.weights[i] : q.variable.dataSync()));
        later(() => emit({ type: 'benford', epoch, tensors }));
      }
      done = epoch;
      const checkpointNow = (config.checkpoints.every > 0 && epoch % config.checkpoints.every === 0) || (last && config.checkpoints.atEnd);
      if (checkpointNow) {
        await pending; // the checkpoint's metadata carries this epoch's metrics
        await checkpoint(epoch);
      }
      if (Date.now() - lastYield > 50) {
        await yieldToEventLoop();
        lastYield = Date.now();
      }
    }
    await pending;
    let profile: NativeProfile | undefined;
    if (fast && done >= profileFrom) {
      const prof = fast.profile(false);
      profile = { epochs: done - profileFrom + 1, phases: Object.fromEntries(prof.phases.map((name, i) => [name, prof.ms[i]])), processCpuMs: processCpuMs() - profileCpu0 };
    }
    if (status === 'stopped' && done > 0 && config.checkpoints.atEnd) await checkpoint(done);
    // A stop should arrive at once (the full fits take seconds on a busy machine): a stopped run gets quick fits.
    const fit = (e: number[], l: number[]) => fitLossCurve(e, l, status === 'stopped' ? QUICK_FIT : FULL_FIT);
    return { status, epochsCompleted: done, summary: tracker.summary(done, Date.now() - started, fit), evaluation: evaluator.mode, engine: fast ? 'native' : 'tfjs', profile };
  } finally {
    await evaluator.dispose();
    fast?.dispose();
    trainSplit.dispose();
    testSplit.dispose();
    opt.dispose();
    model.dispose();
  }
}

/** Hidden activations on the whole dataset (train rows first, then test) → per-layer stats. */
export function activationProbe(tf: TF, model: Mlp, trainIn: ModelInput, testIn: ModelInput, data: Dataset) {
  // Read the activations outside tf.tidy: tidy walks whatever it returns element by element, and a returned
  // 9409×256 Float32Array cost ~1 s per call that way.
  const per = (inp: ModelInput) => {
    const hidden = tf.tidy(() => model.forward(inp, true).hidden);
    const values = hidden.map((h) => h.dataSync() as Float32Array);
    tf.dispose(hidden);
    return values;
  };
  return activationStats(model, per(trainIn), per(testIn), data);
}

/** Per-layer stats of the hidden activations of the train and test rows (one array per hidden layer each). */
export function activationStats(model: Mlp, tr: Float32Array[], te: Float32Array[], data: Dataset) {
  return tr.map((a, layer) => {
    const units = model.widths[layer + 1];
    const all = new Float32Array(a.length + te[layer].length);
    all.set(a, 0);
    all.set(te[layer], a.length);
    return layerActivationStats(layer, all, data.train.n + data.test.n, units, data.train.n);
  });
}
