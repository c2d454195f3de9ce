/**
 * The spectrum chart of both panels (the Dynamics panel's weight spectra over training, the checkpoint
 * inspector's tensor): the eigenvalue histogram as a stepped density, the Marchenko–Pastur density for the
 * fitted σ² (and, where known, for the entries' own σ²), the λ− / λ+ edges, and the y range that keeps the
 * density readable when the MP curve's square-root edges shoot up. Each panel puts these lines into its chart.
 */
import type { Histogram } from '../../extension/shared/protocol';
import { histogramDensity, mpCurvePoints, spectrumYMax } from '../../extension/shared/view/spectrumCurve';
import type { XY } from '../../extension/shared/view/xy';
import { withAlpha, type Theme } from './theme';

export interface SpectrumSource {
  histogram: Histogram;
  /** How many eigenvalues the histogram counts. */
  count: number;
  q: number;
  /** σ² of the fitted Marchenko–Pastur law. */
  sigma2Fit: number;
  /** σ² of the matrix entries (null: not drawn). */
  sigma2Entries: number | null;
  lambdaMinus: number;
  lambdaPlus: number;
}

/** One line of the chart (the fields of the Dynamics charts' DatasetSpec). */
export interface SpectrumLine {
  key: 'hist' | 'mp' | 'mpEmp';
  label: string;
  data: XY[];
  color: string;
  fill?: string;
  stepped?: 'after';
  dash?: number[];
  width: number;
}

export interface SpectrumEdge {
  key: 'lminus' | 'lplus';
  x: number;
  label: string;
  color: string;
}

export interface SpectrumChartData {
  lines: SpectrumLine[];
  edges: SpectrumEdge[];
  /** Top of the y axis on a linear scale. */
  yMax: number;
}

export function spectrumChartData(s: SpectrumSource, t: Theme, fmt: (x: number) => string): SpectrumChartData {
  const hist = histogramDensity(s.histogram);
  const fit = mpCurvePoints(s.sigma2Fit, s.q);
  const lines: SpectrumLine[] = [
    { key: 'hist', label: `eigenvalues (${s.count})`, data: hist, color: t.palette[0], fill: withAlpha(t.palette[0], 0.3), stepped: 'after', width: 1 },
    { key: 'mp', label: `MP, fitted σ² = ${fmt(s.sigma2Fit)}`, data: fit, color: t.palette[1], width: 2 },
  ];
  if (s.sigma2Entries !== null) {
    lines.push({ key: 'mpEmp', label: `MP, σ² of entries = ${fmt(s.sigma2Entries)}`, data: mpCurvePoints(s.sigma2Entries, s.q), color: t.muted, dash: [4, 3], width: 1 });
  }
  const lo = s.lambdaMinus;
  const hi = s.lambdaPlus;
  const yMax = spectrumYMax(hist, fit, lo, hi);
  const edges: SpectrumEdge[] = [
    { key: 'lminus', x: lo, label: `λ− ${fmt(lo)}`, color: t.red },
    { key: 'lplus', x: hi, label: `λ+ ${fmt(hi)}`, color: t.red },
  ];
  return { lines, edges, yMax };
}
