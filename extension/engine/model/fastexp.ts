/**
 * exp(x) for x ≤ 0, as the fused softmax needs it (exp(z − max)), about twice as fast as Math.exp in V8 (a call
 * into C++ per element): x = k·ln 2 + r with |r| ≤ ln 2 / 2 (Cody–Waite split of ln 2, so r is exact to ~1e-16),
 * exp(r) by its degree-7 Taylor polynomial (truncation error |r|⁸/8! ≤ 5.2e-9 · e^|r|), 2^k from a table.
 * Relative error below 1e-8 everywhere (unit-tested against Math.exp): far below the float32 rounding
 * (6e-8) that the results are stored with. Below −700 it defers to Math.exp (subnormal results);
 * −Infinity → 0; NaN → NaN. Positive x is outside its contract (k would index past the table).
 */
const LN2_HI = 0.6931471803691238; // ln 2 rounded to 32 significant bits: k·LN2_HI is exact for |k| < 2²⁰
const LN2_LO = 1.9082149292705877e-10; // ln 2 − LN2_HI
const INV_LN2 = 1.4426950408889634;
const POW2_NEG = new Float64Array(1011).map((_, k) => Math.pow(2, -k));

export function expNonPositive(x: number): number {
  if (!(x > -700)) return x === x ? Math.exp(x) : x;
  const k = (x * INV_LN2 - 0.5) | 0; // round to nearest (x ≤ 0, truncation toward zero of y − 0.5)
  const r = x - k * LN2_HI - k * LN2_LO;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040)))))));
  return p * POW2_NEG[-k];
}
