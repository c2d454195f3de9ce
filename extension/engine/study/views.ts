/**
 * What a study is drawn and answered with, derived from its per-run table:
 * - curves: a metric over one axis (x values sorted, numeric axes numerically), optionally one curve per value
 *   of a split axis; each x point aggregates every run with that x (seeds, and the axes not shown, pooled);
 * - grids: a metric over two axes with empty cells where no run lies, optionally one grid per split value (the
 *   generalization-epoch landscape is `studyGrids(study, 'generalizationEpoch', x, y)`);
 * - prediction: Spearman ρ of an early feature against an outcome over the finished runs, with a seeded
 *   bootstrap 95 % interval; fewer than 5 runs give no ρ and say so.
 * Pure: no Node, no vscode, no DOM.
 */
import { axisLabel, axisNumber, type Study, type StudyRun } from './study';
import type { WirePrediction } from '../../shared/studyProtocol';
import { aggregate, bootstrapSpearman, spearman, type Aggregate } from './stats';

/** Runs a prediction needs at least. */
export const MIN_PREDICTION_RUNS = 5;

export interface RunPoint {
  runDir: string;
  runName: string;
  value: number | null;
  running: boolean;
}

export interface CurvePoint {
  x: unknown;
  label: string;
  /** Position on a numeric axis; null on a categorical one. */
  xNum: number | null;
  stats: Aggregate;
  runs: RunPoint[];
}

export interface Curve {
  /** The split axis value (undefined without a split). */
  split?: unknown;
  label: string;
  points: CurvePoint[];
}

export interface StudyCurves {
  metric: string;
  xAxis: string;
  split: string | null;
  /** Every x value is a number (or a one-element number array). */
  numeric: boolean;
  curves: Curve[];
}

export type CellState = 'value' | 'never' | 'pending' | 'empty';

export interface GridCell {
  /** `value`: at least one run has a value; `never`: runs, all finished without one; `pending`: none yet, some still going; `empty`: no run. */
  state: CellState;
  stats: Aggregate | null;
  runs: RunPoint[];
}

export interface Grid {
  split?: unknown;
  label: string;
  /** cells[yi][xi]. */
  cells: GridCell[][];
  /** Range of the cell means (a colour scale); null when no cell has a value. */
  min: number | null;
  max: number | null;
}

export interface StudyGrids {
  metric: string;
  xAxis: string;
  yAxis: string;
  split: string | null;
  /** The same x / y values in every grid (the study's sorted axis values). */
  xValues: unknown[];
  yValues: unknown[];
  grids: Grid[];
}

/** Only runs whose point matches every `where` axis value. */
export type Where = Record<string, unknown>;

const keyOf = (v: unknown): string => JSON.stringify(v) ?? 'undefined';

function selected(study: Study, where: Where | undefined): StudyRun[] {
  const w = Object.entries(where ?? {});
  return study.runs.filter((r) => w.every(([a, v]) => keyOf(r.point[a]) === keyOf(v)));
}

function requireAxis(study: Study, axis: string): void {
  if (!study.axes.includes(axis)) throw new RangeError(`'${axis}' is not an axis of this study (axes: ${study.axes.join(', ') || 'none'})`);
}

function requireMetric(study: Study, metric: string): void {
  if (!study.metrics.includes(metric)) throw new RangeError(`'${metric}' is not a metric of this study`);
}

/** Split values in the study's order; [undefined] without a split. */
function splitValues(study: Study, split: string | null): unknown[] {
  return split ? study.axisValues[split] : [undefined];
}

const runPoint = (r: StudyRun, metric: string): RunPoint => ({ runDir: r.runDir, runName: r.runName, value: r.metrics[metric] ?? null, running: r.running });

/** A metric over one axis, one curve per split value. Points without runs are left out of a curve. */
export function studyCurves(study: Study, metric: string, xAxis: string, split: string | null = null, where?: Where): StudyCurves {
  requireMetric(study, metric);
  requireAxis(study, xAxis);
  if (split) requireAxis(study, split);
  const runs = selected(study, where);
  const xs = study.axisValues[xAxis];
  const curves: Curve[] = [];
  for (const s of splitValues(study, split)) {
    const inSplit = split ? runs.filter((r) => keyOf(r.point[split]) === keyOf(s)) : runs;
    if (inSplit.length === 0) continue;
    const points: CurvePoint[] = [];
    for (const x of xs) {
      const members = inSplit.filter((r) => keyOf(r.point[xAxis]) === keyOf(x));
      if (members.length === 0) continue;
      points.push({ x, label: axisLabel(x), xNum: axisNumber(x), stats: aggregate(members.map((r) => ({ value: r.metrics[metric] ?? null, running: r.running }))), runs: members.map((r) => runPoint(r, metric)) });
    }
    curves.push({ ...(split ? { split: s } : {}), label: split ? `${split} = ${axisLabel(s)}` : metric, points });
  }
  return { metric, xAxis, split, numeric: xs.every((x) => axisNumber(x) !== null), curves };
}

