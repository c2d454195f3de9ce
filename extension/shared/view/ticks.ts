/**
 * Tick values for logarithmic axes that do not overlap: chart.js's log scale places a tick at every
 * 1…9 × 10^k and draws every label, which collide as soon as an axis spans a few decades. Here the densest
 * of 1…9, 1-2-5, 1-3, decades, every 2nd/3rd/… decade is taken that fits the number of labels the axis has
 * room for. Labels are compact (two significant digits, exponents outside 1e-3 … 1e5).
 *
 * Pure: no DOM.
 */

const MANTISSAS: readonly (readonly number[])[] = [[1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 5], [1, 3], [1]];

/** Log-axis tick values within [min, max] (both > 0), at most `maxTicks` of them; [] when none fit. */
export function logTicks(min: number, max: number, maxTicks: number): number[] {
  if (!(min > 0) || !(max >= min) || !Number.isFinite(max) || maxTicks < 1) return [];
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const inRange = (v: number) => v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9);
  const at = (m: number, e: number) => Number((m * 10 ** e).toPrecision(12));
  for (const ms of MANTISSAS) {
    const ticks: number[] = [];
    for (let e = lo; e <= hi; e++) for (const m of ms) if (inRange(at(m, e))) ticks.push(at(m, e));
    if (ticks.length <= maxTicks && ticks.length >= Math.min(2, maxTicks)) return ticks;
    if (ticks.length <= maxTicks && ms.length === 1) return ticks;
  }
  for (let step = 2; step <= hi - lo + 1; step++) {
    const ticks: number[] = [];
    const first = Math.ceil(lo / step) * step;
    for (let e = first; e <= hi; e += step) if (inRange(at(1, e))) ticks.push(at(1, e));
    if (ticks.length <= maxTicks) return ticks;
  }
  return [];
}

/** Compact label of a log-axis tick. */
export function logTickLabel(x: number): string {
  if (!(x > 0)) return '';
  if (x >= 1e-3 && x < 1e5) return String(Number(x.toPrecision(2)));
  return x.toExponential(0).replace('e-', 'e−').replace('e+', 'e');
}

/** How many labels fit along an axis of `pixels` length with `spacing` pixels per label (at least 2). */
export function tickBudget(pixels: number, spacing: number): number {
  return Math.max(2, Math.floor(pixels / Math.max(1, spacing)));
}
