/**
 * Largest-Triangle-Three-Buckets downsampling (Steinarsson 2013, "Downsampling Time Series for Visual
 * Representation", ch. 4): keeps the first and last point and, per bucket, the point forming the largest
 * triangle with the previously kept point and the average of the next bucket. It preserves peaks and
 * troughs, which is what a gradient-norm curve's phase transitions are. Written here (a few lines) rather than
 * using chart.js's decimation plugin, because that plugin re-reads the whole original array on every update
 * and cannot be fed incrementally; here the panel keeps compact typed arrays and decimates only when dirty.
 *
 * Pure: no DOM.
 */

/** The most points a live chart draws per series (the Dynamics panel decimates to it; the host sends no more). */
export const CHART_POINTS = 2000;

/**
 * Indices (ascending) of the points to keep. xs must be non-decreasing. If n ≤ threshold (or threshold < 3)
 * every index is returned.
 */
export function lttbIndices(xs: ArrayLike<number>, ys: ArrayLike<number>, n: number, threshold: number): Uint32Array {
  if (n <= threshold || threshold < 3) {
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return all;
  }
  const out = new Uint32Array(threshold);
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  out[0] = 0;
  for (let i = 0; i < threshold - 2; i++) {
    // Average of the next bucket.
    const nextStart = Math.floor((i + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += xs[j];
      avgY += ys[j];
    }
    const len = nextEnd - nextStart;
    avgX /= len;
    avgY /= len;
    // The point of this bucket forming the largest triangle with point a and the average.
    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    const ax = xs[a];
    const ay = ys[a];
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const area = Math.abs((ax - avgX) * (ys[j] - ay) - (ax - xs[j]) * (avgY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    out[i + 1] = best;
    a = best;
  }
  out[threshold - 1] = n - 1;
  return out;
}
