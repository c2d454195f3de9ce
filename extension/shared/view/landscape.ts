/**
 * The sweep landscape: generalization epoch (or "never") over two swept axes. Each run contributes its
 * `sweepValues[axis]`; runs that share a cell (further swept axes, repeats) are summarised by the earliest
 * generalization among them. A cell whose runs are all finished without generalizing is "never"; a cell with
 * a run still going and no generalization yet is "pending".
 *
 * Pure: no vscode, no DOM.
 */
import type { RunJson } from '../protocol';

export interface LandscapeRun {
  runDir: string;
  run: RunJson;
  /** The generalization epoch known from a live run's event, used when run.json has no summary yet. */
  generalizationEpoch?: number | null;
}

export type LandscapeCell =
  | { state: 'generalized'; epoch: number; runs: string[] }
  | { state: 'never'; runs: string[] }
  | { state: 'pending'; runs: string[] }
  | { state: 'empty'; runs: string[] };

export interface LandscapeGrid {
  xAxis: string;
  yAxis: string;
  /** Axis values, numeric ascending when all numeric, else in order of first appearance. */
  xValues: unknown[];
  yValues: unknown[];
  /** cells[yi][xi]. */
  cells: LandscapeCell[][];
  /** Range of generalization epochs over the grid (for a colour scale); null when none generalized. */
  minEpoch: number | null;
  maxEpoch: number | null;
}

/** Generalization epoch of a run: from its summary, else the live one. */
export function generalizationEpochOf(r: LandscapeRun): number | null {
  const s = r.run.summary?.generalizationEpoch;
  if (typeof s === 'number') return s;
  return r.generalizationEpoch ?? null;
}

function axisValues(values: unknown[]): unknown[] {
  const unique: unknown[] = [];
  const seen = new Set<string>();
  for (const v of values) {
    const k = JSON.stringify(v);
    if (!seen.has(k)) {
      seen.add(k);
      unique.push(v);
    }
  }
  if (unique.every((v) => typeof v === 'number')) (unique as number[]).sort((a, b) => a - b);
  return unique;
}

export function landscapeGrid(runs: readonly LandscapeRun[], xAxis: string, yAxis: string): LandscapeGrid {
  const usable = runs.filter((r) => r.run.sweepValues && xAxis in r.run.sweepValues && yAxis in r.run.sweepValues);
  const xValues = axisValues(usable.map((r) => r.run.sweepValues![xAxis]));
  const yValues = axisValues(usable.map((r) => r.run.sweepValues![yAxis]));
  const xIndex = new Map(xValues.map((v, i) => [JSON.stringify(v), i]));
  const yIndex = new Map(yValues.map((v, i) => [JSON.stringify(v), i]));
  const members: LandscapeRun[][][] = yValues.map(() => xValues.map(() => []));
  for (const r of usable) {
    const xi = xIndex.get(JSON.stringify(r.run.sweepValues![xAxis]))!;
    const yi = yIndex.get(JSON.stringify(r.run.sweepValues![yAxis]))!;
    members[yi][xi].push(r);
  }
  let minEpoch: number | null = null;
  let maxEpoch: number | null = null;
  const cells = members.map((row) =>
    row.map((group): LandscapeCell => {
      const dirs = group.map((g) => g.runDir);
      if (group.length === 0) return { state: 'empty', runs: dirs };
      const epochs = group.map(generalizationEpochOf).filter((e): e is number => e !== null);
      if (epochs.length) {
        const epoch = Math.min(...epochs);
        minEpoch = minEpoch === null ? epoch : Math.min(minEpoch, epoch);
        maxEpoch = maxEpoch === null ? epoch : Math.max(maxEpoch, epoch);
        return { state: 'generalized', epoch, runs: dirs };
      }
      return group.some((g) => g.run.status === 'running') ? { state: 'pending', runs: dirs } : { state: 'never', runs: dirs };
    }),
  );
  return { xAxis, yAxis, xValues, yValues, cells, minEpoch, maxEpoch };
}

/** The swept axes that actually vary among these runs (in the given order). */
export function varyingAxes(runs: readonly LandscapeRun[], axes: readonly string[]): string[] {
  return axes.filter((a) => new Set(runs.map((r) => JSON.stringify(r.run.sweepValues?.[a]))).size > 1);
}
