/**
 * The fitted training-loss curve (run.json summary.bestLossFit) evaluated for an overlay on the loss chart.
 * Forms and parameter names as in engine/probes/curvefit.ts:
 *   power-law              L = a·t^(−b) + c
 *   exponential            L = a·e^(−t/τ) + c
 *   stretched-exponential  L = a·e^(−(t/τ)^β) + c
 * Pure: no vscode, no DOM.
 */
import type { LossFit } from '../protocol';
import type { XY } from './xy';

export function lossFitValue(fit: LossFit, t: number): number {
  const p = fit.params;
  switch (fit.form) {
    case 'power-law':
      return p.a * Math.pow(t, -p.b) + p.c;
    case 'exponential':
      return p.a * Math.exp(-t / p.tau) + p.c;
    case 'stretched-exponential':
      return p.a * Math.exp(-Math.pow(t / p.tau, p.beta)) + p.c;
  }
}

/** Points of the fit at the given epochs (t > 0), keeping only finite values (and > 0 when `positive`). */
export function lossFitPoints(fit: LossFit, epochs: readonly number[], positive = true): XY[] {
  const out: XY[] = [];
  for (const t of epochs) {
    if (!(t > 0)) continue;
    const y = lossFitValue(fit, t);
    if (Number.isFinite(y) && (!positive || y > 0)) out.push({ x: t, y });
  }
  return out;
}

/**
 * How far the fit is from the loss over the last quarter of the epochs, in decades: the median |log₁₀(fit / loss)|.
 * R² on the linear scale is dominated by the early, large losses, so a fit that plateaus at 1e-2 while the loss
 * goes on to 1e-6 still scores R² ≈ 1; this says so. Null with fewer than 4 usable points in the tail.
 */
export function lossFitTailDecades(fit: LossFit, points: readonly { x: number; y: number }[]): number | null {
  if (points.length === 0) return null;
  const last = points[points.length - 1].x;
  const first = points[0].x;
  const from = last - (last - first) / 4;
  const errs: number[] = [];
  for (const p of points) {
    if (p.x < from || !(p.x > 0) || !(p.y > 0)) continue;
    const f = lossFitValue(fit, p.x);
    errs.push(f > 0 && Number.isFinite(f) ? Math.abs(Math.log10(f / p.y)) : Infinity);
  }
  if (errs.length < 4) return null;
  errs.sort((a, b) => a - b);
  const m = errs.length >> 1;
  return errs.length % 2 ? errs[m] : (errs[m - 1] + errs[m]) / 2;
}

/** `R² 0.9999 · tail within 8%` or `R² 0.9999 · tail off ×120` (the fit against the last quarter of the loss). */
export function lossFitText(fit: LossFit, points: readonly { x: number; y: number }[]): string {
  const tail = lossFitTailDecades(fit, points);
  const r2 = `R² ${fit.r2.toFixed(4)}`;
  if (tail === null) return `${fit.form} (${r2})`;
  if (!Number.isFinite(tail)) return `${fit.form} (${r2} · tail: fit ≤ 0)`;
  const factor = Math.pow(10, tail);
  const t = factor < 2 ? `tail within ${Math.round((factor - 1) * 100)}%` : `tail off ×${factor < 100 ? factor.toFixed(1) : factor.toExponential(0).replace('e+', 'e')}`;
  return `${fit.form} (${r2} · ${t})`;
}
