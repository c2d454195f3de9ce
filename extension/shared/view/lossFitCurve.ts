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
