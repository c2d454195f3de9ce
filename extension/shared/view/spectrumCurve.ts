/**
 * What the spectrum chart draws: the eigenvalue histogram as a density (so it is comparable with the
 * Marchenko–Pastur density), the MP curve sampled on the support, and the Benford reference.
 *
 * Pure: no vscode, no DOM. Uses the MP law of shared/marchenkoPastur.ts, the same one the engine's fit uses.
 */
import type { Histogram } from '../protocol';
import { mpDensity, mpEdges } from '../marchenkoPastur';
import type { XY } from './xy';

/**
 * Histogram → density points for a stepped line: one point at each left edge with that bin's density
 * count / (total · width), and a closing point at the last edge. Empty histogram → [].
 */
export function histogramDensity(h: Histogram): XY[] {
  const total = h.counts.reduce((a, b) => a + b, 0);
  if (total === 0 || h.edges.length !== h.counts.length + 1) return [];
  const pts: XY[] = [];
  for (let i = 0; i < h.counts.length; i++) {
    const w = h.edges[i + 1] - h.edges[i];
    pts.push({ x: h.edges[i], y: w > 0 ? h.counts[i] / (total * w) : 0 });
  }
  pts.push({ x: h.edges[h.edges.length - 1], y: pts.length ? pts[pts.length - 1].y : 0 });
  return pts;
}

/**
 * The MP density with entry variance σ² and ratio q at `points` abscissae on [λ−, λ+] (Chebyshev-spaced, so
 * the square-root edges are resolved), plus zero just outside, for a line overlay.
 */
export function mpCurvePoints(sigma2: number, q: number, points = 200): XY[] {
  if (!(sigma2 > 0) || !(q > 0) || q > 1 || points < 2) return [];
  const [lo, hi] = mpEdges(sigma2, q);
  const c = (lo + hi) / 2;
  const r = (hi - lo) / 2;
  const pts: XY[] = [{ x: lo, y: 0 }];
  for (let i = 1; i < points; i++) {
    const x = c - r * Math.cos((Math.PI * i) / points);
    pts.push({ x, y: mpDensity(x, sigma2, q) });
  }
  pts.push({ x: hi, y: 0 });
  return pts;
}

/**
 * Top of a spectrum chart's linear y axis: 15 % above the histogram's density and the MP curve away from its
 * edges (within 3 % of λ− or λ+ the square-root edge shoots up; at q = 1 the density is infinite at λ− = 0).
 */
export function spectrumYMax(density: readonly XY[], curve: readonly XY[], lambdaMinus: number, lambdaPlus: number): number {
  const lo = lambdaMinus + 0.03 * (lambdaPlus - lambdaMinus);
  const hi = lambdaPlus - 0.03 * (lambdaPlus - lambdaMinus);
  const interior = curve.filter((p) => p.x >= lo && p.x <= hi).map((p) => p.y);
  return 1.15 * Math.max(0, ...density.map((p) => p.y), ...interior, 1e-12);
}

/** Benford's law: P(first digit = d) = log10(1 + 1/d), d = 1..9. */
export function benfordExpected(): number[] {
  return Array.from({ length: 9 }, (_, i) => Math.log10(1 + 1 / (i + 1)));
}
