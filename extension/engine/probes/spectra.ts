/**
 * Weight spectra, as random-matrix theory defines them for an m×n weight matrix W:
 * the eigenvalues of WᵀW / max(m, n), compared with the Marchenko–Pastur law of a matrix with i.i.d. entries
 * of variance σ²: support [λ−, λ+] with λ± = σ²(1 ± √q)², q = min(m,n) / max(m,n).
 *
 * We compute them from the smaller Gram matrix (WᵀW if n ≤ m, else WWᵀ; same nonzero spectrum), so a layer
 * gives min(m, n) eigenvalues. Eigensolver: tfjs has none, and ml-matrix's EigenvalueDecomposition always
 * accumulates eigenvectors (several n³ more work, ~4× slower at n = 1024). We need eigenvalues only, so this
 * module does the textbook two-phase method in float64: Householder reduction to tridiagonal form without
 * accumulating Q (≈ n³ multiply-adds, row-contiguous), then the implicit-shift QL iteration on the tridiagonal
 * matrix (O(n²)); see Golub & Van Loan §8.3, Numerical Recipes §11.3–11.4 (tred2 / tqli).
 */
import type { MarchenkoPasturFit, MatrixSpectrum, PowerLawFit } from '../../shared/protocol';
import { histogram } from './stats';
import { mpDensity, mpEdges } from '../../shared/marchenkoPastur';

/** Gram matrix (smaller side) of row-major m×n data, divided by max(m,n); returns [G, k] with G k×k. */
export function gramMatrix(data: ArrayLike<number>, m: number, n: number, prescale = 1): { g: Float64Array; k: number } {
  if (data.length !== m * n) throw new Error(`spectrum: expected ${m}×${n} values, got ${data.length}`);
  const scale = 1 / Math.max(m, n);
  if (prescale !== 1) {
    const rows = new Float64Array(m * n);
    for (let i = 0; i < m * n; i++) rows[i] = data[i] * prescale;
    return gramMatrix(rows, m, n);
  }
  if (n <= m) {
    // G = WᵀW (n×n): dot products of columns. Transposing once to column-major float64 makes every dot product
    // a contiguous pass over two 8·m-byte columns that stay in cache (a row-by-row rank-1 update would stream
    // the whole n×n accumulator through memory once per row).
    const cols = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) cols[j * m + i] = data[i * n + j];
    return { g: symmetricDots(cols, n, m, scale), k: n };
  }
  // G = WWᵀ (m×m): dot products of rows.
  const rows = new Float64Array(m * n);
  for (let i = 0; i < m * n; i++) rows[i] = data[i];
  return { g: symmetricDots(rows, m, n, scale), k: m };
}

/** G[i][j] = scale · ⟨vᵢ, vⱼ⟩ for k vectors of length len stored back to back; four dot products per pass. */
function symmetricDots(v: Float64Array, k: number, len: number, scale: number): Float64Array {
  const g = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    const a = i * len;
    let j = 0;
    for (; j + 3 <= i; j += 4) {
      const b0 = j * len;
      const b1 = b0 + len;
      const b2 = b1 + len;
      const b3 = b2 + len;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let t = 0; t < len; t++) {
        const x = v[a + t];
        s0 += x * v[b0 + t];
        s1 += x * v[b1 + t];
        s2 += x * v[b2 + t];
        s3 += x * v[b3 + t];
      }
      g[i * k + j] = s0 * scale;
      g[i * k + j + 1] = s1 * scale;
      g[i * k + j + 2] = s2 * scale;
      g[i * k + j + 3] = s3 * scale;
    }
    for (; j <= i; j++) {
      const b = j * len;
      let s0 = 0;
      for (let t = 0; t < len; t++) s0 += v[a + t] * v[b + t];
      g[i * k + j] = s0 * scale;
    }
    for (let jj = 0; jj < i; jj++) g[jj * k + i] = g[i * k + jj];
  }
  return g;
}

