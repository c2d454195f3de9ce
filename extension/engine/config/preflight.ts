/**
 * Resource pre-flight of a resolved config: what a run would hold in memory (weights with their optimizer
 * state, the dataset, activations, probe buffers) and what it would write to disk (metrics.jsonl lines and
 * checkpoints), estimated from the config alone so a run that cannot fit is refused before any process
 * starts. The estimates follow the allocations of tasks/datasets.ts, model/mlp.ts, train.ts and
 * probes/spectra.ts; they are deliberately generous (a refusal needs a large margin, never a near miss).
 * Pure: the machine's limits are passed in (`machineLimits()` reads them from Node).
 */
import * as os from 'node:os';
import * as v8 from 'node:v8';
import { constants as bufferConstants } from 'node:buffer';
import type { TrainingConfig } from '../../shared/configTypes';

export interface MachineLimits {
  /** Physical memory. */
  memoryBytes: number;
  /** V8's heap limit (JS arrays live there, typed arrays do not). */
  heapBytes: number;
  /** Largest single ArrayBuffer. */
  maxArrayBytes: number;
}

export function machineLimits(): MachineLimits {
  return { memoryBytes: os.totalmem(), heapBytes: v8.getHeapStatistics().heap_size_limit, maxArrayBytes: bufferConstants.MAX_LENGTH };
}

export interface ResourcePart {
  what: string;
  bytes: number;
  /** The config field (dotted, below the config) that drives this part. */
  path: string;
}

export interface ResourceEstimate {
  /** Parameters of the model (embedding included). */
  parameters: number;
  memory: ResourcePart[];
  /** JS-heap part of the memory (index arrays of the modular dataset). */
  heapBytes: number;
  heapPath: string;
  /** The largest single typed array. */
  largestArray: ResourcePart;
  disk: { metricsBytes: number; checkpoints: number; checkpointBytes: number };
}

/** Bytes per number as JSON in metrics.jsonl (17 significant digits plus punctuation). */
const JSON_NUMBER = 20;

