/**
 * Fits of the training-loss curve L(t) to three functional forms, by Levenberg–Marquardt least squares:
 *   power law              L = a·t^(−b) + c        params { a, b, c }
 *   exponential            L = a·e^(−t/τ) + c      params { a, tau, c }
 *   stretched exponential  L = a·e^(−(t/τ)^β) + c  params { a, tau, beta, c }
 * R² = 1 − SSE/SST on the original scale; results sorted best first. Non-finite fits are dropped.
 * (ml-levenberg-marquardt is ESM-only, which our CommonJS test runner cannot load on Node 20; the solver is
 * 40 lines, so it lives here, with a numerical Jacobian and Marquardt's diagonal damping.)
 */
import type { LossFit } from '../../shared/protocol';

type Model = (t: number, p: number[]) => number;

function levenbergMarquardt(model: Model, t: number[], y: number[], p0: number[], iterations = 200): number[] {
  let p = p0.slice();
  const n = t.length;
  const k = p.length;
  const sse = (q: number[]) => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const r = y[i] - model(t[i], q);
      s += r * r;
    }
    return Number.isFinite(s) ? s : Infinity;
  };
  let cur = sse(p);
  let lambda = 1e-3;
  for (let it = 0; it < iterations; it++) {
    // Numerical Jacobian J (n×k) and normal equations (JᵀJ + λ·diag(JᵀJ)) δ = Jᵀr.
    const J = new Float64Array(n * k);
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++) r[i] = y[i] - model(t[i], p);
    for (let j = 0; j < k; j++) {
      const h = 1e-6 * Math.max(1, Math.abs(p[j]));
      const q = p.slice();
      q[j] += h;
      for (let i = 0; i < n; i++) J[i * k + j] = (model(t[i], q) - model(t[i], p)) / h;
    }
    const A = new Float64Array(k * k);
    const g = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < k; a++) {
        g[a] += J[i * k + a] * r[i];
        for (let b = 0; b < k; b++) A[a * k + b] += J[i * k + a] * J[i * k + b];
      }
    }
    let improved = false;
    for (let tries = 0; tries < 10 && !improved; tries++) {
      const M = A.slice();
      for (let a = 0; a < k; a++) M[a * k + a] += lambda * (A[a * k + a] || 1e-12);
      const delta = solve(M, g.slice(), k);
      if (!delta) {
        lambda *= 10;
        continue;
      }
      const q = p.map((v, j) => v + delta[j]);
      const s = sse(q);
      if (s < cur) {
        const rel = (cur - s) / Math.max(cur, 1e-300);
        p = q;
        cur = s;
        lambda = Math.max(lambda / 10, 1e-12);
        improved = true;
        if (rel < 1e-12) return p;
      } else {
        lambda *= 10;
      }
    }
    if (!improved) break;
  }
  return p;
}

/** Gaussian elimination with partial pivoting; null if singular. */
function solve(A: Float64Array, b: Float64Array, k: number): number[] | null {
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(A[r * k + c]) > Math.abs(A[piv * k + c])) piv = r;
    if (Math.abs(A[piv * k + c]) < 1e-300) return null;
    if (piv !== c) {
      for (let j = 0; j < k; j++) [A[c * k + j], A[piv * k + j]] = [A[piv * k + j], A[c * k + j]];
      [b[c], b[piv]] = [b[piv], b[c]];
    }
    for (let r = c + 1; r < k; r++) {
      const f = A[r * k + c] / A[c * k + c];
      for (let j = c; j < k; j++) A[r * k + j] -= f * A[c * k + j];
      b[r] -= f * b[c];
    }
  }
  const x = new Array<number>(k).fill(0);
  for (let r = k - 1; r >= 0; r--) {
    let s = b[r];
    for (let j = r + 1; j < k; j++) s -= A[r * k + j] * x[j];
    x[r] = s / A[r * k + r];
  }
  return x.every(Number.isFinite) ? x : null;
}

const powerLaw: Model = (t, [a, b, c]) => a * Math.pow(t, -b) + c;
const exponential: Model = (t, [a, tau, c]) => a * Math.exp(-t / tau) + c;
const stretched: Model = (t, [a, tau, beta, c]) => a * Math.exp(-Math.pow(t / tau, beta)) + c;

/** Fits the three forms to (epochs, losses); epochs must be > 0. Best (highest R²) first. */
/** How much work a fit may do: at most `maxPoints` log-spaced points, `iterations` Levenberg–Marquardt steps per form. */
export interface FitEffort {
  maxPoints: number;
  iterations: number;
}

export const FULL_FIT: FitEffort = { maxPoints: 400, iterations: 200 };
/** For a run the user stopped, which should end at once: about a twentieth of the work of FULL_FIT. */
export const QUICK_FIT: FitEffort = { maxPoints: 100, iterations: 40 };

export function fitLossCurve(epochs: number[], losses: number[], effort: FitEffort = FULL_FIT): LossFit[] {
  const t: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < epochs.length; i++) {
    if (epochs[i] > 0 && Number.isFinite(losses[i])) {
      t.push(epochs[i]);
      y.push(losses[i]);
    }
  }
  if (t.length < 5) return [];
  // Keep the fit cheap on long runs: at most maxPoints points, log-spaced in time (curves change fastest early).
  const idx = logSpacedIndices(t.length, effort.maxPoints);
  const ts = idx.map((i) => t[i]);
  const ys = idx.map((i) => y[i]);
  const mean = ys.reduce((s, v) => s + v, 0) / ys.length;
  const sst = ys.reduce((s, v) => s + (v - mean) ** 2, 0);
  const y0 = ys[0];
  const yEnd = ys[ys.length - 1];
  const tEnd = ts[ts.length - 1];
  const span = Math.max(y0 - yEnd, 1e-12);
  const tHalf = ts[ys.findIndex((v) => v <= yEnd + span / 2)] || tEnd / 4;
  const candidates: { form: LossFit['form']; model: Model; p0: number[]; names: string[] }[] = [
    { form: 'power-law', model: powerLaw, p0: [span * Math.pow(ts[0], 0.5), 0.5, yEnd], names: ['a', 'b', 'c'] },
    { form: 'exponential', model: exponential, p0: [span, tHalf / Math.LN2, yEnd], names: ['a', 'tau', 'c'] },
    { form: 'stretched-exponential', model: stretched, p0: [span, tHalf / Math.LN2, 1, yEnd], names: ['a', 'tau', 'beta', 'c'] },
  ];
  const fits: LossFit[] = [];
  for (const c of candidates) {
    const p = levenbergMarquardt(c.model, ts, ys, c.p0, effort.iterations);
    let sse = 0;
    for (let i = 0; i < ts.length; i++) sse += (ys[i] - c.model(ts[i], p)) ** 2;
    const r2 = sst > 0 ? 1 - sse / sst : sse === 0 ? 1 : 0;
    if (!Number.isFinite(r2) || !p.every(Number.isFinite)) continue;
    fits.push({ form: c.form, params: Object.fromEntries(c.names.map((nm, i) => [nm, p[i]])), r2 });
  }
  return fits.sort((a, b) => b.r2 - a.r2);
}

function logSpacedIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const set = new Set<number>();
  for (let j = 0; j < max; j++) set.add(Math.min(n - 1, Math.round(Math.exp((Math.log(n) * j) / (max - 1))) - 1));
  return [...set].sort((a, b) => a - b);
}
