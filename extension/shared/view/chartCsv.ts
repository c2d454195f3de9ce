/**
 * CSV of exactly what a chart shows: one row per drawn point of every visible series inside the x range shown
 * (the zoom), long format `series,<x title>,<y title>` — and a `raw` column holding the unsmoothed value when
 * the chart draws a smoothed series over its raw one.
 *
 * Pure: no DOM.
 */
import { csvRow } from '../csv';
import type { XY } from './xy';

export interface CsvSeries {
  label: string;
  points: readonly XY<number | null>[];
  /** The unsmoothed points behind `points` (same x, same order) when smoothing is on. */
  raw?: readonly XY<number | null>[];
}

export function chartCsv(xTitle: string, yTitle: string, series: readonly CsvSeries[], range: { min: number; max: number } | null = null): string {
  const smoothed = series.some((s) => s.raw);
  const lines = [csvRow(['series', xTitle, yTitle, ...(smoothed ? [`${yTitle} (raw)`] : [])])];
  for (const s of series) {
    s.points.forEach((p, i) => {
      if (range && (p.x < range.min || p.x > range.max)) return;
      lines.push(csvRow([s.label, p.x, p.y, ...(smoothed ? [s.raw?.[i]?.y ?? p.y] : [])]));
    });
  }
  return lines.join('\n') + '\n';
}
