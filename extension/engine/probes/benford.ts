/**
 * Benford's law for a weight tensor: frequencies of the first significant digit d ∈ 1..9 of |x| over the
 * finite nonzero entries, against P(d) = log₁₀(1 + 1/d).
 * Distance: Nigrini's first-digit MAD = (1/9)·Σ_d |observed(d) − P(d)| (conformity thresholds in the literature:
 * < 0.006 close, < 0.012 acceptable, < 0.015 marginal, above that nonconforming).
 */
import type { BenfordTensor } from '../../shared/protocol';

export const BENFORD = Array.from({ length: 9 }, (_, i) => Math.log10(1 + 1 / (i + 1)));

export function firstDigit(x: number): number {
  let a = Math.abs(x);
  if (!Number.isFinite(a) || a === 0) return 0;
  const e = Math.floor(Math.log10(a));
  a = a / Math.pow(10, e);
  // Guard floating-point edges (e.g. 999.9999… → 9.99…, 1000 → 0.999…).
  if (a >= 10) a /= 10;
  if (a < 1) a *= 10;
  return Math.min(9, Math.max(1, Math.floor(a)));
}

export function benford(tensor: string, data: ArrayLike<number>): BenfordTensor {
  const counts = new Array<number>(9).fill(0);
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    const d = firstDigit(data[i]);
    if (d > 0) {
      counts[d - 1]++;
      n++;
    }
  }
  const frequencies = counts.map((c) => (n ? c / n : 0));
  const distance = n ? frequencies.reduce((s, f, i) => s + Math.abs(f - BENFORD[i]), 0) / 9 : NaN;
  return { tensor, frequencies, distance };
}