/** Eigenvalues (ascending) of a symmetric n×n matrix (row-major; the array is overwritten). */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  if (a.length !== n * n) throw new Error(`eigenvalues: expected ${n}×${n} values`);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return d;
  const u = new Float64Array(n);
  const p = new Float64Array(n);
  // Householder tridiagonalisation, from the last row up, on the lower triangle (every access is along a row).
  for (let i = n - 1; i >= 1; i--) {
    const l = i - 1;
    const ri = i * n;
    let scale = 0;
    for (let k = 0; k <= l; k++) scale += Math.abs(a[ri + k]);
    if (l === 0 || scale === 0) {
      e[i] = a[ri + l];
      continue;
    }
    let h = 0;
    for (let k = 0; k <= l; k++) {
      u[k] = a[ri + k] / scale;
      h += u[k] * u[k];
    }
    const f = u[l];
    const g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
    e[i] = scale * g;
    h -= f * g;
    u[l] = f - g;
    // p = A u / h over the top-left (l+1)×(l+1) block, reading only the lower triangle (row-contiguous
    // symmetric matrix-vector product); K = uᵀp / 2h; q = p − K u.
    for (let j = 0; j <= l; j++) p[j] = 0;
    for (let j = 0; j <= l; j++) {
      const rj = j * n;
      const uj = u[j];
      let s = a[rj + j] * uj;
      for (let k = 0; k < j; k++) {
        const ajk = a[rj + k];
        s += ajk * u[k];
        p[k] += ajk * uj;
      }
      p[j] += s;
    }
    let upSum = 0;
    for (let j = 0; j <= l; j++) {
      p[j] /= h;
      upSum += u[j] * p[j];
    }
    const K = upSum / (2 * h);
    for (let j = 0; j <= l; j++) p[j] -= K * u[j];
    // A ← A − u qᵀ − q uᵀ on the lower triangle of the top-left block.
    for (let j = 0; j <= l; j++) {
      const rj = j * n;
      const uj = u[j];
      const qj = p[j];
      for (let k = 0; k <= j; k++) a[rj + k] -= uj * p[k] + qj * u[k];
    }
  }
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];
  // Implicit QL with Wilkinson-style shifts on the tridiagonal (d, e), e shifted so e[i] couples i and i+1.
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    let m: number;
    do {
      for (m = l; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd) break;
      }
      if (m !== l) {
        if (iter++ === 60) throw new Error('eigenvalues: QL iteration did not converge');
        let g = (d[l + 1] - d[l]) / (2 * e[l]);
        let r = Math.hypot(g, 1);
        g = d[m] - d[l] + e[l] / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
        let s = 1;
        let c = 1;
        let pp = 0;
        let i: number;
        for (i = m - 1; i >= l; i--) {
          let f = s * e[i];
          const b = c * e[i];
          e[i + 1] = r = Math.hypot(f, g);
          if (r === 0) {
            d[i + 1] -= pp;
            e[m] = 0;
            break;
          }
          s = f / r;
          c = g / r;
          g = d[i + 1] - pp;
          r = (d[i] - g) * s + 2 * c * b;
          pp = s * r;
          d[i + 1] = g + pp;
          g = c * r - b;
          f = 0;
        }
        if (r === 0 && i >= l) continue;
        d[l] -= pp;
        e[l] = g;
        e[m] = 0;
      }
    } while (m !== l);
  }
  return d.sort();
}

/** Eigenvalues (ascending, min(m,n) of them) of WᵀW / max(m,n) for row-major m×n W. */
/**
 * Entries with |x| outside [2⁻³³⁰, 2³³⁰] are scaled by an exact power of two first, so the Gram matrix can
 * neither overflow nor underflow; the eigenvalues are scaled back. Eigenvalues beyond float64 (entries near
 * 1e154 and up) throw an Error saying so, as does an eigensolver that does not converge.
 */
export function gramEigenvalues(data: ArrayLike<number>, m: number, n: number): Float64Array {
  const shift = scaleShift(data);
  const { g, k } = gramMatrix(data, m, n, shift ? 2 ** -shift : 1);
  const ev = symmetricEigenvalues(g, k);
  const back = 2 ** shift;
  // Round-off can push exact zeros slightly negative; a Gram matrix is positive semidefinite.
  for (let i = 0; i < ev.length; i++) {
    ev[i] = ev[i] < 0 ? 0 : ev[i] * back * back;
    if (!Number.isFinite(ev[i])) throw new Error(`the eigenvalues of WᵀW/max(m,n) exceed the float64 range (entries up to 2^${shift + 1})`);
  }
  return ev;
}

/**
 * MP cumulative distribution, by integrating the density on a grid in the variable θ with
 * x = c − r·cos θ (c, r = centre and half-width of the support), which removes the square-root edge
 * singularities; normalised so the CDF ends at exactly 1.
 */
export function mpCdf(x: number, sigma2: number, q: number): number {
  return mpCdfTable(sigma2, q)(x);
}

const cdfCache = new Map<string, (x: number) => number>();

