/**
 * Phase transitions in a layer's log₁₀ gradient-norm series, detected online.
 *
 * Method: piecewise-linear segmentation by PELT (Killick, Fearnhead & Eckley 2012) — optimal partitioning of
 * the series into segments, each fitted by a least-squares line, minimising Σ SSE(segment) + β·(#segments),
 * with PELT's pruning. Penalty β = penalty × 3·ln(n) × s², a BIC-style charge for the 3 parameters a new
 * segment adds (slope, intercept, location), with s the noise scale: the robust standard deviation of the
 * series' first differences (MAD / 0.6745 / √2), floored at `noiseFloor` decades — full-batch training gives
 * nearly noise-free curves, and the floor keeps smooth curvature from being cut into many tiny segments.
 * Long histories are block-averaged to at most MAX_POINTS points, and segment costs come from prefix sums, so each
 * evaluation costs O(MAX_POINTS²) at most (less after pruning).
 *
 * Online use: every few pushes the segmentation is recomputed on the whole history; a break is CONFIRMED
 * once `confirm` points lie after it and the last CONFIRM_RUNS evaluations all found it (within a tolerance), and
 * is then reported once; later breaks near a reported one (closer than the tolerance or `minSegment` points) are
 * the same change seen again and are not reported (window: the larger of the tolerance, `minSegment` points and
 * 10 % of the span so far). Each break is labelled from the fitted slopes before/after (log₁₀ units per 1000 epochs):
 * peak (rising → falling), levelling-off (falling → flat, or the fall slowed to at most `levelRatio` of its
 * rate), drop-onset (flat → falling), rise-onset (flat → rising), slope-change (any other change of at least
 * 50 % of the larger slope). Breaks whose slopes barely differ are not reported.
 */
import type { ChangePointSettings } from '../../shared/configTypes';
import type { TransitionKind } from '../../shared/protocol';
import { median } from '../../shared/median';

export interface ChangePoint {
  epoch: number;
  detectedAt: number;
  changeKind: TransitionKind;
  slopeBefore: number;
  slopeAfter: number;
}

/** Defaults, tuned on reference grokking runs (mod-97 addition, width 128, AdamW wd 1). */
export const DEFAULT_CHANGE_POINT: ChangePointSettings = {
  method: 'pelt',
  penalty: 2,
  minSegment: 10,
  confirm: 20,
  noiseFloor: 0.03,
  flatSlope: 0.1,
  levelRatio: 0.5,
};

const MAX_POINTS = 200;
/** A break must be found by this many consecutive evaluations to be confirmed. */
const CONFIRM_RUNS = 3;
const MIN_SEGMENT_POINTS = 6;

interface Segment {
  start: number; // index (inclusive) into the series used
  end: number; // exclusive
  slope: number; // per epoch
}

export function lineFit(x: ArrayLike<number>, y: ArrayLike<number>, s: number, e: number): { sse: number; slope: number } {
  const n = e - s;
  let sx = 0;
  let sy = 0;
  for (let i = s; i < e; i++) {
    sx += x[i];
    sy += y[i];
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = s; i < e; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { sse: Math.max(0, syy - (sxx > 0 ? (sxy * sxy) / sxx : 0)), slope };
}

/** Robust noise scale of a series: MAD of first differences / 0.6745 / √2. */
export function noiseScale(y: ArrayLike<number>): number {
  const n = y.length;
  if (n < 3) return 0;
  const d: number[] = [];
  for (let i = 1; i < n; i++) d.push(y[i] - y[i - 1]);
  const med = median(d);
  const mad = median(d.map((v) => Math.abs(v - med)));
  return mad / 0.6745 / Math.SQRT2;
}

/** Block means so at most MAX_POINTS remain; returns the reduced series and the block size. */
function downsample(epochs: ArrayLike<number>, values: ArrayLike<number>): { x: Float64Array; y: Float64Array; block: number } {
  const n = values.length;
  const block = Math.max(1, Math.ceil(n / MAX_POINTS));
  const m = Math.ceil(n / block);
  const x = new Float64Array(m);
  const y = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let sx = 0;
    let sy = 0;
    let c = 0;
    for (let i = j * block; i < Math.min(n, (j + 1) * block); i++) {
      sx += epochs[i];
      sy += values[i];
      c++;
    }
    x[j] = sx / c;
    y[j] = sy / c;
  }
  return { x, y, block };
}

/**
 * Least-squares line costs of every segment [s, e) of (x, y) in O(1) each, from prefix sums of the series
 * centred on their means (centring keeps the one-pass sums' cancellation small). Same values as `lineFit`.
 */
export class SegmentCosts {
  private readonly sx: Float64Array;
  private readonly sy: Float64Array;
  private readonly sxx: Float64Array;
  private readonly sxy: Float64Array;
  private readonly syy: Float64Array;

