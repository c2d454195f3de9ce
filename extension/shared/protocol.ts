/**
 * The one message protocol shared by the trainer process, the extension host, the CLI and the webviews.
 * Data flows trainer → host → webview; commands flow back. Every message that crosses a process or
 * webview boundary is checked with the `is…` guards at the bottom before it is used.
 *
 * Pure module: imports neither `vscode` nor the DOM (the webview imports it for types and guards).
 */
import type { TrainingConfig } from './configTypes';
import { byType, isNum, isNumOrNull, isObj, isStr, type Obj } from './guards';

// ---------------------------------------------------------------------------------------------------------
// Metrics records: one JSON object a line in metrics.jsonl, and the payload of `record` messages.
// ---------------------------------------------------------------------------------------------------------

/** Per-epoch scalars. Accuracies are null for regression, r2 null for classification. */
export interface EpochRecord {
  type: 'epoch';
  epoch: number;
  /** Milliseconds since the run started. */
  t: number;
  lr: number;
  trainLoss: number;
  testLoss: number;
  trainAcc: number | null;
  testAcc: number | null;
  trainR2: number | null;
  testR2: number | null;
  /** Tensor name (`layers.K.kernel` / `layers.K.bias`) → L2 norm of its gradient this epoch (last step). */
  gradNorms: Record<string, number>;
  /** Tensor name → L2 norm of the tensor after the update. */
  weightNorms: Record<string, number>;
  /** Tensor name → ‖ΔW‖ / ‖W‖ over this epoch. */
  updateRatios: Record<string, number>;
}

export interface LayerActivationStats {
  /** Hidden layer index (0-based). */
  layer: number;
  units: number;
  /** Units whose output is exactly 0 for every example of the whole dataset (train and test). */
  deadCount: number;
  deadFraction: number;
  /** Fraction of zero activations over (train examples × units). */
  sparsity: number;
  /** Mean over units of the binary entropy (bits) of each unit's firing probability on the train set. */
  entropy: number;
}

export interface ActivationsRecord {
  type: 'activations';
  epoch: number;
  layers: LayerActivationStats[];
}

export interface Histogram {
  /** Bin edges, length bins + 1. */
  edges: number[];
  counts: number[];
}

export interface MarchenkoPasturFit {
  /** q = min(m,n) / max(m,n). */
  q: number;
  /** σ² from the variance of the matrix entries. */
  sigma2Empirical: number;
  /** σ² fitted to the bulk of the spectrum (minimum KS distance). */
  sigma2Fit: number;
  lambdaMinus: number;
  lambdaPlus: number;
  /** KS distance between the bulk (eigenvalues ≤ λ+) and the MP law with σ²Fit. */
  ksDistance: number;
  /** Fraction of eigenvalues above λ+ (outliers / spikes). */
  fractionAbove: number;
}

export interface PowerLawFit {
  alpha: number;
  xmin: number;
  /** KS distance of the tail fit; number of eigenvalues in the tail. */
  ksDistance: number;
  nTail: number;
}

export interface MatrixSpectrum {
  tensor: string;
  shape: [number, number];
  /** All eigenvalues of WᵀW / max(m,n), ascending (min(m,n) of them). */
  eigenvalues: number[];
  histogram: Histogram;
  mp: MarchenkoPasturFit;
  powerLaw: PowerLawFit | null;
  /** Largest eigenvalues, descending (up to 10). */
  top: number[];
}

export interface SpectrumRecord {
  type: 'spectrum';
  epoch: number;
  matrices: MatrixSpectrum[];
}

export interface BenfordTensor {
  tensor: string;
  /** Observed frequencies of first significant digits 1..9 (sums to 1). */
  frequencies: number[];
  /** Total variation distance... see engine/probes/benford.ts for the exact definition. */
  distance: number;
}

export interface BenfordRecord {
  type: 'benford';
  epoch: number;
  tensors: BenfordTensor[];
}

export type TransitionKind = 'peak' | 'levelling-off' | 'drop-onset' | 'rise-onset' | 'slope-change';

export interface TransitionEvent {
  kind: 'transition';
  /** Hidden/dense layer index whose log gradient norm changed regime. */
  layer: number;
  /** Tensor whose series was analysed (layers.K.kernel). */
  tensor: string;
  /** Epoch of the change point. */
  epoch: number;
  /** Epoch at which the change was confirmed (≥ epoch). */
  detectedAt: number;
  changeKind: TransitionKind;
  /** Slopes of log10 gradient norm per 1000 epochs before and after. */
  slopeBefore: number;
  slopeAfter: number;
}

