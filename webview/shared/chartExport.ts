/**
 * Paper-ready exports of a drawn chart.js chart: PNG at 2× or 3× with title, axis titles and legend on white or
 * transparent, SVG built from the chart's computed geometry (extension/shared/view/svgChart.ts), and CSV of the
 * visible series inside the shown x range (extension/shared/view/chartCsv.ts). The export is drawn by a second,
 * off-screen chart with the same data and options recoloured for paper (dark text, series colours at ≥ 3:1
 * against white), so the panel's chart is never redrawn for an export.
 */
import type { Chart, ChartConfiguration } from 'chart.js';
import { chartCsv, type CsvSeries } from '../../extension/shared/view/chartCsv';
import { ensureContrast } from '../../extension/shared/view/palette';
import type { XY } from '../../extension/shared/view/xy';
import { svgChart, type SvgSeries, type SvgVLine } from '../../extension/shared/view/svgChart';
import { withAlpha } from './theme';

export type ExportBackground = 'white' | 'transparent';
export type ExportFormat = 'png' | 'svg' | 'csv';

const PAPER = { background: '#ffffff', foreground: '#1a1a1a', muted: '#555555', grid: 'rgba(0, 0, 0, 0.12)', border: '#999999' };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- chart.js option trees are deeply optional unions
type Any = Record<string, any>;

/** Keeps the alpha of rgba() colours while moving their hue to ≥ 3:1 on white. */
function paperColor(c: unknown): unknown {
  if (typeof c !== 'string') return c;
  const m = /^rgba\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)\s*\)$/i.exec(c);
  if (m) {
    const solid = ensureContrast(`rgb(${m[1]}, ${m[2]}, ${m[3]})`, PAPER.background);
    return withAlpha(solid, Number(m[4]));
  }
  return ensureContrast(c, PAPER.background);
}

function paperOptions(raw: Any, title: string, scale: number, background: ExportBackground): Any {
  const scales: Any = {};
  for (const [k, s] of Object.entries((raw.scales ?? {}) as Any)) {
    scales[k] = {
      ...s,
      ticks: { ...(s.ticks ?? {}), color: PAPER.muted },
      grid: { ...(s.grid ?? {}), color: PAPER.grid },
      border: { ...(s.border ?? {}), color: PAPER.border },
      title: { ...(s.title ?? {}), color: PAPER.foreground },
    };
  }
  const annotations: Any = {};
  for (const [k, a] of Object.entries((raw.plugins?.annotation?.annotations ?? {}) as Any)) {
    annotations[k] = {
      ...a,
      borderColor: paperColor(a.borderColor),
      label: a.label ? { ...a.label, color: PAPER.foreground, backgroundColor: 'rgba(255, 255, 255, 0.85)', borderColor: paperColor(a.label.borderColor) } : a.label,
      enter: undefined,
      leave: undefined,
    };
  }
  const legend = raw.plugins?.legend ?? {};
  return {
    ...raw,
    animation: false,
    responsive: false,
    maintainAspectRatio: false,
    devicePixelRatio: scale,
    events: [],
    color: PAPER.foreground,
    scales,
    plugins: {
      ...(raw.plugins ?? {}),
      title: { display: true, text: title, color: PAPER.foreground, font: { size: 14, weight: 'bold' }, padding: { top: 4, bottom: 6 } },
      legend: { ...legend, labels: { ...(legend.labels ?? {}), color: PAPER.foreground } },
      tooltip: { enabled: false },
      annotation: { annotations },
      tdBackground: { color: background === 'white' ? PAPER.background : undefined },
    },
  };
}

/** The off-screen paper copy of `chart` (caller destroys it). */
function paperChart(ChartCtor: typeof Chart, chart: Chart, title: string, scale: number, background: ExportBackground): Chart {
  const canvas = document.createElement('canvas');
  // a title line on top of the on-screen size, so the plot keeps its proportions
  canvas.width = Math.max(320, chart.width);
  canvas.height = Math.max(200, chart.height) + 28;
  canvas.style.width = `${canvas.width}px`;
  canvas.style.height = `${canvas.height}px`;
  const datasets = chart.data.datasets.map((d) => {
    const x = d as Any;
    return {
      ...x,
      data: Array.isArray(x.data) ? [...x.data] : x.data,
      borderColor: paperColor(x.borderColor),
      backgroundColor: paperColor(x.backgroundColor),
      pointBackgroundColor: paperColor(x.pointBackgroundColor),
    };
  });
  const config = {
    type: (chart.config as Any).type,
    data: { labels: chart.data.labels ? [...chart.data.labels] : undefined, datasets },
    options: paperOptions(chart.config.options as Any, title, scale, background),
  } as ChartConfiguration;
  return new ChartCtor(canvas, config);
}

