/**
 * Summary statistics of a tensor, accumulated in float64 (the probes' and the checkpoint inspectors' hot loop).
 * NaN and ±Inf are counted (nanCount, infCount) and excluded from mean, std, min, max and l2, so one bad value
 * does not hide the rest; zeroFraction is over all elements. std is the population standard deviation.
 */
import type { Histogram } from '../../shared/protocol';

export interface TensorStats {
  numel: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  l2: number;
  zeroFraction: number;
  nanCount: number;
  infCount: number;
}

/** Elements per block of tensorStats: small enough to stay in L1 for the block's second pass. */
const BLOCK = 1024;

/**
 * Per block of BLOCK elements: one pass for the count, sum, min, max, zeros and NaN/Inf, a second over the
 * same cached block for Σ(x − block mean)²; blocks are merged with Chan et al.'s pairwise update. As stable
 * as Welford's per-element update for a large mean, without its division per element. The first pass sums in
 * two lanes without looking for NaN/±Inf (a block that has any, or whose sums leave the float64 range, has
 * non-finite sums and is counted again element by element): half the dependency chain per element.
 */
export function tensorStats(data: ArrayLike<number>): TensorStats {
  const n = data.length;
  let finite = 0;
  let nan = 0;
  let inf = 0;
  let zeros = 0;
  let mean = 0;
  let m2 = 0;
  let sumSq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    let s0 = 0;
    let s1 = 0;
    let q0 = 0;
    let q1 = 0;
    let lo = Infinity;
    let hi = -Infinity;
    let z = 0;
    let i = start;
    for (; i + 1 < end; i += 2) {
      const x = data[i];
      const y = data[i + 1];
      s0 += x;
      s1 += y;
      q0 += x * x;
      q1 += y * y;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      if (y < lo) lo = y;
      if (y > hi) hi = y;
      if (x === 0) z++;
      if (y === 0) z++;
    }
    if (i < end) {
      const x = data[i];
      s0 += x;
      q0 += x * x;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      if (x === 0) z++;
    }
    let count = end - start;
    let sum = s0 + s1;
    let sq = q0 + q1;
    let bm2 = 0;
    // x − x is 0 for every finite x and NaN for NaN and ±Infinity.
    if (sum - sum === 0 && sq - sq === 0) {
      zeros += z;
      if (lo < min) min = lo;
      if (hi > max) max = hi;
      const bm = sum / count;
      let d0 = 0;
      let d1 = 0;
      for (i = start; i + 1 < end; i += 2) {
        const a = data[i] - bm;
        const b = data[i + 1] - bm;
        d0 += a * a;
        d1 += b * b;
      }
      if (i < end) d0 += (data[i] - bm) * (data[i] - bm);
      bm2 = d0 + d1;
    } else {
      count = 0;
      sum = 0;
      sq = 0;
      for (i = start; i < end; i++) {
        const x = data[i];
        if (x - x !== 0) {
          if (x !== x) nan++;
          else inf++;
          continue;
        }
        count++;
        sum += x;
        sq += x * x;
        if (x === 0) zeros++;
        if (x < min) min = x;
        if (x > max) max = x;
      }
      if (count === 0) continue;
      const bm = sum / count;
      for (i = start; i < end; i++) {
        const x = data[i];
        if (x - x === 0) bm2 += (x - bm) * (x - bm);
      }
    }
    const bm = sum / count;
    const total = finite + count;
    if (finite === 0) {
      // The first block with finite values (d² · 0 would be NaN once d² overflows).
      mean = bm;
      m2 = bm2;
    } else {
      const d = bm - mean;
      mean += (d * count) / total;
      m2 += bm2 + (d * d * finite * count) / total;
    }
    finite = total;
    sumSq += sq;
  }
  return {
    numel: n,
    mean: finite ? mean : NaN,
    std: finite ? Math.sqrt(m2 / finite) : NaN,
    min: finite ? min : NaN,
    max: finite ? max : NaN,
    l2: Math.sqrt(sumSq),
    zeroFraction: n ? zeros / n : 0,
    nanCount: nan,
    infCount: inf,
  };
}

/**
 * The range histogram() bins over when none is given, from the finite values' min and max (NaN when there are
 * none: [0, 1]; a single value is padded by 0.1 % of it, or 0.5 around zero).
 */
export function histogramRange(min: number, max: number): [number, number] {
  let lo = min;
  let hi = max;
  if (!Number.isFinite(lo)) {
    lo = 0;
    hi = 1;
  }
  if (hi <= lo) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 1e-3 : 0.5;
    lo -= pad;
    hi += pad;
  }
  return [lo, hi];
}

/** Equal-width histogram of the finite values over `range` (default: their min..max, see histogramRange). */
export function histogram(data: ArrayLike<number>, bins: number, range?: [number, number]): Histogram {
  let lo = range ? range[0] : Infinity;
  let hi = range ? range[1] : -Infinity;
  if (!range) {
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      if (!Number.isFinite(x)) continue;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  [lo, hi] = histogramRange(lo, hi);
  const width = (hi - lo) / bins;
  // Plain loops, no callbacks: a file of 10⁶ small tensors makes 10⁶ histograms.
  const edges = new Array<number>(bins + 1);
  for (let i = 0; i <= bins; i++) edges[i] = lo + i * width;
  const counts = new Array<number>(bins).fill(0);
  const last = bins - 1;
  const perWidth = 1 / width;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    // NaN and ±Infinity fail the range test; x ≥ lo, so truncation is the floor.
    if (!(x >= lo && x <= hi)) continue;
    const k = ((x - lo) * perWidth) | 0;
    counts[k > last ? last : k]++;
  }
  return { edges, counts };
}