export interface ThresholdEvent {
  kind: 'memorization' | 'generalization';
  epoch: number;
}

export type DynamicsEvent = TransitionEvent | ThresholdEvent;

export interface EventRecord {
  type: 'event';
  epoch: number;
  event: DynamicsEvent;
}

export interface CheckpointRecord {
  type: 'checkpoint';
  epoch: number;
  /** Path relative to the run directory (checkpoints/epoch-NNNNNN.safetensors). */
  path: string;
}

export type MetricsRecord =
  | EpochRecord
  | ActivationsRecord
  | SpectrumRecord
  | BenfordRecord
  | EventRecord
  | CheckpointRecord;

// ---------------------------------------------------------------------------------------------------------
// run.json
// ---------------------------------------------------------------------------------------------------------

export type RunStatus = 'running' | 'completed' | 'failed' | 'stopped';

export interface LossFit {
  form: 'power-law' | 'exponential' | 'stretched-exponential';
  /** Parameters of the form (documented in engine/probes/curvefit.ts). */
  params: Record<string, number>;
  r2: number;
}

export interface TransitionSummary {
  layer: number;
  epoch: number;
  kind: TransitionKind;
  /** generalizationEpoch − epoch (positive = the transition came first); null if no generalization. */
  leadEpochs: number | null;
}

export interface FinalMetrics {
  trainLoss: number;
  trainAcc: number | null;
  testLoss: number;
  testAcc: number | null;
}

export interface RunSummary {
  epochs: number;
  epochsPerSecond: number;
  final: FinalMetrics | null;
  memorizationEpoch: number | null;
  generalizationEpoch: number | null;
  transitions: TransitionSummary[];
  lossFits: LossFit[];
  bestLossFit: LossFit | null;
}

/** What a run is: its experiment, config, sweep point and the resolved config it trains (run.json and the start request). */
export interface RunIdentity {
  experiment: string;
  /** Absolute path of the experiment file, when known. */
  experimentFile: string | null;
  configName: string;
  runName: string;
  sweepValues: Record<string, unknown> | null;
  config: TrainingConfig;
}

export interface RunJson extends RunIdentity {
  formatVersion: 1;
  /** Directory name: `<config>-<timestamp>`. */
  id: string;
  status: RunStatus;
  /** Why a run failed or stopped. */
  reason: string | null;
  backend: string;
  versions: Record<string, string>;
  startedAt: string;
  endedAt: string | null;
  epochsCompleted: number;
  totalEpochs: number;
  summary: RunSummary | null;
  /**
   * The process that trains the run (the trainer child, the CLI, a Slurm task) and its machine: a window that
   * finds the run still `running` asks whether that process is alive before calling it interrupted. Absent in
   * run.json files written before it was recorded.
   */
  writer?: RunWriterProcess;
}

export interface RunWriterProcess {
  pid: number;
  host: string;
  /** When the process started (Linux: /proc/PID/stat's starttime, clock ticks since boot), so a reused pid is told apart. */
  start?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Trainer process ↔ host (child_process IPC). The CLI runs the same engine in-process with the same messages.
// ---------------------------------------------------------------------------------------------------------

export interface StartRunRequest extends RunIdentity {
  type: 'start';
  /** Parent folder; the run directory `<runName>-<timestamp>` is created inside it. */
  outDir: string;
  backend: BackendChoice;
}

/**
 * The TensorFlow.js backends a run can use, and the choices a user has (`auto` picks the fastest that loads: the
 * native fast path when it is built, else a tfjs backend; `native` forces the fast path).
 */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'native', ...BACKEND_NAMES];
export type BackendChoice = 'auto' | 'native' | BackendName;
export const isBackendName = (x: unknown): x is BackendName => (BACKEND_NAMES as readonly unknown[]).includes(x);
export const isBackendChoice = (x: unknown): x is BackendChoice => (BACKEND_CHOICES as readonly unknown[]).includes(x);

export interface StopRequest {
  type: 'stop';
}

export type HostToTrainer = StartRunRequest | StopRequest;

export interface StartedMessage {
  type: 'started';
  runDir: string;
  run: RunJson;
}

export interface RecordMessage {
  type: 'record';
  record: MetricsRecord;
}

/** Records coalesced by the trainer child (trainer/outbox.ts): what goes over IPC instead of one message each. */
export interface RecordsMessage {
  type: 'records';
  records: MetricsRecord[];
}