  constructor(x: ArrayLike<number>, y: ArrayLike<number>) {
    const n = y.length;
    let mx = 0;
    let my = 0;
    for (let i = 0; i < n; i++) {
      mx += x[i];
      my += y[i];
    }
    mx /= Math.max(1, n);
    my /= Math.max(1, n);
    this.sx = new Float64Array(n + 1);
    this.sy = new Float64Array(n + 1);
    this.sxx = new Float64Array(n + 1);
    this.sxy = new Float64Array(n + 1);
    this.syy = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      const u = x[i] - mx;
      const v = y[i] - my;
      this.sx[i + 1] = this.sx[i] + u;
      this.sy[i + 1] = this.sy[i] + v;
      this.sxx[i + 1] = this.sxx[i] + u * u;
      this.sxy[i + 1] = this.sxy[i] + u * v;
      this.syy[i + 1] = this.syy[i] + v * v;
    }
  }

  /** SSE of the least-squares line through points s..e−1 and its slope (as lineFit). */
  fit(s: number, e: number): { sse: number; slope: number } {
    const n = e - s;
    const sx = this.sx[e] - this.sx[s];
    const sxx = this.sxx[e] - this.sxx[s] - (sx * sx) / n;
    const sxy = this.sxy[e] - this.sxy[s] - (sx * (this.sy[e] - this.sy[s])) / n;
    return { sse: this.sse(s, e), slope: sxx > 0 ? sxy / sxx : 0 };
  }

  /** SSE alone (PELT's inner loop: no object per segment). */
  sse(s: number, e: number): number {
    const n = e - s;
    const sx = this.sx[e] - this.sx[s];
    const sy = this.sy[e] - this.sy[s];
    const sxx = this.sxx[e] - this.sxx[s] - (sx * sx) / n;
    const sxy = this.sxy[e] - this.sxy[s] - (sx * sy) / n;
    const syy = this.syy[e] - this.syy[s] - (sy * sy) / n;
    return Math.max(0, syy - (sxx > 0 ? (sxy * sxy) / sxx : 0));
  }
}

/** PELT segmentation of (x, y) with linear segments; returns the segments in order. */
function pelt(x: Float64Array, y: Float64Array, beta: number, minSeg: number): Segment[] {
  const n = y.length;
  if (n < 2 * minSeg) return [{ start: 0, end: n, slope: lineFit(x, y, 0, n).slope }];
  const costs = new SegmentCosts(x, y);
  const F = new Float64Array(n + 1).fill(Infinity);
  const prev = new Int32Array(n + 1).fill(-1);
  F[0] = -beta;
  // The candidate segment starts (the first `count` entries) and their cost C(s, t) at the current t (NaN:
  // not evaluated at this t).
  const candidates = new Int32Array(n + 1);
  let count = 1;
  const cost = new Float64Array(n + 1);
  for (let t = minSeg; t <= n; t++) {
    let best = Infinity;
    let arg = -1;
    for (let i = 0; i < count; i++) {
      const s = candidates[i];
      cost[s] = NaN;
      if (t - s < minSeg || !Number.isFinite(F[s])) continue;
      const c = costs.sse(s, t);
      cost[s] = c;
      const v = F[s] + c + beta;
      if (v < best) {
        best = v;
        arg = s;
      }
    }
    F[t] = best;
    prev[t] = arg;
    // PELT pruning: s can never be optimal again once F(s) + C(s, t) > F(t) (K = 0 for SSE costs).
    let kept = 0;
    for (let i = 0; i < count; i++) {
      const s = candidates[i];
      if (Number.isNaN(cost[s]) || F[s] + cost[s] <= F[t]) candidates[kept++] = s;
    }
    candidates[kept++] = t;
    count = kept;
  }
  const bounds: number[] = [];
  let t = n;
  while (t > 0 && prev[t] >= 0) {
    bounds.push(t);
    t = prev[t];
  }
  bounds.push(0);
  bounds.reverse();
  const segs: Segment[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    segs.push({ start: bounds[i], end: bounds[i + 1], slope: lineFit(x, y, bounds[i], bounds[i + 1]).slope });
  }
  return segs;
}

export function classify(before: number, after: number, s: ChangePointSettings): TransitionKind | null {
  const flat = s.flatSlope;
  const isFlat = (v: number) => Math.abs(v) <= flat;
  if (before > flat && after < -flat) return 'peak';
  if (before < -flat && (isFlat(after) || (after < 0 && Math.abs(after) <= s.levelRatio * Math.abs(before)))) return 'levelling-off';
  if (isFlat(before) && after < -flat) return 'drop-onset';
  if (isFlat(before) && after > flat) return 'rise-onset';
  // Other changes count only when the rate changes at least threefold (or flips sign).
  const big = Math.max(Math.abs(before), Math.abs(after));
  const small = Math.min(Math.abs(before), Math.abs(after));
  if (big > flat && (Math.sign(before) !== Math.sign(after) || small * 3 <= big)) return 'slope-change';
  return null;
}

