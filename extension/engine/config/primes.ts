/** Primality for the modular task's modulus: the validator reports a composite p, the dataset refuses one. */

export function isPrime(p: number): boolean {
  if (!Number.isInteger(p) || p < 2) return false;
  for (let d = 2; d * d <= p; d++) if (p % d === 0) return false;
  return true;
}

/** `n` as its smallest factor times the rest ("91 = 7 × 13" reads `7 × 13`), or `n` itself when prime. */
export function factor(n: number): string {
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return `${d} × ${n / d}`;
  return String(n);
}