export function estimateResources(cfg: TrainingConfig): ResourceEstimate {
  const t = cfg.task;
  const hidden = cfg.model.hidden;
  let inDim = 1;
  let outDim = 1;
  let nTrain = 1;
  let nTest = 1;
  let embedParams = 0;
  let datasetBytes = 0;
  let heapBytes = 0;
  let datasetPath = 'task.nTrain';
  let inPath = 'task.inputDim';
  let largestArray: ResourcePart = { what: 'the dataset', bytes: 0, path: 'task.nTrain' };
  switch (t.kind) {
    case 'modular': {
      const rows = t.p * (t.op === 'div' ? t.p - 1 : t.p);
      nTrain = Math.max(1, Math.round(t.trainFraction * rows));
      nTest = Math.max(1, rows - nTrain);
      // One-hot features (always built, 2p floats per row), operands and labels; the pair list, the
      // shuffled order and its slices are JS arrays on the heap.
      const xBytes = rows * 2 * t.p * 4;
      datasetBytes = xBytes + rows * 12;
      heapBytes = rows * 8 * 6;
      datasetPath = inPath = 'task.p';
      largestArray = { what: 'the one-hot dataset', bytes: Math.max(nTrain, nTest) * 2 * t.p * 4, path: 'task.p' };
      outDim = t.p;
      if (t.input === 'embedding') {
        inDim = 2 * t.embeddingDim;
        embedParams = t.p * t.embeddingDim;
        inPath = 'task.embeddingDim';
      } else inDim = 2 * t.p;
      break;
    }
    case 'polynomial':
    case 'sine':
      nTrain = t.nTrain;
      nTest = t.nTest;
      datasetBytes = (nTrain + nTest) * 8;
      datasetPath = nTrain >= nTest ? 'task.nTrain' : 'task.nTest';
      largestArray = { what: 'the dataset', bytes: Math.max(nTrain, nTest) * 4, path: datasetPath };
      break;
    case 'teacher': {
      nTrain = t.nTrain;
      nTest = t.nTest;
      inDim = t.inputDim;
      const out = t.mode === 'classification' ? t.classes : 1;
      outDim = out;
      // Features (float32), the teacher's outputs (float64) and its two weight matrices (float64).
      datasetBytes = (nTrain + nTest) * (t.inputDim * 4 + out * 8) + (t.inputDim * t.teacherWidth + t.teacherWidth * out) * 8;
      datasetPath = out * 8 > t.inputDim * 4 && t.mode === 'classification' ? 'task.classes' : nTrain >= nTest ? 'task.nTrain' : 'task.nTest';
      const rows = Math.max(nTrain, nTest);
      largestArray = rows * out * 8 >= rows * t.inputDim * 4
        ? { what: "the teacher's outputs", bytes: rows * out * 8, path: t.mode === 'classification' ? 'task.classes' : datasetPath }
        : { what: 'the features', bytes: rows * t.inputDim * 4, path: 'task.inputDim' };
      break;
    }
  }
  const widths = [inDim, ...hidden, outDim];
  let parameters = embedParams;
  let biggestLayer = 0;
  let biggestLayerAt = 0;
  let gram = 0;
  for (let k = 0; k + 1 < widths.length; k++) {
    const w = widths[k] * widths[k + 1];
    parameters += w + (cfg.model.bias ? widths[k + 1] : 0);
    if (w > biggestLayer) {
      biggestLayer = w;
      biggestLayerAt = k;
    }
    const s = Math.min(widths[k], widths[k + 1]);
    gram = Math.max(gram, s * s);
  }
  // The path whose value makes the largest layer large: a hidden width, or what sets the input/output size.
  const hiddenPath = (k: number) => `model.hidden[${k}]`;
  const left = biggestLayerAt === 0 ? inPath : hiddenPath(biggestLayerAt - 1);
  const right = biggestLayerAt + 1 === widths.length - 1 ? (t.kind === 'modular' ? 'task.p' : t.kind === 'teacher' ? 'task.classes' : 'model.hidden') : hiddenPath(biggestLayerAt);
  const weightsPath = widths[biggestLayerAt] >= widths[biggestLayerAt + 1] ? left : right;
  if (embedParams > biggestLayer) largestArray = largestArray.bytes >= embedParams * 4 ? largestArray : { what: 'the embedding', bytes: embedParams * 4, path: 'task.embeddingDim' };
  if (biggestLayer * 4 > largestArray.bytes) largestArray = { what: 'the largest weight matrix', bytes: biggestLayer * 4, path: weightsPath };

  // The widest layer's output: a hidden width, or the number of classes.
  let widestPath = t.kind === 'modular' ? 'task.p' : t.kind === 'teacher' && t.mode === 'classification' ? 'task.classes' : 'model.hidden';
  let widest = outDim;
  hidden.forEach((h, k) => {
    if (h > widest) {
      widest = h;
      widestPath = hiddenPath(k);
    }
  });
  const batch = cfg.training.batchSize === 'full' ? nTrain : Math.min(nTrain, cfg.training.batchSize);
  const width = widths.slice(1).reduce((a, b) => a + b, 0);
  const rowsAtOnce = Math.max(batch, nTest);
  const memory: ResourcePart[] = [
    // Weights, gradients, two Adam moments and the previous step's copy for the update ratios.
    { what: 'its weights and optimizer state', bytes: parameters * 4 * 5, path: weightsPath },
    // The features exist once as typed arrays and once as tensors.
    { what: 'the dataset', bytes: datasetBytes * 2, path: datasetPath },
    // Pre-activations, activations and their gradients for the rows evaluated at once.
    { what: 'activations', bytes: rowsAtOnce * width * 4 * 3, path: rowsAtOnce >= width ? (batch >= nTest && cfg.training.batchSize !== 'full' ? 'training.batchSize' : datasetPath) : widestPath },
    // Gram matrix and the eigensolver's working copies; histograms of every probe.
    { what: 'the spectrum probe', bytes: cfg.probes.spectrumEvery > 0 ? gram * 8 * 3 : 0, path: 'probes.spectrumEvery' },
    { what: 'histograms', bytes: cfg.probes.histogramBins * 8 * 4 * widths.length, path: 'probes.histogramBins' },
  ];

  // Disk: metrics.jsonl lines (sizes measured on real runs) and checkpoints (float32 weights).
  const epochs = cfg.training.epochs;
  const p = cfg.probes;
  const times = (every: number) => (every > 0 ? Math.floor(epochs / every) + 2 : 0);
  const tensors = (widths.length - 1) * (cfg.model.bias ? 2 : 1) + (embedParams ? 1 : 0);
  const epochLine = 200 + tensors * 3 * 38;
  let spectrumLine = 100;
  for (let k = 0; k + 1 < widths.length; k++) spectrumLine += 300 + (Math.min(widths[k], widths[k + 1]) + 2 * p.histogramBins) * JSON_NUMBER;
  const metricsBytes =
    times(p.every) * epochLine +
    (hidden.length ? times(p.activationsEvery) * (60 + hidden.length * 100) : 0) +
    times(p.spectrumEvery) * spectrumLine +
    times(p.benfordEvery) * 900;
  const checkpoints = (cfg.checkpoints.every > 0 ? Math.floor(epochs / cfg.checkpoints.every) : 0) + (cfg.checkpoints.atEnd ? 1 : 0);
  const checkpointBytes = checkpoints * (parameters * 4 + 200 * (tensors + 1));
  return { parameters, memory, heapBytes, heapPath: 'task.p', largestArray, disk: { metricsBytes, checkpoints, checkpointBytes } };
}