export interface LogMessage {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface DoneMessage {
  type: 'done';
  run: RunJson;
}

export interface ErrorMessage {
  type: 'error';
  message: string;
  /** The run directory when one was created (its run.json is marked failed). */
  runDir: string | null;
}

export type TrainerToHost = StartedMessage | RecordMessage | RecordsMessage | LogMessage | DoneMessage | ErrorMessage;

// ---------------------------------------------------------------------------------------------------------
// Host ↔ Dynamics webview (postMessage).
// ---------------------------------------------------------------------------------------------------------

/** Column name (extension/shared/view/epochColumns.ts) → [epochs ascending, values]: a charted quantity's points. */
export type EpochColumns = Record<string, [number[], number[]]>;

export interface RunSnapshot {
  runDir: string;
  run: RunJson;
  records: MetricsRecord[];
  /**
   * A long run's epoch series as the panel draws them (view/epochColumns.ts); `records` then holds only its last
   * epoch record and every record of another type.
   */
  columns?: EpochColumns;
}

/** Replace everything shown by these runs (one run normally; several when comparing). */
export interface ShowRunsMessage {
  type: 'show';
  runs: RunSnapshot[];
  /** For a sweep: the swept dotted paths, so the webview can draw the landscape heatmap. */
  sweepAxes: string[] | null;
}

/** New records for a run being shown (batched by the host). */
export interface AppendRecordsMessage {
  type: 'append';
  runDir: string;
  records: MetricsRecord[];
  /** When present, the webview answers `received` with it once the records are taken (flow control). */
  seq?: number;
}

export interface RunStatusMessage {
  type: 'status';
  runDir: string;
  run: RunJson;
}

/** What does the panel draw? Answered by a `state` message with the same id (tests, the flood measurement). */
export interface GetStateMessage {
  type: 'getState';
  id: number;
}

export type HostToWebview = ShowRunsMessage | AppendRecordsMessage | RunStatusMessage | GetStateMessage;

export interface WebviewReadyMessage {
  type: 'ready';
}
export interface ExportCsvMessage {
  type: 'exportCsv';
  runDir: string;
}
export type ExportFormat = 'png' | 'svg' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['png', 'svg', 'csv'];
/** A chart export to save (the host asks where, writes it and offers Open / Reveal). */
export interface SaveExportMessage {
  type: 'saveExport';
  /** Chart name, used for the suggested file name. */
  chart: string;
  format: ExportFormat;
  /** png: data:image/png;base64,…; svg: the document; csv: the text. */
  data: string;
}
export interface OpenCheckpointMessage {
  type: 'openCheckpoint';
  runDir: string;
  epoch: number | null;
}
export interface StopRunMessage {
  type: 'stopRun';
  runDir: string;
}
/** The webview has taken the records of the append message `seq` (the host may send the next batch). */
export interface ReceivedMessage {
  type: 'received';
  seq: number;
}
/** What the Dynamics panel has drawn, as its answer to `getState`. */
export interface DynamicsDrawnState {
  /** The runs shown. */
  runDirs: string[];
  /** Points drawn per chart. */
  charts: Record<string, number>;
  /** The last epoch drawn per run directory (how far behind the trainer the panel is). */
  latest: Record<string, number>;
  /** Redraws since the previous answer, the slowest of them and the slowest per chart (ms; null: none). */
  redraws: number;
  drawMs: number | null;
  viewMs: Record<string, number>;
}
export interface WebviewStateMessage {
  type: 'state';
  id: number;
  state: DynamicsDrawnState;
}

export type WebviewToHost =
  | WebviewReadyMessage
  | ExportCsvMessage
  | SaveExportMessage
  | OpenCheckpointMessage
  | StopRunMessage
  | ReceivedMessage
  | WebviewStateMessage;

// ---------------------------------------------------------------------------------------------------------
// Guards. Structural checks of the fields every consumer relies on; unknown extra fields are tolerated.
// ---------------------------------------------------------------------------------------------------------

const isNumMap = (x: unknown): boolean => isObj(x) && Object.values(x).every(isNum);
const isNumArr = (x: unknown): boolean => Array.isArray(x) && x.every(isNum);
const isEpochColumns = (x: unknown): boolean =>
  isObj(x) && Object.values(x).every((c) => Array.isArray(c) && c.length === 2 && isNumArr(c[0]) && isNumArr(c[1]) && c[0].length === c[1].length);

const RUN_STATUSES: readonly string[] = ['running', 'completed', 'failed', 'stopped'];

export function isMetricsRecord(x: unknown): x is MetricsRecord {
  if (!isObj(x) || !isNum(x.epoch)) return false;
  switch (x.type) {
    case 'epoch':
      return (
        isNum(x.t) && isNum(x.lr) && isNum(x.trainLoss) && isNum(x.testLoss) &&
        isNumOrNull(x.trainAcc) && isNumOrNull(x.testAcc) && isNumOrNull(x.trainR2) && isNumOrNull(x.testR2) &&
        isNumMap(x.gradNorms) && isNumMap(x.weightNorms) && isNumMap(x.updateRatios)
      );
    case 'activations':
      return Array.isArray(x.layers) && x.layers.every((l) => isObj(l) && isNum(l.layer) && isNum(l.deadFraction) && isNum(l.sparsity) && isNum(l.entropy));
    case 'spectrum':
      return Array.isArray(x.matrices) && x.matrices.every((m) => isObj(m) && isStr(m.tensor) && isNumArr(m.eigenvalues) && isObj(m.mp) && isObj(m.histogram));
    case 'benford':
      return Array.isArray(x.tensors) && x.tensors.every((t) => isObj(t) && isStr(t.tensor) && isNumArr(t.frequencies) && isNum(t.distance));
    case 'event':
      return isObj(x.event) && isStr(x.event.kind) && isNum(x.event.epoch);
    case 'checkpoint':
      return isStr(x.path);
    default:
      return false;
  }
}

export function isRunJson(x: unknown): x is RunJson {
  return (
    isObj(x) && x.formatVersion === 1 && isStr(x.id) && isStr(x.experiment) && isStr(x.configName) &&
    isStr(x.runName) && isObj(x.config) && isStr(x.status) && RUN_STATUSES.includes(x.status) &&
    isStr(x.backend) && isStr(x.startedAt) && isNum(x.epochsCompleted) && isNum(x.totalEpochs)
  );
}

export function isHostToTrainer(x: unknown): x is HostToTrainer {
  if (!isObj(x)) return false;
  if (x.type === 'stop') return true;
  return (
    x.type === 'start' && isStr(x.experiment) && isStr(x.configName) && isStr(x.runName) && isObj(x.config) &&
    isStr(x.outDir) && isStr(x.backend) && isBackendChoice(x.backend)
  );
}

export const isTrainerToHost = byType<TrainerToHost>({
  started: (x) => isStr(x.runDir) && isRunJson(x.run),
  record: (x) => isMetricsRecord(x.record),
  records: (x) => Array.isArray(x.records) && x.records.every(isMetricsRecord),
  log: (x) => isStr(x.message) && isStr(x.level),
  done: (x) => isRunJson(x.run),
  error: (x) => isStr(x.message) && (x.runDir === null || isStr(x.runDir)),
});

export const isHostToWebview = byType<HostToWebview>({
  show: (x) => Array.isArray(x.runs) && x.runs.every((r) => isObj(r) && isStr(r.runDir) && isRunJson(r.run) && Array.isArray(r.records) && (r.columns === undefined || isEpochColumns(r.columns))),
  append: (x) => isStr(x.runDir) && Array.isArray(x.records) && x.records.every(isMetricsRecord) && (x.seq === undefined || isNum(x.seq)),
  status: (x) => isStr(x.runDir) && isRunJson(x.run),
  getState: (x) => isNum(x.id),
});

export function isDynamicsDrawnState(x: unknown): x is DynamicsDrawnState {
  return isObj(x) && Array.isArray(x.runDirs) && x.runDirs.every(isStr) && isNumMap(x.charts) && isNumMap(x.latest) && isNum(x.redraws) && isNumOrNull(x.drawMs) && isNumMap(x.viewMs);
}

export const isWebviewToHost = byType<WebviewToHost>({
  ready: () => true,
  exportCsv: (x) => isStr(x.runDir),
  stopRun: (x) => isStr(x.runDir),
  saveExport: (x) => isSaveExport(x),
  openCheckpoint: (x) => isStr(x.runDir) && isNumOrNull(x.epoch),
  state: (x) => isNum(x.id) && isDynamicsDrawnState(x.state),
  received: (x) => isNum(x.seq),
});

/** The data of a chart export matches its format (a PNG data URL, an SVG document, CSV text). */
export function isSaveExport(x: unknown): x is SaveExportMessage {
  if (!isObj(x) || x.type !== 'saveExport' || !isStr(x.chart) || !isStr(x.data) || !isStr(x.format)) return false;
  switch (x.format) {
    case 'png':
      return x.data.startsWith('data:image/png;base64,');
    case 'svg':
      return x.data.startsWith('<svg');
    case 'csv':
      return true;
    default:
      return false;
  }
}