/** A metric over two axes (x columns, y rows), one grid per split value; cells without runs are `empty`. */
export function studyGrids(study: Study, metric: string, xAxis: string, yAxis: string, split: string | null = null, where?: Where): StudyGrids {
  requireMetric(study, metric);
  requireAxis(study, xAxis);
  requireAxis(study, yAxis);
  if (split) requireAxis(study, split);
  const runs = selected(study, where);
  const xValues = study.axisValues[xAxis];
  const yValues = study.axisValues[yAxis];
  const grids: Grid[] = [];
  for (const s of splitValues(study, split)) {
    const inSplit = split ? runs.filter((r) => keyOf(r.point[split]) === keyOf(s)) : runs;
    let min: number | null = null;
    let max: number | null = null;
    const cells = yValues.map((y) =>
      xValues.map((x): GridCell => {
        const members = inSplit.filter((r) => keyOf(r.point[xAxis]) === keyOf(x) && keyOf(r.point[yAxis]) === keyOf(y));
        if (members.length === 0) return { state: 'empty', stats: null, runs: [] };
        const stats = aggregate(members.map((r) => ({ value: r.metrics[metric] ?? null, running: r.running })));
        if (stats.mean !== null) {
          min = min === null ? stats.mean : Math.min(min, stats.mean);
          max = max === null ? stats.mean : Math.max(max, stats.mean);
        }
        const state: CellState = stats.n > 0 ? 'value' : stats.pending > 0 ? 'pending' : 'never';
        return { state, stats, runs: members.map((r) => runPoint(r, metric)) };
      }),
    );
    grids.push({ ...(split ? { split: s } : {}), label: split ? `${split} = ${axisLabel(s)}` : metric, cells, min, max });
  }
  return { metric, xAxis, yAxis, split, xValues, yValues, grids };
}

/** A prediction's shape is the one the Study panel draws (the shared protocol owns it). */
export type Prediction = WirePrediction;
export type PredictionPoint = WirePrediction['points'][number];

/**
 * Does `feature` (e.g. `sparsity.layer0@500`) predict `outcome` (e.g. `generalizationEpoch`)? Spearman ρ over
 * the finished runs that have both, with a percentile bootstrap interval (`resamples` resamples of the pairs,
 * seeded). Below MIN_PREDICTION_RUNS runs there is no ρ: `tooFew` and a note say so.
 */
export function predict(study: Study, feature: string, outcome: string, opts: { resamples?: number; seed?: number; level?: number; where?: Where } = {}): Prediction {
  requireMetric(study, feature);
  requireMetric(study, outcome);
  const runs = selected(study, opts.where);
  const finished = runs.filter((r) => !r.running);
  const points: PredictionPoint[] = [];
  for (const r of finished) {
    const x = r.metrics[feature];
    const y = r.metrics[outcome];
    if (x !== null && x !== undefined && y !== null && y !== undefined) points.push({ runDir: r.runDir, runName: r.runName, x, y });
  }
  // A canonical order (by run folder), so the bootstrap's pairing does not depend on how the runs were listed.
  points.sort((a, b) => (a.runDir < b.runDir ? -1 : a.runDir > b.runDir ? 1 : 0));
  const n = points.length;
  const base = { feature, outcome, n, missing: finished.length - n, running: runs.length - finished.length, points };
  if (n < MIN_PREDICTION_RUNS) {
    return { ...base, rho: null, ci: null, tooFew: true, note: `too few runs: ${n} finished run${n === 1 ? '' : 's'} with both values, ρ needs at least ${MIN_PREDICTION_RUNS}` };
  }
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const rho = spearman(xs, ys);
  if (rho === null) return { ...base, rho: null, ci: null, tooFew: false, note: `${new Set(xs).size === 1 ? feature : outcome} is the same in every run: no correlation` };
  const seed = opts.seed ?? 0;
  const level = opts.level ?? 0.95;
  const b = bootstrapSpearman(xs, ys, { resamples: opts.resamples ?? 2000, seed, level });
  return { ...base, rho, ci: b ? { lo: b.lo, hi: b.hi, level, resamples: b.resamples, seed } : null, tooFew: false, note: null };
}