export interface PreflightProblem {
  /** Dotted path below the config. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  if (!Number.isFinite(v)) return 'an unbounded amount';
  return u === 0 ? `${Math.round(v)} bytes` : `${v >= 100 ? Math.round(v) : v.toPrecision(2)} ${units[u]}`;
}

/** Refuse when memory would run out; warn when a run writes a lot to disk without being asked to. */
export const MEMORY_FRACTION = 0.75;
export const HEAP_FRACTION = 0.5;
export const WARN_CHECKPOINTS = 500;
export const WARN_METRICS_BYTES = 50e6;
export const WARN_DISK_BYTES = 1e9;

export function preflight(cfg: TrainingConfig, limits: MachineLimits): PreflightProblem[] {
  const e = estimateResources(cfg);
  const out: PreflightProblem[] = [];
  const total = e.memory.reduce((a, m) => a + m.bytes, 0);
  const has = `this machine has ${formatBytes(limits.memoryBytes)}`;
  if (total > MEMORY_FRACTION * limits.memoryBytes || !Number.isFinite(total)) {
    const top = e.memory.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    const rest = e.memory.filter((m) => m !== top && m.bytes > 0.05 * total).map((m) => `${m.what} ≈ ${formatBytes(m.bytes)}`);
    const subject = top.what.startsWith('its') ? `the model needs ≈ ${formatBytes(top.bytes)} for ${top.what}` : `the run needs ≈ ${formatBytes(top.bytes)} for ${top.what}`;
    out.push({ path: top.path, severity: 'error', message: `${subject}${rest.length ? ` (in all ≈ ${formatBytes(total)}: ${rest.join(', ')} besides)` : ''}; ${has}` });
  } else if (e.heapBytes > HEAP_FRACTION * limits.heapBytes) {
    out.push({ path: e.heapPath, severity: 'error', message: `the dataset's index arrays need ≈ ${formatBytes(e.heapBytes)} of JavaScript heap; Node's heap limit is ${formatBytes(limits.heapBytes)}` });
  } else if (e.largestArray.bytes > limits.maxArrayBytes) {
    out.push({ path: e.largestArray.path, severity: 'error', message: `${e.largestArray.what} would be one array of ≈ ${formatBytes(e.largestArray.bytes)}; the largest array Node can hold is ${formatBytes(limits.maxArrayBytes)}` });
  }
  const d = e.disk;
  const manyCheckpoints = d.checkpoints >= WARN_CHECKPOINTS;
  if (manyCheckpoints || d.metricsBytes >= WARN_METRICS_BYTES || d.metricsBytes + d.checkpointBytes >= WARN_DISK_BYTES) {
    const parts = [`≈ ${formatBytes(d.metricsBytes)} of metrics`];
    if (d.checkpoints) parts.push(`${d.checkpoints.toLocaleString('en-US')} checkpoint${d.checkpoints === 1 ? '' : 's'} (≈ ${formatBytes(d.checkpointBytes)})`);
    const advice = manyCheckpoints || d.checkpointBytes > d.metricsBytes ? 'raise checkpoints.every' : 'raise probes.every';
    out.push({
      path: manyCheckpoints || d.checkpointBytes > d.metricsBytes ? 'checkpoints.every' : 'training.epochs',
      severity: 'warning',
      message: `this run writes ${parts.join(' and ')} over ${cfg.training.epochs.toLocaleString('en-US')} epochs; ${advice} to write less`,
    });
  }
  return out;
}
