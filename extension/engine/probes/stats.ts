/**
 * Summary statistics of a tensor, accumulated in float64.
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
  for (let i = 0; i < n; i++) {
    const x = data[i];
    if (Number.isNaN(x)) {
      nan++;
      continue;
    }
    if (!Number.isFinite(x)) {
      inf++;
      continue;
    }
    if (x === 0) zeros++;
    finite++;
    // Welford's update: stable for large tensors with a large mean.
    const d = x - mean;
    mean += d / finite;
    m2 += d * (x - mean);
    sumSq += x * x;
    if (x < min) min = x;
    if (x > max) max = x;
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

/** Equal-width histogram of the finite values over `range` (default: their min..max). */
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
  if (!Number.isFinite(lo)) {
    lo = 0;
    hi = 1;
  }
  if (hi <= lo) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 1e-3 : 0.5;
    lo -= pad;
    hi += pad;
  }
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * width);
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (!Number.isFinite(x) || x < lo || x > hi) continue;
    counts[Math.min(bins - 1, Math.floor((x - lo) / width))]++;
  }
  return { edges, counts };
}
