/**
 * The Marchenko–Pastur law of the eigenvalues of WᵀW / max(m, n) for an m×n matrix W with i.i.d. entries of
 * variance σ² and ratio q = min(m,n) / max(m,n) ≤ 1: support [λ−, λ+] with λ± = σ²(1 ± √q)². One definition
 * for the engine's fit (probes/spectra.ts) and the curves the panels draw (view/spectrumCurve.ts).
 */

export function mpEdges(sigma2: number, q: number): [number, number] {
  const s = Math.sqrt(q);
  return [sigma2 * (1 - s) * (1 - s), sigma2 * (1 + s) * (1 + s)];
}

/** Marchenko–Pastur density for ratio q ≤ 1 and entry variance σ² (no atom: the smaller Gram's spectrum). */
export function mpDensity(x: number, sigma2: number, q: number): number {
  const [lo, hi] = mpEdges(sigma2, q);
  if (x <= lo || x >= hi || x <= 0) return 0;
  return Math.sqrt((hi - x) * (x - lo)) / (2 * Math.PI * sigma2 * q * x);
}
