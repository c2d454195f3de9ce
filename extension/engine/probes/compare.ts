/**
 * Comparison of two weight tensors W₀ (earlier / base) and W₁ (later): relative change ‖W₁−W₀‖/‖W₀‖ (Frobenius),
 * cosine similarity ⟨W₀,W₁⟩/(‖W₀‖‖W₁‖), and for matrices the shift of the spectrum of WᵀW/max(m,n): its largest
 * eigenvalue (power iteration, cheap for any size) and the Marchenko–Pastur bulk edge λ+ (needs the full
 * spectrum, so only below a size limit). Accumulated in float64; NaN/Inf make a measure undefined (null).
 */
import { matrixSpectrum } from './spectra';

export interface TensorComparison {
  relChange: number | null;
  cosine: number | null;
}

/** Streaming form of compareValues: feed aligned chunks of W₀ and W₁ (large tensors are read piecewise). */
export class CompareAccumulator {
  private n0 = 0;
  private n1 = 0;
  private dot = 0;
  private diff = 0;

  add(w0: ArrayLike<number>, w1: ArrayLike<number>): void {
    if (w0.length !== w1.length) throw new Error(`compare: ${w0.length} vs ${w1.length} values`);
    let { n0, n1, dot, diff } = this;
    for (let i = 0; i < w0.length; i++) {
      const a = w0[i];
      const b = w1[i];
      n0 += a * a;
      n1 += b * b;
      dot += a * b;
      diff += (b - a) * (b - a);
    }
    Object.assign(this, { n0, n1, dot, diff });
  }

  result(): TensorComparison {
    const { n0, n1, dot, diff } = this;
    if (![n0, n1, dot, diff].every(Number.isFinite)) return { relChange: null, cosine: null };
    const norm0 = Math.sqrt(n0);
    const norm1 = Math.sqrt(n1);
    return {
      relChange: norm0 > 0 ? Math.sqrt(diff) / norm0 : diff === 0 ? 0 : null,
      cosine: norm0 > 0 && norm1 > 0 ? Math.max(-1, Math.min(1, dot / (norm0 * norm1))) : null,
    };
  }
}

/** Relative change and cosine similarity of two equally long tensors. */
export function compareValues(w0: ArrayLike<number>, w1: ArrayLike<number>): TensorComparison {
  const acc = new CompareAccumulator();
  acc.add(w0, w1);
  return acc.result();
}

/**
 * Largest eigenvalue of WᵀW / max(m,n) for row-major m×n W, by power iteration on the smaller Gram side applied
 * implicitly (v ← Wᵀ(Wv) or W(Wᵀv)), never forming the Gram matrix: O(mn) per step. Stops when the Rayleigh
 * quotient changes by less than `tol` (relative) or after `maxIter` steps. Deterministic start vector.
 */
export function topEigenvalue(data: ArrayLike<number>, m: number, n: number, maxIter = 500, tol = 1e-10): number {
  if (data.length !== m * n) throw new Error(`topEigenvalue: expected ${m}×${n} values, got ${data.length}`);
  if (m === 0 || n === 0) return 0;
  const scale = Math.max(m, n);
  // Iterate in R^n with WᵀW (n×n) — its nonzero spectrum equals that of WWᵀ.
  let v = new Float64Array(n);
  for (let j = 0; j < n; j++) v[j] = 1 + ((j * 7919) % 101) / 101; // not orthogonal to the top eigenvector generically
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  for (let j = 0; j < n; j++) v[j] /= norm;
  const u = new Float64Array(m);
  let lambda = 0;
  for (let it = 0; it < maxIter; it++) {
    // u = W v
    for (let i = 0; i < m; i++) {
      let s = 0;
      const row = i * n;
      for (let j = 0; j < n; j++) s += data[row + j] * v[j];
      u[i] = s;
    }
    // w = Wᵀ u
    const w = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      const ui = u[i];
      if (ui === 0) continue;
      const row = i * n;
      for (let j = 0; j < n; j++) w[j] += data[row + j] * ui;
    }
    // Rayleigh quotient vᵀWᵀWv = ‖u‖² (v is unit).
    let uu = 0;
    for (let i = 0; i < m; i++) uu += u[i] * u[i];
    const next = uu / scale;
    let wn = 0;
    for (let j = 0; j < n; j++) wn += w[j] * w[j];
    wn = Math.sqrt(wn);
    if (wn === 0) return 0;
    for (let j = 0; j < n; j++) w[j] /= wn;
    v = w;
    if (it > 0 && Math.abs(next - lambda) <= tol * Math.max(Math.abs(next), 1e-300)) return next;
    lambda = next;
  }
  return lambda;
}

export interface SpectrumShift {
  topA: number | null;
  topB: number | null;
  lambdaPlusA: number | null;
  lambdaPlusB: number | null;
}

/**
 * Spectrum shift of two m×n matrices. λ+ needs all eigenvalues (Householder + QL, ~k³ for k = min(m,n)), so it
 * is computed only when k ≤ `fullSpectrumMaxDim`; the top eigenvalue always (power iteration).
 */
export function spectrumShift(w0: ArrayLike<number>, w1: ArrayLike<number>, m: number, n: number, fullSpectrumMaxDim = 512): SpectrumShift {
  const finite = (d: ArrayLike<number>) => {
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return false;
    return true;
  };
  const one = (d: ArrayLike<number>): { top: number | null; lambdaPlus: number | null } => {
    if (!finite(d) || m === 0 || n === 0) return { top: null, lambdaPlus: null };
    if (Math.min(m, n) <= fullSpectrumMaxDim) {
      const sp = matrixSpectrum('', d, m, n, 10);
      return { top: sp.eigenvalues.length ? sp.eigenvalues[sp.eigenvalues.length - 1] : 0, lambdaPlus: sp.mp.lambdaPlus };
    }
    return { top: topEigenvalue(d, m, n), lambdaPlus: null };
  };
  const a = one(w0);
  const b = one(w1);
  return { topA: a.top, topB: b.top, lambdaPlusA: a.lambdaPlus, lambdaPlusB: b.lambdaPlus };
}
