/**
 * A study: the runs of one experiment turned into the per-run table and its groups.
 *
 * - Axes are the swept dotted paths (the file's `sweep.grid` keys) plus `config` when the runs come from more
 *   than one config. `training.seed` is never an axis: seeds are repeats of a point.
 * - A run's value on an axis is read from its resolved config (so a plain run of a config lands on the same
 *   point as the sweep run with the same values); `config` is the run's config name.
 * - By default only the newest run of each config + point + seed is used (`runs: 'all'` keeps every run).
 * - A group is every run that shares the grouping axes (all axes, or `by` + `split`); each metric is
 *   aggregated over the group's runs (mean over the runs that have a value; `never` / `pending` count the others).
 *
 * `studyFromRuns` is pure (the Study panel feeds it the runs it holds live; no Node, vscode or DOM);
 * `buildStudy` (load.ts) reads them from disk through the runs reader first. Both return exactly the object
 * `training-dynamics study --json` prints.
 */
import type { RunStatus } from '../../shared/protocol';
import { didYouMean } from '../config/validate';
import { newestFirst } from '../runs/reader';
import { metricColumns, parseMetricName, runMetrics, type StudyRunInput } from './metrics';
import { aggregate, type Aggregate } from './stats';

export const SEED_AXIS = 'training.seed';
export const CONFIG_AXIS = 'config';

export interface StudyOptions {
  /** Swept axes in file order (the `sweep.grid` keys); default: the keys of the runs' sweepValues. */
  axes?: readonly string[];
  /** Config names in file order (orders the `config` axis); default: order of first appearance. */
  configs?: readonly string[];
  /** `newest` (default): the newest run of each config + point + seed; `all`: every run. */
  runs?: 'newest' | 'all';
  /** Group by these axes only (the others are pooled with the seeds); default: every axis. */
  by?: readonly string[];
  /** A further grouping axis (one curve / grid per value); added to `by`. */
  split?: string | null;
  /** Metric names beyond the table's columns, e.g. `sparsity.layer0@500`. */
  metrics?: readonly string[];
}

/** One run of the study (a row of the per-run table). */
export interface StudyRun {
  runDir: string;
  runName: string;
  configName: string;
  status: RunStatus;
  /** Still going: its values are partial. */
  running: boolean;
  seed: number | null;
  startedAt: string;
  epochsCompleted: number;
  totalEpochs: number;
  /** The run's value on every axis. */
  point: Record<string, unknown>;
  metrics: Record<string, number | null>;
  /** Best-fitting form of the training-loss curve (categorical; null until fitted). */
  bestLossFit: string | null;
}

export interface StudyGroup {
  /** The grouping axes' values. */
  point: Record<string, unknown>;
  /** Absolute run directories. */
  runs: string[];
  /** How many of them are still going. */
  running: number;
  metrics: Record<string, Aggregate>;
  /** Best loss-curve form → number of runs. */
  bestLossFit: Record<string, number>;
}

export interface Study {
  experiment: string;
  /** The runs used, newest first. */
  runs: StudyRun[];
  /** Every axis of the study. */
  axes: string[];
  /** The axes the groups are keyed by. */
  groupBy: string[];
  split: string | null;
  /** Sorted values of every axis (numbers and number arrays numerically, others in file / first-seen order). */
  axisValues: Record<string, unknown[]>;
  /** Metric names of every row (the table's columns, then the requested extras). */
  metrics: string[];
  groups: StudyGroup[];
  /** Runs still going. */
  running: number;
}

export class StudyError extends Error {}

