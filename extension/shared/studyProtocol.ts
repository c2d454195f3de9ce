/**
 * Host ↔ Study panel webview (postMessage): the wire shapes of a study's curves, grids and prediction as the
 * panel draws them (the host fills them from extension/engine/study/, whose results are assignable to these),
 * the panel's selection, and the guards both sides validate with.
 */
import { isNum, isObj, isStr } from './guards';
import { isSaveExport, type SaveExportMessage } from './protocol';

export interface WireAggregate {
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  n: number;
  never: number;
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

export interface WirePrediction {
  feature: string;
  outcome: string;
  n: number;
  rho: number | null;
  ci: { lo: number; hi: number; level: number; resamples: number; seed: number } | null;
  tooFew: boolean;
  note: string | null;
  missing: number;
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
  curves: WireCurves | null;
  grids: WireGrids | null;
  prediction: WirePrediction | null;
  /** Why nothing can be drawn (no runs yet, no sweep, …), in words. */
  message: string | null;
}

export type HostToStudy = StudyViewMessage;

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
/** What the panel draws, reported for tests and the host's state. */
export interface StudyStateMessage {
  type: 'state';
  state: StudyDrawnState;
}
export interface StudyDrawnState {
  metric: string;
  curve: { label: string; points: { x: string; mean: number | null; runs: number }[] }[];
  heatmap: { xLabels: string[]; yLabels: string[]; cells: (number | string | null)[][] } | null;
  scatter: { n: number; rho: number | null } | null;
}

export type StudyToHost = StudyReadyMessage | StudySelectMessage | StudyOpenRunMessage | StudyStateMessage | SaveExportMessage;

const isStrOrNull = (x: unknown) => x === null || isStr(x);

export function isStudySelection(x: unknown): x is StudySelection {
  return (
    isObj(x) && isStr(x.metric) && isStr(x.xAxis) && isStrOrNull(x.yAxis) && isStrOrNull(x.split) &&
    (x.band === 'minmax' || x.band === 'std') && isStrOrNull(x.feature) && isStrOrNull(x.outcome)
  );
}

export function isHostToStudy(x: unknown): x is HostToStudy {
  return (
    isObj(x) && x.type === 'study' && isStr(x.experiment) && isNum(x.runs) && Array.isArray(x.axes) && x.axes.every(isStr) &&
    Array.isArray(x.metrics) && x.metrics.every(isStr) && isStudySelection(x.selection) &&
    (x.curves === null || (isObj(x.curves) && Array.isArray(x.curves.curves))) &&
    (x.grids === null || (isObj(x.grids) && Array.isArray(x.grids.grids) && Array.isArray(x.grids.xLabels) && Array.isArray(x.grids.yLabels))) &&
    (x.prediction === null || (isObj(x.prediction) && Array.isArray(x.prediction.points))) &&
    isStrOrNull(x.message)
  );
}

export function isStudyToHost(x: unknown): x is StudyToHost {
  if (!isObj(x)) return false;
  switch (x.type) {
    case 'ready':
      return true;
    case 'select':
      return isStudySelection(x.selection);
    case 'openRun':
      return Array.isArray(x.runDirs) && x.runDirs.length > 0 && x.runDirs.every(isStr);
    case 'state':
      return isObj(x.state) && isStr(x.state.metric) && Array.isArray(x.state.curve);
    case 'saveExport':
      return isSaveExport(x);
    default:
      return false;
  }
}