export function mpCdfTable(sigma2: number, q: number, points = 2048): (x: number) => number {
  const key = `${sigma2}:${q}:${points}`;
  const hit = cdfCache.get(key);
  if (hit) return hit;
  const [lo, hi] = mpEdges(sigma2, q);
  const c = (lo + hi) / 2;
  const r = (hi - lo) / 2;
  const xs = new Float64Array(points + 1);
  const cdf = new Float64Array(points + 1);
  const h = Math.PI / points;
  let acc = 0;
  xs[0] = lo;
  for (let i = 1; i <= points; i++) {
    const th = (i - 0.5) * h;
    const x = c - r * Math.cos(th);
    acc += mpDensity(x, sigma2, q) * r * Math.sin(th) * h;
    xs[i] = c - r * Math.cos(i * h);
    cdf[i] = acc;
  }
  for (let i = 1; i <= points; i++) cdf[i] /= acc || 1;
  const f = (x: number): number => {
    if (x <= lo) return 0;
    if (x >= hi) return 1;
    let a = 0;
    let b = points;
    while (b - a > 1) {
      const mid = (a + b) >> 1;
      if (xs[mid] <= x) a = mid;
      else b = mid;
    }
    const t = (x - xs[a]) / (xs[b] - xs[a] || 1);
    return cdf[a] + t * (cdf[b] - cdf[a]);
  };
  if (cdfCache.size > 64) cdfCache.clear();
  cdfCache.set(key, f);
  return f;
}

/** Two-sided KS distance between sorted samples and a CDF. */
export function ksDistance(sorted: ArrayLike<number>, cdf: (x: number) => number): number {
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const F = cdf(sorted[i]);
    d = Math.max(d, Math.abs(F - i / n), Math.abs((i + 1) / n - F));
  }
  return d;
}

/**
 * MP fit of ascending eigenvalues of WᵀW/max(m,n).
 * - sigma2Empirical: the variance of W's entries (given by the caller).
 * - sigma2Fit: the σ² minimising the KS distance between the bulk (eigenvalues ≤ λ+(σ²)) and MP(σ², q), over a
 *   log grid from 0.05× to 5× the scale mean(eigenvalues) (the MP mean equals σ²), refined by golden-section
 *   search around the best grid point; the bulk must hold at least half of the eigenvalues, so spikes above the
 *   edge can be excluded but the fit cannot retreat to a handful of the smallest ones.
 * - lambdaMinus / lambdaPlus / fractionAbove / ksDistance: for sigma2Fit.
 */
export function marchenkoPasturFit(eigs: ArrayLike<number>, m: number, n: number, entryVariance: number): MarchenkoPasturFit {
  const q = Math.min(m, n) / Math.max(m, n);
  const sorted = Float64Array.from(eigs).sort();
  const N = sorted.length;
  const mean = sorted.reduce((s, x) => s + x, 0) / Math.max(1, N);
  const score = (s2: number): number => {
    if (!(s2 > 0)) return Infinity;
    const [, hi] = mpEdges(s2, q);
    let k = N;
    while (k > 0 && sorted[k - 1] > hi) k--;
    if (k < Math.ceil(N / 2)) return Infinity;
    return ksDistance(sorted.subarray(0, k), mpCdfTable(s2, q, 512));
  };
  let best = entryVariance > 0 ? entryVariance : mean;
  let bestScore = score(best);
  if (mean > 0) {
    const steps = 60;
    for (let i = 0; i <= steps; i++) {
      const s2 = mean * Math.exp(Math.log(0.05) + (i / steps) * Math.log(100));
      const sc = score(s2);
      if (sc < bestScore) {
        bestScore = sc;
        best = s2;
      }
    }
    // Golden-section refinement on log σ² within one grid step.
    const step = Math.log(100) / steps;
    let a = Math.log(best) - step;
    let b = Math.log(best) + step;
    const gr = (Math.sqrt(5) - 1) / 2;
    for (let it = 0; it < 30; it++) {
      const c1 = b - gr * (b - a);
      const c2 = a + gr * (b - a);
      if (score(Math.exp(c1)) < score(Math.exp(c2))) b = c2;
      else a = c1;
    }
    const s2 = Math.exp((a + b) / 2);
    const sc = score(s2);
    if (sc < bestScore) {
      best = s2;
      bestScore = sc;
    }
  }
  const [lambdaMinus, lambdaPlus] = mpEdges(best, q);
  let above = 0;
  for (let i = 0; i < N; i++) if (sorted[i] > lambdaPlus) above++;
  let k = N - above;
  const ks = k > 0 ? ksDistance(sorted.subarray(0, k), mpCdfTable(best, q)) : 1;
  k = 0;
  return {
    q,
    sigma2Empirical: entryVariance,
    sigma2Fit: best,
    lambdaMinus,
    lambdaPlus,
    ksDistance: ks,
    fractionAbove: N ? above / N : 0,
  };
}

