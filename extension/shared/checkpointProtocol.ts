/**
 * Messages of the checkpoint inspector (custom editor for *.safetensors and the checkpoint comparison):
 * the data the worker thread computes (its requests and replies: host/checkpointWorkerProtocol.ts) and the
 * host ↔ webview messages (webview/checkpoint/main.ts).
 * Every message crossing a boundary is checked with the guards below before it is used. Pure: imports neither
 * `vscode`, node modules nor the DOM (the webview bundle imports it too).
 */
import { byType, isCount, isFiniteNumber, isFiniteOrNull, isFraction, isObj, isStr, isStrOrNull, type Obj } from './guards';
import type { Histogram } from './protocol';

// --- data ---------------------------------------------------------------------------------------------------

export interface TensorRow {
  name: string;
  dtype: string;
  shape: number[];
  numel: number;
  /** Size of the tensor's data in bytes. */
  bytes: number;
}

/** Our own checkpoints (metadata `format` = "training-dynamics/1"): the parsed training context. */
export interface OurCheckpoint {
  config: unknown;
  epoch: number | null;
  metrics: unknown;
  experiment: string | null;
  runName: string | null;
  runDir: string | null;
  experimentFile: string | null;
}

export interface HeaderView {
  file: string;
  fileSize: number;
  headerLength: number;
  metadata: Record<string, string> | null;
  tensors: TensorRow[];
  ours: OurCheckpoint | null;
}

export interface StatsView {
  numel: number;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  l2: number | null;
  zeroFraction: number;
  nanCount: number;
  infCount: number;
}

/** The eigenvalue spectrum of one 2-D tensor of a checkpoint, as the inspector shows it. */
export interface TensorSpectrum {
  /**
   * Eigenvalues of WᵀW / max(m,n): how many, and their histogram. The chart draws it as a density beside the
   * Marchenko–Pastur law for σ² and q (webview/shared/spectrumChart, as the Dynamics panel's spectra).
   */
  count: number;
  histogram: Histogram;
  q: number;
  /** σ² of the fitted Marchenko–Pastur law. */
  sigma2: number;
  lambdaMinus: number;
  lambdaPlus: number;
  fractionAbove: number;
  ksDistance: number;
  alpha: number | null;
  /** Largest eigenvalues, descending (up to 10). */
  top: number[];
}

export interface TensorDetail {
  name: string;
  stats: StatsView;
  histogram: Histogram | null;
  spectrum: TensorSpectrum | null;
  /** Why there is no spectrum for a 2-D tensor (too large without `force`, non-finite values), else null. */
  spectrumNote: string | null;
  /** The spectrum was skipped only because of its size: the user may ask for it explicitly. */
  spectrumForceable: boolean;
  millis: number;
}

export interface CompareRow {
  name: string;
  shapeA: number[] | null;
  shapeB: number[] | null;
  status: 'ok' | 'only-in-a' | 'only-in-b' | 'shape-mismatch';
  /** ‖W₁−W₀‖ / ‖W₀‖ (null when undefined: W₀ = 0 or not comparable). */
  relChange: number | null;
  cosine: number | null;
  /** Largest eigenvalue of WᵀW/max(m,n) of W₀ and W₁ (2-D tensors). */
  topA: number | null;
  topB: number | null;
  /** Marchenko–Pastur λ+ of W₀ and W₁ (2-D tensors small enough for a full spectrum). */
  lambdaPlusA: number | null;
  lambdaPlusB: number | null;
}

export interface CompareResult {
  fileA: string;
  fileB: string;
  epochA: number | null;
  epochB: number | null;
  rows: CompareRow[];
  millis: number;
}

// --- host ↔ webview -------------------------------------------------------------------------------------------

/**
 * Why the host will not open what a checkpoint's metadata names (null: it will). A downloaded checkpoint can name
 * any folder or file; only those inside the workspace or a runs folder the host uses are opened (engine/runs/trust.ts).
 */
export interface CheckpointLinks {
  dynamics: string | null;
  experiment: string | null;
}

export type CheckpointHostToWebview =
  | { type: 'header'; header: HeaderView; links?: CheckpointLinks }
  | { type: 'fatal'; file: string; code: string; message: string }
  | { type: 'progress'; name: string; fraction: number; label: string }
  | { type: 'tensor'; detail: TensorDetail }
  | { type: 'tensorError'; name: string; message: string }
  | { type: 'compareProgress'; fraction: number; label: string }
  | { type: 'compare'; result: CompareResult };

export type CheckpointWebviewToHost =
  | { type: 'ready' }
  | { type: 'selectTensor'; name: string; force: boolean }
  | { type: 'openDynamics' }
  | { type: 'openExperiment' }
  | { type: 'compare' };

// --- guards ---------------------------------------------------------------------------------------------------

const isNumArray = (x: unknown): x is number[] => Array.isArray(x) && x.every(isFiniteNumber);
const isShape = (x: unknown): x is number[] => Array.isArray(x) && x.every(isCount);

export function isTensorRow(x: unknown): x is TensorRow {
  return isObj(x) && isStr(x.name) && isStr(x.dtype) && isShape(x.shape) && isCount(x.numel) && isCount(x.bytes);
}