/**
 * Offline detection on a whole series; breaks are reported at the epoch where the new segment starts.
 *
 * A levelling-off is the onset of a sustained deceleration of a fall: a chain of consecutive breaks that each
 * make a falling series fall more slowly, which together bring the rate down to at most `levelRatio` of the
 * rate before the chain (or to flat). Smooth training curves bend gradually rather than at one kink, so the
 * segmentation cuts the bend into several pieces; the chain is one transition, reported once at its FIRST break
 * (where the straight fall ends), with the slopes before the chain and after its last break. A chain that has
 * not (yet) slowed the fall enough is not reported.
 */
export function detectChangePoints(epochs: ArrayLike<number>, values: ArrayLike<number>, s: ChangePointSettings): Omit<ChangePoint, 'detectedAt'>[] {
  const n = values.length;
  if (n < 4) return [];
  const { x, y, block } = downsample(epochs, values);
  const sigma = Math.max(noiseScale(y), s.noiseFloor);
  const beta = s.penalty * 3 * Math.log(y.length) * sigma * sigma;
  // At least MIN_SEGMENT_POINTS reduced points: a 3-point segment can fit noise with any slope.
  const minSeg = Math.max(MIN_SEGMENT_POINTS, Math.ceil(s.minSegment / block));
  const segs = pelt(x, y, beta, minSeg);
  const slope = segs.map((g) => g.slope * 1000);
  const out: Omit<ChangePoint, 'detectedAt'>[] = [];
  for (let i = 1; i < segs.length; i++) {
    const before = slope[i - 1];
    // A deceleration chain: falling before, and every following break slows the fall further.
    if (before < -s.flatSlope && slope[i] > before) {
      let j = i;
      while (j + 1 < segs.length && slope[j] < -s.flatSlope && slope[j + 1] > slope[j]) j++;
      const kind = classify(before, slope[j], s);
      if (kind === 'levelling-off') {
        out.push({ epoch: Math.round(x[segs[i].start]), changeKind: kind, slopeBefore: before, slopeAfter: slope[j] });
        i = j;
        continue;
      }
    }
    const kind = classify(before, slope[i], s);
    if (!kind || kind === 'levelling-off') continue; // a fall slowed too little to count (see above)
    out.push({ epoch: Math.round(x[segs[i].start]), changeKind: kind, slopeBefore: before, slopeAfter: slope[i] });
  }
  return out;
}

export class ChangePointDetector {
  private readonly epochs: number[] = [];
  private readonly values: number[] = [];
  private history: Omit<ChangePoint, 'detectedAt'>[][] = [];
  private readonly emitted: ChangePoint[] = [];
  private sinceEval = 0;

  constructor(private readonly s: ChangePointSettings) {}

  get reported(): readonly ChangePoint[] {
    return this.emitted;
  }

  /** Adds one point; returns the changes newly confirmed by it (each change is reported once). */
  push(epoch: number, value: number): ChangePoint[] {
    if (!Number.isFinite(value)) return [];
    this.epochs.push(epoch);
    this.values.push(value);
    const n = this.values.length;
    // Re-segment every `stride` points: the cost per evaluation is bounded, the number of evaluations ~ MAX_POINTS.
    const stride = Math.max(1, Math.floor(n / MAX_POINTS));
    if (++this.sinceEval < stride) return [];
    this.sinceEval = 0;
    const found = detectChangePoints(this.epochs, this.values, this.s);
    const span = epoch - this.epochs[0];
    const tol = Math.max(3 * (span / Math.max(1, n - 1)) * Math.max(1, stride), 0.03 * span);
    const confirmEpochs = this.s.confirm * (span / Math.max(1, n - 1));
    const near = Math.max(tol, 0.1 * span, confirmEpochs, this.s.minSegment * (span / Math.max(1, n - 1)));
    const fresh: ChangePoint[] = [];
    for (const c of found) {
      if (epoch - c.epoch < confirmEpochs) continue;
      const stable = this.history.length >= CONFIRM_RUNS - 1 &&
        this.history.every((run) => run.some((p) => p.changeKind === c.changeKind && Math.abs(p.epoch - c.epoch) <= tol));
      if (!stable) continue;
      if (this.emitted.some((p) => Math.abs(p.epoch - c.epoch) <= near)) continue;
      // The same kind again right after the last report is that change re-located by the growing history
      // (e.g. a broad peak whose maximum moves as more of the fall is seen), not a new one.
      const last = this.emitted[this.emitted.length - 1];
      if (last && last.changeKind === c.changeKind && Math.abs(last.epoch - c.epoch) <= Math.max(near, 0.25 * span)) continue;
      const cp: ChangePoint = { ...c, detectedAt: epoch };
      this.emitted.push(cp);
      fresh.push(cp);
    }
    this.history.push(found);
    if (this.history.length > CONFIRM_RUNS - 1) this.history.shift();
    return fresh;
  }
}