/**
 * Continuous power-law tail fit (Clauset, Shalizi & Newman 2009): for each candidate xmin (each distinct
 * positive value leaving at least `minTail` points in the tail), α̂ = 1 + n / Σ ln(xᵢ/xmin) (the MLE), and the
 * xmin whose fitted tail has the smallest KS distance to the empirical tail wins. Null when fewer than
 * `minTail` positive values exist.
 */
export function powerLawFit(values: ArrayLike<number>, minTail = 10): PowerLawFit | null {
  const xs = Array.from(values).filter((x) => x > 0 && Number.isFinite(x)).sort((a, b) => a - b);
  const N = xs.length;
  if (N < minTail) return null;
  // Suffix sums of ln x for O(1) MLE per candidate.
  const logs = xs.map(Math.log);
  const suffix = new Float64Array(N + 1);
  for (let i = N - 1; i >= 0; i--) suffix[i] = suffix[i + 1] + logs[i];
  let best: PowerLawFit | null = null;
  for (let s = 0; s <= N - minTail; s++) {
    if (s > 0 && xs[s] === xs[s - 1]) continue;
    const xmin = xs[s];
    const nTail = N - s;
    const sumLog = suffix[s] - nTail * Math.log(xmin);
    if (sumLog <= 0) continue;
    const alpha = 1 + nTail / sumLog;
    let ks = 0;
    for (let i = s; i < N; i++) {
      const F = 1 - Math.pow(xs[i] / xmin, 1 - alpha);
      const j = i - s;
      ks = Math.max(ks, Math.abs(F - j / nTail), Math.abs((j + 1) / nTail - F));
    }
    if (!best || ks < best.ksDistance) best = { alpha, xmin, ksDistance: ks, nTail };
  }
  return best;
}

/** Everything the spectrum probe reports for one weight matrix (row-major m×n data). */
/** The exponent of an exact power-of-two prescale for entries outside [2⁻³³⁰, 2³³⁰] (0: none needed). */
function scaleShift(data: ArrayLike<number>): number {
  let maxAbs = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]);
    if (a > maxAbs) maxAbs = a;
  }
  const exp = maxAbs > 0 && Number.isFinite(maxAbs) ? Math.floor(Math.log2(maxAbs)) : 0;
  return Math.abs(exp) > 330 ? exp : 0;
}

/**
 * The spectrum and its fits. Entries too large or too small for a float64 Gram matrix are first scaled by an
 * exact power of two 2⁻ˢ; the spectrum of the scaled matrix is computed (so the MP fit and KS distances see
 * ordinary numbers) and every eigenvalue-valued result is scaled back by 2²ˢ. Results beyond float64 throw an
 * Error saying so (the caller reports the spectrum as unavailable and keeps the statistics).
 */
export function matrixSpectrum(tensor: string, data: ArrayLike<number>, m: number, n: number, bins: number): MatrixSpectrum {
  const shift = scaleShift(data);
  if (shift !== 0) {
    const s = 2 ** -shift;
    const sp = matrixSpectrum(tensor, Float64Array.from(data, (x) => x * s), m, n, bins);
    const f = 2 ** shift;
    const back = (x: number) => {
      const y = x * f * f;
      if (!Number.isFinite(y)) throw new Error(`the eigenvalues of WᵀW/max(m,n) exceed the float64 range (entries up to 2^${shift + 1})`);
      return y;
    };
    return {
      ...sp,
      eigenvalues: sp.eigenvalues.map(back),
      top: sp.top.map(back),
      histogram: { edges: sp.histogram.edges.map(back), counts: sp.histogram.counts },
      mp: { ...sp.mp, sigma2Empirical: back(sp.mp.sigma2Empirical), sigma2Fit: back(sp.mp.sigma2Fit), lambdaMinus: back(sp.mp.lambdaMinus), lambdaPlus: back(sp.mp.lambdaPlus) },
      powerLaw: sp.powerLaw && { ...sp.powerLaw, xmin: back(sp.powerLaw.xmin) },
    };
  }
  const eig = gramEigenvalues(data, m, n);
  let mean = 0;
  for (let i = 0; i < data.length; i++) mean += data[i];
  mean /= Math.max(1, data.length);
  let v = 0;
  for (let i = 0; i < data.length; i++) v += (data[i] - mean) * (data[i] - mean);
  const variance = v / Math.max(1, data.length);
  const eigenvalues = Array.from(eig);
  const top = eigenvalues.slice(-10).reverse();
  const hi = eigenvalues.length ? eigenvalues[eigenvalues.length - 1] : 1;
  return {
    tensor,
    shape: [m, n],
    eigenvalues,
    histogram: histogram(eig, bins, [0, hi > 0 ? hi * 1.0001 : 1]),
    mp: marchenkoPasturFit(eig, m, n, variance),
    powerLaw: powerLawFit(eig),
    top,
  };
}
