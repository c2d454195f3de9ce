/**
 * Host ↔ Study panel webview (postMessage): the wire shapes of a study's curves, grids and prediction as the
 * panel draws them (the host fills them from extension/engine/study/, whose results are assignable to these),
 * the panel's selection, and the guards both sides validate with.
 */
import { byType, isNum, isObj, isStr, isStrOrNull } from './guards';
import type { StudyMark } from './configTypes';
import { isSaveExport, type SaveExportMessage } from './protocol';

/** A metric over the runs of one point: mean, sample standard deviation (n − 1), min, max over the runs that have a value. */
export interface WireAggregate {
  /** Mean over the `n` runs that have a value (runs in `never` and `pending` are left out); null when n = 0. */
  mean: number | null;
  /** Sample standard deviation (divisor n − 1); null when n < 2. */
  std: number | null;
  min: number | null;
  max: number | null;
  /** Runs with a value. */
  n: number;
  /** Finished runs without a value: the event never happened, or the metric does not apply to the run. */
  never: number;
  /** Runs still going without a value yet. */
  pending: number;
}

export interface WireRunPoint {
  runDir: string;
  runName: string;
  value: number | null;
  running: boolean;
}

export interface WireCurvePoint {
  label: string;
  xNum: number | null;
  stats: WireAggregate;
  runs: WireRunPoint[];
}

export interface WireCurves {
  metric: string;
  xAxis: string;
  split: string | null;
  numeric: boolean;
  curves: { label: string; points: WireCurvePoint[] }[];
}

export type WireCellState = 'value' | 'never' | 'pending' | 'empty';

export interface WireGrids {
  metric: string;
  xAxis: string;
  yAxis: string;
  split: string | null;
  xLabels: string[];
  yLabels: string[];
  grids: { label: string; cells: { state: WireCellState; stats: WireAggregate | null; runs: WireRunPoint[] }[][]; min: number | null; max: number | null }[];
}

/** Does `feature` predict `outcome`: the engine's `predict` result (extension/engine/study/views.ts) as drawn. */
export interface WirePrediction {
  feature: string;
  outcome: string;
  /** Finished runs with both values (the ones ρ is computed over). */
  n: number;
  /** Spearman ρ (ties: average ranks); null with fewer than 5 runs or a constant side. */
  rho: number | null;
  /** Percentile bootstrap interval of ρ at `level`; null when rho is. */
  ci: { lo: number; hi: number; level: number; resamples: number; seed: number } | null;
  tooFew: boolean;
  /** Why there is no ρ, in words (null when there is one). */
  note: string | null;
  /** Finished runs left out because the feature or the outcome is null (e.g. never generalized). */
  missing: number;
  /** Runs still going, left out. */
  running: number;
  points: { runDir: string; runName: string; x: number; y: number }[];
}

/** What the panel shows; null fields: not chosen. */
export interface StudySelection {
  metric: string;
  xAxis: string;
  /** A second axis: the heatmap. */
  yAxis: string | null;
  split: string | null;
  band: 'minmax' | 'std';
  feature: string | null;
  outcome: string | null;
}

export interface StudyViewMessage {
  type: 'study';
  experiment: string;
  /** The experiment file (absolute path), null when unknown. */
  file: string | null;
  runs: number;
  running: number;
  axes: string[];
  metrics: string[];
  selection: StudySelection;
  /** Defaults of the log toggles (the `study` block's logX / logY). */
  logX: boolean;
  logY: boolean;
  /** The `study` block's reference lines (each drawn while its axis is the curve's x axis). */
  marks: StudyMark[];
  curves: WireCurves | null;
  grids: WireGrids | null;
  prediction: WirePrediction | null;
  /** Why nothing can be drawn (no runs yet, no sweep, …), in words. */
  message: string | null;
}

/**
 * Acting on the panel as a user does, for the extension-host tests (which cannot reach the webview's DOM):
 * choose a picker's option (the dropdown's own change event), or click where the point or cell of a run is
 * drawn (a mouse event at its position on the canvas, through the same handlers a real click goes through).
 */
export type StudyDriveAction =
  | { kind: 'pick'; picker: keyof StudySelection; value: string }
  | { kind: 'click'; chart: StudyChartName; runDir: string };

export type StudyChartName = 'studyCurve' | 'studyHeatmap' | 'studyScatter';

export interface StudyDriveMessage {
  type: 'drive';
  id: number;
  action: StudyDriveAction;
}