function isOurCheckpoint(x: unknown): x is OurCheckpoint {
  return (
    isObj(x) && 'config' in x && 'metrics' in x && isFiniteOrNull(x.epoch) && isStrOrNull(x.experiment) && isStrOrNull(x.runName) &&
    isStrOrNull(x.runDir) && isStrOrNull(x.experimentFile)
  );
}

export function isHeaderView(x: unknown): x is HeaderView {
  return (
    isObj(x) && isStr(x.file) && isCount(x.fileSize) && isCount(x.headerLength) &&
    (x.metadata === null || (isObj(x.metadata) && Object.values(x.metadata).every(isStr))) &&
    Array.isArray(x.tensors) && x.tensors.every(isTensorRow) &&
    (x.ours === null || isOurCheckpoint(x.ours))
  );
}

function isHistogram(x: unknown): x is Histogram {
  return isObj(x) && isNumArray(x.edges) && isNumArray(x.counts) && (x.counts.length === 0 ? x.edges.length === 0 : x.edges.length === x.counts.length + 1);
}

function isStatsView(x: unknown): x is StatsView {
  return (
    isObj(x) && isCount(x.numel) && isFiniteOrNull(x.mean) && isFiniteOrNull(x.std) && isFiniteOrNull(x.min) && isFiniteOrNull(x.max) &&
    isFiniteOrNull(x.l2) && isFraction(x.zeroFraction) && isCount(x.nanCount) && isCount(x.infCount)
  );
}

function isTensorSpectrum(x: unknown): x is TensorSpectrum {
  return (
    isObj(x) && isCount(x.count) && isHistogram(x.histogram) &&
    isFiniteNumber(x.q) && isFiniteNumber(x.sigma2) && isFiniteNumber(x.lambdaMinus) && isFiniteNumber(x.lambdaPlus) && isFraction(x.fractionAbove) &&
    isFiniteNumber(x.ksDistance) && isFiniteOrNull(x.alpha) && isNumArray(x.top)
  );
}

export function isTensorDetail(x: unknown): x is TensorDetail {
  return (
    isObj(x) && isStr(x.name) && isStatsView(x.stats) && (x.histogram === null || isHistogram(x.histogram)) &&
    (x.spectrum === null || isTensorSpectrum(x.spectrum)) && isStrOrNull(x.spectrumNote) && typeof x.spectrumForceable === 'boolean' && isFiniteNumber(x.millis)
  );
}

function isCompareRow(x: unknown): x is CompareRow {
  return (
    isObj(x) && isStr(x.name) && (x.shapeA === null || isShape(x.shapeA)) && (x.shapeB === null || isShape(x.shapeB)) &&
    (x.status === 'ok' || x.status === 'only-in-a' || x.status === 'only-in-b' || x.status === 'shape-mismatch') &&
    isFiniteOrNull(x.relChange) && isFiniteOrNull(x.cosine) && isFiniteOrNull(x.topA) && isFiniteOrNull(x.topB) &&
    isFiniteOrNull(x.lambdaPlusA) && isFiniteOrNull(x.lambdaPlusB)
  );
}

export function isCompareResult(x: unknown): x is CompareResult {
  return (
    isObj(x) && isStr(x.fileA) && isStr(x.fileB) && isFiniteOrNull(x.epochA) && isFiniteOrNull(x.epochB) &&
    Array.isArray(x.rows) && x.rows.every(isCompareRow) && isFiniteNumber(x.millis)
  );
}

export const isCheckpointHostToWebview = byType<CheckpointHostToWebview>({
  header: (x) => isHeaderView(x.header) && (x.links === undefined || (isObj(x.links) && isStrOrNull(x.links.dynamics) && isStrOrNull(x.links.experiment))),
  fatal: (x) => isStr(x.file) && isStr(x.code) && isStr(x.message),
  progress: (x) => isStr(x.name) && isFraction(x.fraction) && isStr(x.label),
  tensor: (x) => isTensorDetail(x.detail),
  tensorError: (x) => isStr(x.name) && isStr(x.message),
  compareProgress: (x) => isFraction(x.fraction) && isStr(x.label),
  compare: (x) => isCompareResult(x.result),
});

export const isCheckpointWebviewToHost = byType<CheckpointWebviewToHost>({
  ready: () => true,
  openDynamics: () => true,
  openExperiment: () => true,
  compare: () => true,
  selectTensor: (x) => isStr(x.name) && x.name.length <= 100_000 && typeof x.force === 'boolean',
});

/** JSON cannot carry NaN/±Inf: a non-finite number becomes null (shown as "—" / counted separately). */
export const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Parses the training context out of `__metadata__` when the file is one of our checkpoints; else null. */
export function ourCheckpointOf(metadata: Record<string, string> | null, format: string): OurCheckpoint | null {
  if (!metadata || metadata.format !== format) return null;
  const json = (s: string | undefined): unknown => {
    if (s === undefined || s === '') return null;
    try {
      return JSON.parse(s) as unknown;
    } catch {
      return s;
    }
  };
  const epoch = metadata.epoch !== undefined && /^\d+$/.test(metadata.epoch) ? Number(metadata.epoch) : null;
  const str = (s: string | undefined) => (s === undefined || s === '' ? null : s);
  return {
    config: json(metadata.config),
    epoch,
    metrics: json(metadata.metrics),
    experiment: str(metadata.experiment),
    runName: str(metadata.runName),
    runDir: str(metadata.runDir),
    experimentFile: str(metadata.experimentFile),
  };
}
