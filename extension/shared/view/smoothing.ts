/**
 * Debiased exponential moving average, as TensorBoard smooths scalars: s_t = w·s_{t−1} + (1−w)·y_t started at
 * 0 and divided by the debias factor 1 − w^k (k = finite values seen so far), so the first smoothed value is
 * the first raw value instead of a value pulled towards zero (the bias TensorBoard's users kept reporting,
 * tensorflow/tensorboard#610, #1518). Non-finite values pass through unchanged and do not enter the average.
 *
 * Pure: no DOM.
 */
import type { XY } from './xy';

/** Largest weight accepted (1 would freeze the average at its first value). */
export const MAX_SMOOTHING = 0.999;

export function clampSmoothing(weight: number): number {
  if (!Number.isFinite(weight) || weight <= 0) return 0;
  return Math.min(MAX_SMOOTHING, weight);
}

/** The smoothed values of `ys` (same length); weight 0 returns the values unchanged. */
export function emaDebiased(ys: ArrayLike<number | null>, weight: number): (number | null)[] {
  const w = clampSmoothing(weight);
  const out: (number | null)[] = new Array(ys.length);
  let last = 0;
  let debias = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (y === null || !Number.isFinite(y)) {
      out[i] = y;
      continue;
    }
    if (w === 0) {
      out[i] = y;
      continue;
    }
    last = w * last + (1 - w) * y;
    debias = w * debias + (1 - w);
    out[i] = last / debias;
  }
  return out;
}

/** Points with their y smoothed (x unchanged). */
export function smoothPoints<P extends XY<number | null>>(points: readonly P[], weight: number): XY<number | null>[] {
  const ys = emaDebiased(points.map((p) => p.y), weight);
  return points.map((p, i) => ({ x: p.x, y: ys[i] }));
}