/** What does the panel draw? Answered by a `state` message with the same id (tests). */
export interface StudyGetStateMessage {
  type: 'getState';
  id: number;
}

export type HostToStudy = StudyViewMessage | StudyDriveMessage | StudyGetStateMessage;

/**
 * Where a click opens runs, in CSS pixels of the chart's canvas (a card's `data-targets`): a point of the mean
 * (the runs of that point), a single run's dot, or a heatmap cell.
 */
export interface StudyClickTarget {
  x: number;
  y: number;
  kind: 'mean' | 'run' | 'cell';
  runDirs: string[];
  runNames: string[];
}

export interface StudyReadyMessage {
  type: 'ready';
}
export interface StudySelectMessage {
  type: 'select';
  selection: StudySelection;
}
export interface StudyOpenRunMessage {
  type: 'openRun';
  /** Several: the runs of a point or cell (the host asks which one). */
  runDirs: string[];
}
/** What the panel draws (null: no study drawn yet), as its answer to `getState`. */
export interface StudyStateMessage {
  type: 'state';
  id: number;
  state: StudyDrawnState | null;
}
export interface StudyDrawnState {
  /** The experiment whose study is drawn. */
  experiment: string;
  metric: string;
  curve: { label: string; points: { x: string; mean: number | null; runs: number }[] }[];
  heatmap: { xLabels: string[]; yLabels: string[]; cells: (number | string | null)[][] } | null;
  scatter: { n: number; rho: number | null } | null;
}

/** The answer to a `drive`: null, or why the action could not be done. */
export interface StudyDrivenMessage {
  type: 'driven';
  id: number;
  error: string | null;
}

export type StudyToHost = StudyReadyMessage | StudySelectMessage | StudyOpenRunMessage | StudyStateMessage | StudyDrivenMessage | SaveExportMessage;


export function isStudySelection(x: unknown): x is StudySelection {
  return (
    isObj(x) && isStr(x.metric) && isStr(x.xAxis) && isStrOrNull(x.yAxis) && isStrOrNull(x.split) &&
    (x.band === 'minmax' || x.band === 'std') && isStrOrNull(x.feature) && isStrOrNull(x.outcome)
  );
}

const PICKERS = new Set<string>(['metric', 'xAxis', 'yAxis', 'split', 'band', 'feature', 'outcome']);
const CHARTS = new Set<string>(['studyCurve', 'studyHeatmap', 'studyScatter']);

export function isStudyDrive(x: unknown): x is StudyDriveMessage {
  if (!isObj(x) || x.type !== 'drive' || !isNum(x.id) || !isObj(x.action)) return false;
  const a = x.action;
  if (a.kind === 'pick') return isStr(a.picker) && PICKERS.has(a.picker) && isStr(a.value);
  if (a.kind === 'click') return isStr(a.chart) && CHARTS.has(a.chart) && isStr(a.runDir);
  return false;
}

export function isStudyView(x: unknown): x is StudyViewMessage {
  return (
    isObj(x) && x.type === 'study' && isStr(x.experiment) && isNum(x.runs) && Array.isArray(x.axes) && x.axes.every(isStr) &&
    Array.isArray(x.metrics) && x.metrics.every(isStr) && isStudySelection(x.selection) &&
    (x.curves === null || (isObj(x.curves) && Array.isArray(x.curves.curves))) &&
    (x.grids === null || (isObj(x.grids) && Array.isArray(x.grids.grids) && Array.isArray(x.grids.xLabels) && Array.isArray(x.grids.yLabels))) &&
    (x.prediction === null || (isObj(x.prediction) && Array.isArray(x.prediction.points))) &&
    Array.isArray(x.marks) && x.marks.every((m) => isObj(m) && isStr(m.axis) && isNum(m.value) && isStr(m.label)) &&
    isStrOrNull(x.message)
  );
}

export const isHostToStudy = byType<HostToStudy>({
  study: isStudyView,
  drive: isStudyDrive,
  getState: (x) => isNum(x.id),
});

export const isStudyToHost = byType<StudyToHost>({
  ready: () => true,
  select: (x) => isStudySelection(x.selection),
  openRun: (x) => Array.isArray(x.runDirs) && x.runDirs.length > 0 && x.runDirs.every(isStr),
  state: (x) => isNum(x.id) && (x.state === null || (isObj(x.state) && isStr(x.state.experiment) && isStr(x.state.metric) && Array.isArray(x.state.curve))),
  driven: (x) => isNum(x.id) && isStrOrNull(x.error),
  saveExport: (x) => isSaveExport(x),
});
