/**
 * The statistics of a study: aggregation of a metric over a point's runs, Spearman's rank correlation (ties
 * get their average rank) and a seeded percentile-bootstrap interval for it. Hand-written (forty lines) rather
 * than a dependency: the npm statistics packages either lack tie-corrected Spearman or a seeded bootstrap,
 * and the results must be reproducible run to run. Pure: no Node, no vscode, no DOM.
 */
import type { WireAggregate } from '../../shared/studyProtocol';
import { Rng } from '../tasks/rng';

/** A metric over the runs of one point (the shape the Study panel draws; the shared protocol owns it). */
export type Aggregate = WireAggregate;

/** One run's value of a metric, and whether that run is still going. */
export interface RunValue {
  value: number | null;
  running: boolean;
}

export function aggregate(values: readonly RunValue[]): Aggregate {
  const xs: number[] = [];
  let never = 0;
  let pending = 0;
  for (const v of values) {
    if (v.value !== null && Number.isFinite(v.value)) xs.push(v.value);
    else if (v.running) pending++;
    else never++;
  }
  const n = xs.length;
  if (n === 0) return { mean: null, std: null, min: null, max: null, n, never, pending };
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const std = n < 2 ? null : Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  return { mean, std, min: Math.min(...xs), max: Math.max(...xs), n, never, pending };
}

/** Ranks 1..n; tied values share the average of the ranks they span. */
export function averageRanks(xs: readonly number[]): number[] {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const ranks = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && xs[order[j + 1]] === xs[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

/** Pearson correlation; null when either side is constant (or fewer than 2 pairs). */
export function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  const n = xs.length;
  if (n < 2 || ys.length !== n) return null;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx;
    const dy = ys[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** Spearman's ρ: the Pearson correlation of the average ranks (the tie-corrected form). Null when a side is constant. */
export function spearman(xs: readonly number[], ys: readonly number[]): number | null {
  return pearson(averageRanks(xs), averageRanks(ys));
}

/** The q-quantile (0 ≤ q ≤ 1) of sorted values with linear interpolation between order statistics (numpy's default). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export interface BootstrapInterval {
  lo: number;
  hi: number;
  /** Resamples that gave a defined ρ (a resample drawing one value on a side many times can be constant). */
  resamples: number;
}

/**
 * Percentile bootstrap of Spearman's ρ: `resamples` times, draw n pairs with replacement (pair index
 * `Rng(seed).int(n)`, n draws per resample, resample after resample), compute ρ with average ranks; the
 * interval is the (1 − level)/2 and (1 + level)/2 quantiles of the defined ρs. Null when no resample is defined.
 */
export function bootstrapSpearman(xs: readonly number[], ys: readonly number[], opts: { resamples?: number; seed?: number; level?: number } = {}): BootstrapInterval | null {
  const n = xs.length;
  const B = opts.resamples ?? 2000;
  const level = opts.level ?? 0.95;
  const rng = new Rng(opts.seed ?? 0);
  const rhos: number[] = [];
  const bx = new Array<number>(n);
  const by = new Array<number>(n);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < n; j++) {
      const i = rng.int(n);
      bx[j] = xs[i];
      by[j] = ys[i];
    }
    const r = spearman(bx, by);
    if (r !== null) rhos.push(r);
  }
  if (rhos.length === 0) return null;
  rhos.sort((a, b) => a - b);
  return { lo: quantileSorted(rhos, (1 - level) / 2), hi: quantileSorted(rhos, (1 + level) / 2), resamples: rhos.length };
}
