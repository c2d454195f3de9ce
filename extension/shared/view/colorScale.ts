/**
 * The heatmap's colour scale: viridis (van der Walt & Smith, matplotlib 2015; perceptually uniform and
 * readable with colour-vision deficiencies), sampled at five stops and interpolated in sRGB; and the cell
 * label colour (black or white, whichever contrasts more with the cell).
 *
 * Pure: no DOM.
 */
import { contrastRatio, parseColor, toHex } from './palette';

const VIRIDIS = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];

/** Colour at t ∈ [0, 1] (clamped; NaN → 0). */
export function viridis(t: number): string {
  const u = Number.isFinite(t) ? Math.max(0, Math.min(1, t)) : 0;
  const f = u * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(f));
  const a = parseColor(VIRIDIS[i])!;
  const b = parseColor(VIRIDIS[i + 1])!;
  const k = f - i;
  return toHex({ r: a.r + (b.r - a.r) * k, g: a.g + (b.g - a.g) * k, b: a.b + (b.b - a.b) * k, a: 1 });
}

/** Position of `v` on the scale [min, max], logarithmic when `log` (and both ends > 0). */
export function scalePosition(v: number, min: number, max: number, log = false): number {
  if (log && min > 0 && max > 0 && v > 0) return max > min ? (Math.log(v) - Math.log(min)) / (Math.log(max) - Math.log(min)) : 0.5;
  return max > min ? (v - min) / (max - min) : 0.5;
}

/** Black or white text, whichever reads better on `fill`. */
export function labelColor(fill: string): string {
  return contrastRatio('#000000', fill) >= contrastRatio('#ffffff', fill) ? '#000000' : '#ffffff';
}