/** The value at a dotted path of an object, undefined when absent. */
export function valueAt(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj;
  for (const seg of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(seg in cur)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/** Numeric position of an axis value: a number, or a one-element number array ([128] widths); null otherwise. */
export function axisNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return v[0];
  return null;
}

/** How an axis value reads: 0.001, 128, 64x64, adamw. */
export function axisLabel(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v.join('x');
  return JSON.stringify(v) ?? 'none';
}

const keyOf = (v: unknown): string => JSON.stringify(v) ?? 'undefined';

/** Distinct values, sorted: numbers (and number arrays, element by element) ascending, others in `order` then first-seen order. */
export function sortAxisValues(values: readonly unknown[], order: readonly unknown[] = []): unknown[] {
  const seen = new Map<string, unknown>();
  for (const v of values) if (!seen.has(keyOf(v))) seen.set(keyOf(v), v);
  const unique = [...seen.values()];
  const numArr = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');
  if (unique.every((v) => typeof v === 'number')) return (unique as number[]).sort((a, b) => a - b);
  if (unique.every(numArr)) {
    return unique.sort((a, b) => {
      const x = a as number[];
      const y = b as number[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
      return x.length - y.length;
    });
  }
  const rank = (v: unknown) => {
    const i = order.findIndex((o) => keyOf(o) === keyOf(v));
    return i < 0 ? order.length : i;
  };
  return unique.map((v, i) => ({ v, i })).sort((a, b) => rank(a.v) - rank(b.v) || a.i - b.i).map((x) => x.v);
}

/** The study's axes: the given sweep axes (or the runs' sweepValues keys) without the seed, plus `config` when several configs ran. */
function studyAxes(inputs: readonly StudyRunInput[], opts: StudyOptions): string[] {
  const swept = opts.axes ? [...opts.axes] : [...new Set(inputs.flatMap((i) => Object.keys(i.run.sweepValues ?? {})))];
  const axes = swept.filter((a) => a !== SEED_AXIS && a !== CONFIG_AXIS);
  if (new Set(inputs.map((i) => i.run.configName)).size > 1 || (opts.configs?.length ?? 0) > 1) axes.unshift(CONFIG_AXIS);
  return axes;
}

function pointOf(input: StudyRunInput, axes: readonly string[]): Record<string, unknown> {
  const point: Record<string, unknown> = {};
  for (const a of axes) {
    if (a === CONFIG_AXIS) point[a] = input.run.configName;
    else {
      const v = valueAt(input.run.config, a);
      point[a] = v !== undefined ? v : input.run.sweepValues?.[a] ?? null;
    }
  }
  return point;
}

function seedOf(input: StudyRunInput): number | null {
  const s = valueAt(input.run.config, SEED_AXIS);
  return typeof s === 'number' ? s : null;
}

/** Checks the axis names of `by` / `split` against the study's axes; throws StudyError naming the first unknown. */
function checkAxes(axes: readonly string[], opts: StudyOptions): void {
  for (const a of [...(opts.by ?? []), ...(opts.split ? [opts.split] : [])]) {
    if (a === SEED_AXIS) throw new StudyError(`'${SEED_AXIS}' is not an axis: seeds are repeats of a point and are averaged`);
    if (!axes.includes(a)) {
      const hint = didYouMean(a, [...axes]);
      throw new StudyError(`'${a}' is not an axis of this study${hint ? ` — did you mean '${hint}'?` : ''} (axes: ${axes.join(', ') || 'none'})`);
    }
  }
}

/**
 * The study of these runs (pure). Throws StudyError for an unknown axis in `by` / `split` or an unknown metric
 * name in `metrics`.
 */
export function studyFromRuns(experiment: string, inputs: readonly StudyRunInput[], opts: StudyOptions = {}): Study {
  for (const m of opts.metrics ?? []) if (!parseMetricName(m)) throw new StudyError(`unknown metric '${m}'`);
  const axes = studyAxes(inputs, opts);
  checkAxes(axes, opts);
  const sorted = [...inputs].sort(newestFirst);
  const used: StudyRunInput[] = [];
  if (opts.runs === 'all') used.push(...sorted);
  else {
    const seen = new Set<string>();
    for (const i of sorted) {
      const k = keyOf([i.run.configName, pointOf(i, axes), seedOf(i)]);
      if (!seen.has(k)) {
        seen.add(k);
        used.push(i);
      }
    }
  }
  const columns = metricColumns(used);
  const extra = (opts.metrics ?? []).filter((m) => !columns.includes(m));
  const metrics = [...columns, ...extra];
  const runs: StudyRun[] = used.map((i) => {
    const m = runMetrics(i, columns, extra);
    return {
      runDir: i.runDir,
      runName: i.run.runName,
      configName: i.run.configName,
      status: i.run.status,
      running: i.run.status === 'running',
      seed: seedOf(i),
      startedAt: i.run.startedAt,
      epochsCompleted: Math.max(i.run.epochsCompleted, m.values.epochs ?? 0),
      totalEpochs: i.run.totalEpochs,
      point: pointOf(i, axes),
      metrics: m.values,
      bestLossFit: m.bestLossFit,
    };
  });
  const axisValues: Record<string, unknown[]> = {};
  for (const a of axes) axisValues[a] = sortAxisValues(runs.map((r) => r.point[a]), a === CONFIG_AXIS ? opts.configs ?? [] : []);
  const split = opts.split ?? null;
  const groupBy = opts.by && opts.by.length ? [...opts.by, ...(split && !opts.by.includes(split) ? [split] : [])] : axes.slice();
  return { experiment, runs, axes, groupBy, split, axisValues, metrics, groups: groupRuns(runs, groupBy, axisValues, metrics), running: runs.filter((r) => r.running).length };
}

/** Groups runs by the values of `by`, ordered by the axes' sorted values; each metric aggregated over the group. */
export function groupRuns(runs: readonly StudyRun[], by: readonly string[], axisValues: Record<string, unknown[]>, metrics: readonly string[]): StudyGroup[] {
  const buckets = new Map<string, { point: Record<string, unknown>; members: StudyRun[] }>();
  for (const r of runs) {
    const point = Object.fromEntries(by.map((a) => [a, r.point[a]]));
    const k = keyOf(by.map((a) => r.point[a]));
    const b = buckets.get(k) ?? { point, members: [] };
    b.members.push(r);
    buckets.set(k, b);
  }
  const rank = (a: string, v: unknown) => (axisValues[a] ?? []).findIndex((x) => keyOf(x) === keyOf(v));
  const ordered = [...buckets.values()].sort((x, y) => {
    for (const a of by) {
      const d = rank(a, x.point[a]) - rank(a, y.point[a]);
      if (d !== 0) return d;
    }
    return 0;
  });
  return ordered.map(({ point, members }) => {
    const forms: Record<string, number> = {};
    for (const r of members) if (r.bestLossFit) forms[r.bestLossFit] = (forms[r.bestLossFit] ?? 0) + 1;
    return {
      point,
      runs: members.map((r) => r.runDir),
      running: members.filter((r) => r.running).length,
      metrics: Object.fromEntries(metrics.map((m) => [m, aggregate(members.map((r) => ({ value: r.metrics[m] ?? null, running: r.running })))])),
      bestLossFit: forms,
    };
  });
}