export function chartPng(ChartCtor: typeof Chart, chart: Chart, title: string, scale: number, background: ExportBackground): { dataUrl: string; width: number; height: number } {
  const c = paperChart(ChartCtor, chart, title, scale, background);
  try {
    const canvas = c.canvas;
    return { dataUrl: canvas.toDataURL('image/png'), width: canvas.width, height: canvas.height };
  } finally {
    c.destroy();
  }
}

export function chartSvg(ChartCtor: typeof Chart, chart: Chart, title: string, background: ExportBackground, fontFamily: string): string {
  const c = paperChart(ChartCtor, chart, title, 1, background);
  try {
    const area = c.chartArea;
    const xs = c.scales.x as Any;
    const ys = c.scales.y as Any;
    const ticks = (s: Any, horizontal: boolean) =>
      ((s?.ticks ?? []) as { value: number; label?: string | string[] }[]).map((t, i) => ({
        pos: horizontal ? s.getPixelForTick(i) : s.getPixelForTick(i),
        label: Array.isArray(t.label) ? t.label.join(' ') : String(t.label ?? t.value),
      }));
    const series: SvgSeries[] = [];
    c.data.datasets.forEach((d, i) => {
      if (!c.isDatasetVisible(i)) return;
      const meta = c.getDatasetMeta(i);
      const x = d as Any;
      const pts = meta.data.map((e) => {
        const el = e as unknown as { x: number; y: number; skip?: boolean };
        return [el.skip ? NaN : el.x, el.skip ? NaN : el.y] as const;
      });
      const type = meta.type;
      if (type === 'bar') {
        const first = meta.data[0] as unknown as { width?: number; base?: number } | undefined;
        series.push({ label: String(d.label ?? ''), color: String(x.backgroundColor), kind: 'bars', points: pts, barWidth: first?.width, baseline: first?.base, legend: !x.tdRaw });
      } else {
        const showLine = x.showLine !== false && type !== 'scatter';
        series.push({ label: String(d.label ?? ''), color: String(x.borderColor), kind: showLine ? 'line' : 'points', points: pts, width: x.borderWidth, dash: x.borderDash, radius: x.pointRadius, legend: !x.tdRaw });
      }
    });
    const vlines: SvgVLine[] = [];
    for (const a of Object.values(((c.config.options as Any).plugins?.annotation?.annotations ?? {}) as Any)) {
      if (a.type !== 'line' || typeof a.xMin !== 'number') continue;
      vlines.push({ x: xs.getPixelForValue(a.xMin), color: String(a.borderColor), dash: a.borderDash, label: a.label?.display ? String(a.label.content ?? '') : undefined });
    }
    return svgChart({
      width: c.width,
      height: c.height,
      background: background === 'white' ? PAPER.background : null,
      foreground: PAPER.foreground,
      muted: PAPER.muted,
      grid: PAPER.grid,
      fontFamily,
      title,
      area: { left: area.left, top: area.top, right: area.right, bottom: area.bottom },
      xTitle: String(xs?.options?.title?.text ?? ''),
      yTitle: String(ys?.options?.title?.text ?? ''),
      xTicks: ticks(xs, true),
      yTicks: ticks(ys, false),
      series,
      vlines,
    });
  } finally {
    c.destroy();
  }
}

/** CSV of the visible series of `chart` (raw series behind smoothed ones become the raw column). */
export function chartCsvText(chart: Chart, range: { min: number; max: number } | null): string {
  const all = chart.data.datasets as Any[];
  const rawOf = new Map<string, XY<number | null>[]>();
  for (const d of all) if (d.tdRaw && d.tdRawOf) rawOf.set(d.tdRawOf, d.data as XY<number | null>[]);
  const labels = chart.data.labels as unknown[] | undefined;
  const series: CsvSeries[] = [];
  all.forEach((d, i) => {
    if (d.tdRaw || !chart.isDatasetVisible(i)) return;
    const data = (d.data as unknown[]).map((p, j) =>
      typeof p === 'number' || p === null ? { x: Number(labels?.[j] ?? j), y: p as number | null } : (p as XY<number | null>),
    );
    series.push({ label: String(d.label ?? ''), points: data, raw: rawOf.get(String(d.tdKey)) });
  });
  const o = chart.config.options as Any;
  return chartCsv(String(o.scales?.x?.title?.text ?? 'x'), String(o.scales?.y?.title?.text ?? 'y'), series, range);
}
