/**
 * Study panel webview: receives the study view (`study`) from the host — curves of the chosen metric over an
 * axis, the grids over two axes, the prediction — validated with the guards of extension/shared/studyProtocol.ts,
 * and draws the line chart (seeds' mean, min–max or ±std band, every run as a point), the heatmap (canvas, colour
 * bar, cell labels) and the prediction scatter with ρ and its interval. Pickers post `select`; a click on a point
 * or a cell posts `openRun`. Log toggles and exports are the shared chart controls (webview/shared/chartControls.ts).
 * After each draw the panel reports what it drew (`state`, and data-* attributes: the values, and in
 * `data-targets` where each clickable point or cell is) for tests, and acts on `drive` messages as a user's
 * pick or click would. The file and the selection survive a reload through setState.
 */
import type { ChartConfiguration, Plugin } from 'chart.js';
import {
  isHostToStudy,
  type StudyChartName,
  type StudyClickTarget,
  type StudyDrawnState,
  type StudyDriveAction,
  type StudySelection,
  type StudyToHost,
  type StudyViewMessage,
  type WireAggregate,
  type WireGrids,
  type WireRunPoint,
} from '../../extension/shared/studyProtocol';
import { heatmapLayout, heatmapSvg, scaleStops, type HeatCell, type HeatmapColors, type HeatmapLayout } from '../../extension/shared/view/heatmap';
import { seriesColor } from '../../extension/shared/view/palette';
import { csvRow } from '../../extension/shared/csv';
import type { ChartSettings, ControlledChart } from '../shared/chartControls';
import { el } from '../shared/dom';
import { readTheme, watchTheme, withAlpha, type Theme } from '../shared/theme';
import { button, Dropdown, registerComponents } from '../shared/toolkit';
import { vscodeApi } from '../shared/vscodeApi';
import { applyTheme, Card, Chart, lineConfig, panelChartControls, rawOptions, setChartDefaults, vline } from '../shared/charts';

registerComponents();

interface SavedState {
  file: string | null;
  selection?: StudySelection;
  charts?: ChartSettings;
}

const vscode = vscodeApi<SavedState, StudyToHost>();
const saved = vscode.getState();
const app = document.getElementById('app')!;
let theme: Theme = readTheme();
setChartDefaults(theme);
let view: StudyViewMessage | null = null;

const controls = panelChartControls(saved?.charts, () => persist(), (m) => vscode.postMessage(m), () => theme.fontFamily);

function persist(): void {
  vscode.setState({ file: view?.file ?? saved?.file ?? null, selection: view?.selection ?? saved?.selection, charts: controls.settings });
}

export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined) return '—';
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e7) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}

/** A value as it is (the shortest text that reads back as the same number), for hover texts. */
export function exact(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : String(x);
}

function aggText(a: WireAggregate | null): string {
  if (!a) return 'no runs';
  const parts = [a.n ? `mean ${exact(a.mean)}` : 'no value'];
  if (a.std !== null) parts.push(`± ${exact(a.std)} (std)`);
  if (a.n) parts.push(`min ${exact(a.min)}, max ${exact(a.max)}`);
  parts.push(`n ${a.n}`);
  if (a.never) parts.push(`${a.never} never / n.a. (mean over the others)`);
  if (a.pending) parts.push(`${a.pending} still going`);
  return parts.join(' · ');
}

// -----------------------------------------------------------------------------------------------------------
// Layout: header, pickers, three cards
// -----------------------------------------------------------------------------------------------------------

const header = el('header', 'run-header');
const title = el('h1', 'run-name', 'Study');
const summary = el('span', 'experiment');
const notice = el('p', 'study-message');
header.append(title, summary);

const pickers = el('div', 'study-pickers');
const sel = (label: string, key: keyof StudySelection) => {
  const d = new Dropdown(label, (v) => select({ [key]: v === '' ? null : v } as Partial<StudySelection>));
  const wrap = el('label', 'picker');
  wrap.append(el('span', 'picker-label', label), d.el);
  wrap.dataset.picker = key;
  pickers.append(wrap);
  return d;
};
const metricPick = sel('Metric', 'metric');
const xPick = sel('Over', 'xAxis');
const yPick = sel('Heatmap by', 'yAxis');
const splitPick = sel('Split by', 'split');
const bandPick = sel('Band', 'band');
const featurePick = sel('Predict from', 'feature');
const outcomePick = sel('Outcome', 'outcome');

function select(change: Partial<StudySelection>): void {
  if (!view) return;
  const next = { ...view.selection, ...change };
  if (change.band === null) next.band = 'minmax';
  vscode.postMessage({ type: 'select', selection: next });
}

const curveCard = new Card('studyCurve', 'Metric over the axis', () => curveControl.export('png'));
const heatCard = new Card('studyHeatmap', 'Heatmap', () => exportHeatmapPng());
const scatterCard = new Card('studyScatter', 'Prediction', () => scatterControl.export('png'));
heatCard.el.classList.add('landscape');
// the curve and the prediction side by side, the heatmap (full width) below them
const grid = el('div', 'charts study');
grid.append(curveCard.el, scatterCard.el, heatCard.el);
app.replaceChildren(header, notice, pickers, controls.toolbar({ smoothing: false, zoom: false }), grid);

/** Point objects carry what the tooltip and a click need. */
type StudyPoint = { x: number; y: number | null; meta?: PointMeta };

const round1 = (v: number) => Math.round(v * 10) / 10;

/**
 * After every update (data, scales, a resize) the chart's card lists where its clickable points are drawn
 * (`data-targets`): the means (key `mean…`) and the single runs (key `runs…`) inside the plot area.
 */
function targetsPlugin(card: Card): Plugin {
  return {
    id: 'tdTargets',
    afterUpdate(chart: Chart) {
      const area = chart.chartArea;
      const out: StudyClickTarget[] = [];
      chart.data.datasets.forEach((d, i) => {
        const key = (d as { tdKey?: string }).tdKey ?? '';
        const kind = key.startsWith('mean') ? 'mean' : key.startsWith('runs') ? 'run' : null;
        if (!kind || !chart.isDatasetVisible(i)) return;
        chart.getDatasetMeta(i).data.forEach((e, j) => {
          const p = (d.data as StudyPoint[])[j];
          const { x, y } = e as unknown as { x: number; y: number };
          if (!p?.meta || !Number.isFinite(x) || !Number.isFinite(y) || !area || x < area.left || x > area.right || y < area.top || y > area.bottom) return;
          out.push({ x: round1(x), y: round1(y), kind, runDirs: p.meta.runDirs, runNames: p.meta.runNames });
        });
      });
      card.el.dataset.targets = JSON.stringify(out);
    },
  };
}

// the curve chart: per curve a band (two datasets, the upper filled to the lower), the mean, the runs
const curveChart = new Chart(curveCard.canvas, { ...lineConfig({ yType: 'linear', yTitle: 'metric', xTitle: 'axis' }), plugins: [targetsPlugin(curveCard)] } as ChartConfiguration);
applyTheme(curveChart, theme);
const curveControl: ControlledChart = controls.attach(curveChart, curveCard.el.querySelector('.card-head')!, curveCard.canvas.parentElement!, {
  name: 'studyCurve',
  title: () => curveCard.el.querySelector('.card-title')?.textContent ?? 'Study',
  epochX: false,
  logY: false,
  logX: false,
  // the heatmap's colour scale follows the curve's log y
  redraw: () => {
    drawCurve();
    drawHeatmap();
  },
});
const scatterChart = new Chart(scatterCard.canvas, { ...lineConfig({ yType: 'linear', yTitle: 'outcome', xTitle: 'feature' }), plugins: [targetsPlugin(scatterCard)] } as ChartConfiguration);
applyTheme(scatterChart, theme);
const scatterControl: ControlledChart = controls.attach(scatterChart, scatterCard.el.querySelector('.card-head')!, scatterCard.canvas.parentElement!, {
  name: 'studyScatter',
  title: () => scatterCard.el.querySelector('.card-title')?.textContent ?? 'Prediction',
  epochX: false,
  logY: false,
  logX: false,
  redraw: () => drawScatter(),
});
// the heatmap's own exports beside its PNG button: SVG (vector, from the same layout) and the cells as CSV
const heatHead = heatCard.el.querySelector('.card-head')!;
for (const [format, save] of [['svg', () => exportHeatmapSvg()], ['csv', () => exportHeatmapCsv()]] as const) {
  const label = format.toUpperCase();
  heatHead.insertBefore(button(label, { title: format === 'csv' ? 'Save the heatmap cells as CSV' : 'Save the heatmap as SVG', className: `chart-toggle export-${format}`, onClick: save }), heatCard.el.querySelector('.png'));
}

interface PointMeta {
  runDirs: string[];
  runNames: string[];
  text: string;
}

function onChartClick(chart: Chart, evt: unknown): void {
  // the band's edges lie on the extreme runs' dots: take the element under the pointer that carries runs
  const hit = chart
    .getElementsAtEventForMode(evt as Event, 'nearest', { intersect: true }, false)
    .map((e) => (chart.data.datasets[e.datasetIndex].data as StudyPoint[])[e.index])
    .find((p) => p?.meta?.runDirs.length);
  if (hit?.meta) vscode.postMessage({ type: 'openRun', runDirs: hit.meta.runDirs });
}

for (const chart of [curveChart, scatterChart]) {
  const o = rawOptions(chart);
  o.interaction = { mode: 'nearest', intersect: true };
  o.onClick = (evt: unknown) => onChartClick(chart, evt);
  o.onHover = (evt: { native?: { target?: HTMLElement } }, els: unknown[]) => {
    const t = evt.native?.target;
    if (t) t.style.cursor = els.length ? 'pointer' : 'default';
  };
  o.plugins.tooltip = {
    enabled: true,
    callbacks: {
      label: (item: { raw: StudyPoint; dataset: { label?: string } }) => item.raw?.meta?.text ?? `${item.dataset.label ?? ''}: ${fmt(item.raw?.y)}`,
    },
  };
  o.elements.point.radius = 0;
}

function numericX(v: StudyViewMessage, i: number, xNum: number | null): number {
  return v.curves?.numeric && xNum !== null ? xNum : i;
}

function drawCurve(): void {
  const v = view;
  const c = v?.curves;
  const o = rawOptions(curveChart);
  const datasets: Record<string, unknown>[] = [];
  let points = 0;
  const drawn: StudyDrawnState['curve'] = [];
  let categories: string[] | null = null;
  o.plugins.annotation = { annotations: {} };
  curveCard.el.dataset.marks = '';
  if (v && c) {
    const labels = c.curves[0]?.points.map((p) => p.label) ?? [];
    const allLabels = [...new Set(c.curves.flatMap((k) => k.points.map((p) => p.label)))];
    const indexOf = (label: string) => Math.max(0, allLabels.indexOf(label));
    c.curves.forEach((curve, ci) => {
      const color = seriesColor(theme.palette, theme.background, ci);
      const xs = curve.points.map((p) => (c.numeric && p.xNum !== null ? p.xNum : indexOf(p.label)));
      const lo = curve.points.map((p, i) => ({ x: xs[i], y: v.selection.band === 'std' ? (p.stats.mean !== null && p.stats.std !== null ? p.stats.mean - p.stats.std : p.stats.mean) : p.stats.min }));
      const hi = curve.points.map((p, i) => ({ x: xs[i], y: v.selection.band === 'std' ? (p.stats.mean !== null && p.stats.std !== null ? p.stats.mean + p.stats.std : p.stats.mean) : p.stats.max }));
      const bandName = v.selection.band === 'std' ? '± std' : 'min–max';
      datasets.push({ tdKey: `lo${ci}`, label: `${curve.label} ${bandName}`, data: lo, borderColor: 'transparent', backgroundColor: 'transparent', pointRadius: 0, tdBand: true, fill: false });
      datasets.push({ tdKey: `hi${ci}`, label: `${curve.label} ${bandName}`, data: hi, borderColor: 'transparent', backgroundColor: withAlpha(color, 0.18), pointRadius: 0, fill: '-1', tdBand: true });
      const mean: StudyPoint[] = curve.points.map((p, i) => ({
        x: xs[i],
        y: p.stats.mean,
        meta: { runDirs: p.runs.map((r) => r.runDir), runNames: p.runs.map((r) => r.runName), text: `${c.xAxis} = ${p.label}: ${aggText(p.stats)}` },
      }));
      datasets.push({ tdKey: `mean${ci}`, label: c.split ? curve.label : `mean of ${c.metric}`, data: mean, borderColor: color, backgroundColor: color, borderWidth: 2, pointRadius: 4, pointHoverRadius: 6 });
      const runs: StudyPoint[] = curve.points.flatMap((p, i) =>
        p.runs.filter((r) => r.value !== null).map((r) => ({ x: xs[i], y: r.value, meta: { runDirs: [r.runDir], runNames: [r.runName], text: `${r.runName}: ${exact(r.value)}${r.running ? ' (running)' : ''}` } })),
      );
      datasets.push({ tdKey: `runs${ci}`, label: c.split ? `${curve.label} runs` : 'runs', data: runs, borderColor: withAlpha(color, 0.7), backgroundColor: withAlpha(color, 0.55), showLine: false, pointRadius: 3, pointHoverRadius: 5 });
      points += runs.length;
      drawn.push({ label: curve.label, points: curve.points.map((p) => ({ x: p.label, mean: p.stats.mean, runs: p.runs.length })) });
    });
    o.scales.x.title.text = c.xAxis;
    o.scales.y.title.text = c.metric;
    categories = c.numeric ? null : allLabels;
    if (!c.numeric) {
      o.scales.x.min = -0.5;
      o.scales.x.max = allLabels.length - 0.5;
    } else {
      o.scales.x.min = undefined;
      o.scales.x.max = undefined;
    }
    void labels;
    // the study block's reference lines on this axis (a numeric axis at the value; a categorical one at its label)
    const annotations: Record<string, unknown> = {};
    (v.marks ?? []).filter((m) => m.axis === c.xAxis).forEach((m, i) => {
      const x = c.numeric ? m.value : allLabels.findIndex((l) => l === String(m.value) || l === `[${m.value}]`);
      if (x >= 0 || c.numeric) annotations[`mark${i}`] = vline(x, theme.muted, m.label, [5, 4], 'start', theme);
    });
    o.plugins.annotation = { annotations };
    curveCard.el.dataset.marks = Object.values(annotations).map((a) => String((a as { xMin: number }).xMin)).join(' ');
    curveCard.el.querySelector('.card-title')!.textContent = `${c.metric} over ${c.xAxis}${c.split ? ` by ${c.split}` : ''}`;
    curveCard.info.textContent = `line: mean over each point's runs (seeds and the axes not shown pooled) · band: ${v.selection.band === 'std' ? 'mean ± std' : 'min–max'} · dots: single runs (click to open)`;
  }
  // the shared controls chain their own legend filter (raw series) in front of this one
  // one entry per curve when split (the info line says what the bands and dots are), else mean, band and runs
  const split = !!c?.split;
  o.plugins.legend.labels.tdFilter = (item: { datasetIndex?: number }, data: { datasets: { tdBand?: boolean; tdKey?: string }[] }) => {
    const key = data.datasets[item.datasetIndex ?? 0]?.tdKey ?? '';
    return key.startsWith('mean') || (!split && (key.startsWith('hi') || key.startsWith('runs')));
  };
  curveChart.data.datasets = datasets as never;
  curveControl.markRaw();
  curveControl.apply();
  // a categorical axis (configs, …) has no log form: one tick per category, labelled with it (set after the
  // controls, which rebuild the x ticks for their log / linear toggle)
  if (categories) {
    const cats = categories;
    o.scales.x.type = 'linear';
    o.scales.x.ticks = { callback: (val: number | string) => cats[Number(val)] ?? '' };
    o.scales.x.afterBuildTicks = (scale: { ticks: { value: number }[] }) => {
      scale.ticks = cats.map((_, i) => ({ value: i }));
    };
  }
  curveChart.update('none');
  curveCard.el.dataset.values = JSON.stringify(drawn);
  curveCard.setPoints(points, v?.message ?? 'No run has a value of this metric yet.');
  report.curve = drawn;
}

// -----------------------------------------------------------------------------------------------------------
// Heatmap (canvas): one grid per split value, colour bar, cell labels, hover and click
// -----------------------------------------------------------------------------------------------------------

let cellBoxes: HeatCell[] = [];
const tip = el('div', 'study-tip hidden');
heatCard.canvas.parentElement!.append(tip);

/** The hover text of a cell: where it is, its aggregate, and each run by name with its exact value. */
function cellText(c: HeatCell): string {
  const g = view?.grids;
  if (!g) return '';
  const grid = g.grids[c.grid];
  const cell = grid.cells[c.yi][c.xi];
  const where = `${g.xAxis} = ${g.xLabels[c.xi]}, ${g.yAxis} = ${g.yLabels[c.yi]}${g.grids.length > 1 ? `, ${grid.label}` : ''}`;
  return `${where}\n${aggText(cell.stats)}\n${cell.runs.map((r) => `${r.runName}: ${exact(r.value)}${r.running ? ' (running)' : ''}`).join('\n')}`;
}

/** The heatmap's layout for a canvas of w × h CSS pixels (on screen: theme colours; exports: paper colours). */
function heatLayout(w: number, h: number, paper: boolean, title: string | null): HeatmapLayout {
  const colors: HeatmapColors = paper
    ? { background: controls.settings.exportBackground === 'white' ? '#ffffff' : null, foreground: '#1a1a1a', muted: '#555555', empty: 'rgba(0, 0, 0, 0.06)', never: withAlpha(theme.red, 0.3), pending: withAlpha(theme.yellow, 0.25) }
    : { background: theme.background, foreground: theme.foreground, muted: theme.muted, empty: withAlpha(theme.muted, 0.1), never: withAlpha(theme.red, 0.3), pending: withAlpha(theme.yellow, 0.25) };
  return heatmapLayout(view?.grids ?? null, { width: w, height: h, title, log: curveControl.logY, colors, format: fmt });
}

/** Draws a layout on `canvas` at `scale` device pixels per CSS pixel. */
function paintLayout(canvas: HTMLCanvasElement, layout: HeatmapLayout, scale: number): void {
  canvas.width = Math.round(layout.width * scale);
  canvas.height = Math.round(layout.height * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.clearRect(0, 0, layout.width, layout.height);
  ctx.textBaseline = 'middle';
  for (const s of layout.shapes) {
    if (s.kind === 'rect') {
      ctx.fillStyle = s.fill;
      ctx.fillRect(s.x, s.y, s.w, s.h);
    } else if (s.kind === 'scale') {
      const grad = ctx.createLinearGradient(0, s.y, 0, s.y + s.h);
      for (const stop of scaleStops()) grad.addColorStop(stop.offset, stop.color);
      ctx.fillStyle = grad;
      ctx.fillRect(s.x, s.y, s.w, s.h);
    } else {
      ctx.fillStyle = s.color;
      ctx.font = `${s.bold ? 'bold ' : ''}${s.size}px ${theme.fontFamily}`;
      ctx.textAlign = s.align;
      ctx.save();
      ctx.translate(s.x, s.y);
      if (s.rotate) ctx.rotate((s.rotate * Math.PI) / 180);
      if (s.maxWidth !== undefined) ctx.fillText(s.text, 0, 0, Math.max(1, s.maxWidth));
      else ctx.fillText(s.text, 0, 0);
      ctx.restore();
    }
  }
}

function drawHeatmap(): void {
  const g = view?.grids ?? null;
  const canvas = heatCard.canvas;
  const wrap = canvas.parentElement!;
  const rows = g ? g.grids.length * Math.max(1, g.yLabels.length) : 0;
  wrap.style.height = `${Math.min(900, Math.max(220, 60 + rows * 34 + (g ? g.grids.length * 40 : 0)))}px`;
  const w = Math.max(300, wrap.clientWidth);
  const h = Math.max(200, wrap.clientHeight);
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  const layout = heatLayout(w, h, false, null);
  paintLayout(canvas, layout, window.devicePixelRatio || 1);
  cellBoxes = layout.cells;
  heatCard.el.dataset.targets = JSON.stringify(
    cellBoxes.filter((b) => b.runs.length).map((b): StudyClickTarget => ({ x: round1(b.x + b.w / 2), y: round1(b.y + b.h / 2), kind: 'cell', runDirs: b.runs.map((r) => r.runDir), runNames: b.runs.map((r) => r.runName) })),
  );
  const cells = g?.grids[0]?.cells.map((row) => row.map((c) => (c.state === 'value' ? c.stats?.mean ?? null : c.state === 'empty' ? null : c.state))) ?? [];
  report.heatmap = g ? { xLabels: g.xLabels, yLabels: g.yLabels, cells } : null;
  heatCard.el.dataset.cells = JSON.stringify(report.heatmap);
  const placed = g ? g.grids.flatMap((x) => x.cells.flat()).filter((c) => c.state !== 'empty').length : 0;
  if (g) heatCard.el.querySelector('.card-title')!.textContent = `${g.metric} over ${g.xAxis} × ${g.yAxis}${g.split ? ` by ${g.split}` : ''}`;
  heatCard.info.textContent = g ? 'cell: mean over its runs (n when several) · "never": no run reached the event · hover for values, click to open a run' : '';
  heatCard.setPoints(placed, view?.selection.yAxis ? 'No cell has runs yet.' : 'Choose a second axis ("Heatmap by") to draw the metric over two axes.');
}

function boxAt(e: MouseEvent): HeatCell | undefined {
  const r = heatCard.canvas.getBoundingClientRect();
  const x = e.clientX - r.left;
  const y = e.clientY - r.top;
  return cellBoxes.find((b) => x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h);
}
heatCard.canvas.addEventListener('mousemove', (e) => {
  const b = boxAt(e);
  tip.classList.toggle('hidden', !b);
  heatCard.canvas.style.cursor = b && b.runs.length ? 'pointer' : 'default';
  if (!b) return;
  tip.textContent = cellText(b);
  tip.style.left = `${Math.min(b.x + b.w / 2, heatCard.canvas.clientWidth - 220)}px`;
  tip.style.top = `${b.y + b.h}px`;
});
heatCard.canvas.addEventListener('mouseleave', () => tip.classList.add('hidden'));
heatCard.canvas.addEventListener('click', (e) => {
  const b = boxAt(e);
  if (b && b.runs.length) vscode.postMessage({ type: 'openRun', runDirs: b.runs.map((r) => r.runDir) });
});

function exportHeatmapPng(): void {
  const w = Math.max(300, heatCard.canvas.clientWidth);
  const h = Math.max(200, heatCard.canvas.clientHeight) + 26;
  const c = document.createElement('canvas');
  paintLayout(c, heatLayout(w, h, true, heatTitle()), controls.settings.exportScale);
  heatCard.el.dataset.lastExport = `${c.width}x${c.height}`;
  vscode.postMessage({ type: 'saveExport', chart: 'studyHeatmap', format: 'png', data: c.toDataURL('image/png') });
}

function exportHeatmapSvg(): void {
  if (!view?.grids) return;
  const w = Math.max(300, heatCard.canvas.clientWidth);
  const h = Math.max(200, heatCard.canvas.clientHeight) + 26;
  vscode.postMessage({ type: 'saveExport', chart: 'studyHeatmap', format: 'svg', data: heatmapSvg(heatLayout(w, h, true, heatTitle()), theme.fontFamily) });
}

function heatTitle(): string {
  return heatCard.el.querySelector('.card-title')?.textContent ?? 'Heatmap';
}

function exportHeatmapCsv(): void {
  const g = view?.grids;
  if (!g) return;
  const lines = [csvRow([...(g.split ? [g.split] : []), g.xAxis, g.yAxis, `${g.metric} mean`, 'std', 'min', 'max', 'n', 'never', 'pending', 'runs'])];
  for (const grid of g.grids)
    grid.cells.forEach((row, yi) =>
      row.forEach((c, xi) => {
        if (c.state === 'empty') return;
        const s = c.stats;
        lines.push(csvRow([...(g.split ? [grid.label] : []), g.xLabels[xi], g.yLabels[yi], s?.mean, s?.std, s?.min, s?.max, s?.n ?? 0, s?.never ?? 0, s?.pending ?? 0, c.runs.map((r) => r.runName).join(' ')]));
      }),
    );
  vscode.postMessage({ type: 'saveExport', chart: 'studyHeatmap', format: 'csv', data: lines.join('\n') + '\n' });
}

new ResizeObserver(() => drawHeatmap()).observe(heatCard.canvas.parentElement!);

// -----------------------------------------------------------------------------------------------------------
// Prediction scatter
// -----------------------------------------------------------------------------------------------------------

function drawScatter(): void {
  const p = view?.prediction ?? null;
  const o = rawOptions(scatterChart);
  const color = seriesColor(theme.palette, theme.background, 0);
  const data: StudyPoint[] = (p?.points ?? []).map((q) => ({ x: q.x, y: q.y, meta: { runDirs: [q.runDir], runNames: [q.runName], text: `${q.runName}: ${p!.feature} ${exact(q.x)}, ${p!.outcome} ${exact(q.y)}` } }));
  // lineConfig's `normalized` promises data sorted by x (chart.js then takes the x range from the first and last
  // point): the runs come in run order, so sort them, and drop the promise of unique x values (ties are common)
  data.sort((a, b) => a.x - b.x);
  o.normalized = false;
  scatterChart.data.datasets = [{ tdKey: 'runs', label: 'runs', data, borderColor: color, backgroundColor: withAlpha(color, 0.7), showLine: false, pointRadius: 4, pointHoverRadius: 6 } as never];
  if (p) {
    o.scales.x.title.text = p.feature;
    o.scales.y.title.text = p.outcome;
    scatterCard.el.querySelector('.card-title')!.textContent = `Does ${p.feature} predict ${p.outcome}?`;
    const left = [p.missing ? `${p.missing} without a value left out` : '', p.running ? `${p.running} still going left out` : ''].filter(Boolean).join(', ');
    scatterCard.info.textContent = p.rho !== null
      ? `Spearman ρ = ${p.rho.toFixed(3)}${p.ci ? ` [${p.ci.lo.toFixed(3)}, ${p.ci.hi.toFixed(3)}] (${Math.round(p.ci.level * 100)} % bootstrap, ${p.ci.resamples} resamples)` : ''} · n = ${p.n}${left ? ` · ${left}` : ''}`
      : `${p.note ?? 'no ρ'}${left ? ` · ${left}` : ''}`;
    scatterCard.el.dataset.rho = p.rho === null ? '' : String(p.rho);
  } else {
    scatterCard.info.textContent = '';
    scatterCard.el.dataset.rho = '';
  }
  o.plugins.legend.display = false;
  scatterControl.markRaw();
  scatterControl.apply();
  scatterChart.update('none');
  report.scatter = p ? { n: p.n, rho: p.rho } : null;
  scatterCard.setPoints(data.length, p ? p.note ?? 'No finished run has both values yet.' : 'Choose a feature ("Predict from") and an outcome to test whether one predicts the other.');
}

// -----------------------------------------------------------------------------------------------------------
// Messages
// -----------------------------------------------------------------------------------------------------------

const report: StudyDrawnState = { experiment: '', metric: '', curve: [], heatmap: null, scatter: null };
let logDefaultsApplied = false;

function setPickers(v: StudyViewMessage): void {
  const metricOpts = v.metrics.map((m) => ({ value: m, label: m }));
  const axisOpts = v.axes.map((a) => ({ value: a, label: a }));
  const none = (label: string) => [{ value: '', label }];
  metricPick.setOptions(metricOpts, v.selection.metric);
  xPick.setOptions(axisOpts, v.selection.xAxis);
  yPick.setOptions([...none('— no heatmap —'), ...axisOpts.filter((a) => a.value !== v.selection.xAxis)], v.selection.yAxis ?? '');
  splitPick.setOptions([...none('— no split —'), ...axisOpts.filter((a) => a.value !== v.selection.xAxis && a.value !== v.selection.yAxis)], v.selection.split ?? '');
  bandPick.setOptions([{ value: 'minmax', label: 'min–max' }, { value: 'std', label: '± std' }], v.selection.band);
  featurePick.setOptions([...none('— no prediction —'), ...metricOpts], v.selection.feature ?? '');
  outcomePick.setOptions([...none('— outcome —'), ...metricOpts], v.selection.outcome ?? '');
  // a dropdown with one option hides itself; metric and axis stay visible, the others go with their label
  for (const d of [metricPick, xPick]) d.el.classList.remove('hidden');
  for (const d of [yPick, splitPick, featurePick, outcomePick]) d.el.parentElement?.classList.toggle('hidden', d.el.classList.contains('hidden'));
  pickers.classList.toggle('hidden', v.axes.length === 0);
}

function onView(v: StudyViewMessage): void {
  view = v;
  if (!logDefaultsApplied) {
    logDefaultsApplied = true;
    // the study block's log defaults describe its axis and metric: the curve's, not the scatter's (feature, outcome)
    if (!controls.settings.log.studyCurve) controls.settings.log.studyCurve = { x: v.logX, y: v.logY };
  }
  title.textContent = `Study: ${v.experiment}`;
  summary.textContent = `${v.runs} run${v.runs === 1 ? '' : 's'}${v.running ? ` · ${v.running} running (values partial)` : ''}`;
  notice.textContent = v.message ?? '';
  notice.classList.toggle('hidden', !v.message);
  document.body.dataset.runs = String(v.runs);
  setPickers(v);
  report.experiment = v.experiment;
  report.metric = v.selection.metric;
  drawCurve();
  drawHeatmap();
  drawScatter();
  persist();
}

const cards: Record<StudyChartName, Card> = { studyCurve: curveCard, studyHeatmap: heatCard, studyScatter: scatterCard };

/** A `drive` action done as the user would do it; returns why it cannot be, or null. */
function drive(a: StudyDriveAction): string | null {
  if (a.kind === 'pick') {
    const dd = pickers.querySelector<HTMLElement & { value: string }>(`[data-picker="${a.picker}"] vscode-dropdown`);
    if (!dd) return `the Study panel has no ${a.picker} picker`;
    const values = [...dd.querySelectorAll('vscode-option')].map((o) => o.getAttribute('value'));
    if (!values.includes(a.value)) return `the ${a.picker} picker offers no "${a.value}" (it offers ${values.join(', ')})`;
    dd.value = a.value;
    dd.dispatchEvent(new Event('change'));
    return null;
  }
  const card = cards[a.chart];
  const targets = JSON.parse(card.el.dataset.targets ?? '[]') as StudyClickTarget[];
  // on the curve a run's own dot (a mean point opens every run of its point)
  const t = targets.find((x) => x.runDirs.includes(a.runDir) && (x.kind !== 'mean' || a.chart !== 'studyCurve'));
  if (!t) return `${a.runDir} is not drawn on ${a.chart} (${targets.length} points there)`;
  const r = card.canvas.getBoundingClientRect();
  card.canvas.dispatchEvent(new MouseEvent('click', { clientX: r.left + t.x, clientY: r.top + t.y, bubbles: true }));
  return null;
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  if (!isHostToStudy(e.data)) return;
  const m = e.data;
  switch (m.type) {
    case 'study':
      onView(m);
      return;
    case 'drive':
      vscode.postMessage({ type: 'driven', id: m.id, error: drive(m.action) });
      return;
    case 'getState':
      vscode.postMessage({ type: 'state', id: m.id, state: view ? structuredClone(report) : null });
      return;
  }
});

watchTheme(() => {
  theme = readTheme();
  setChartDefaults(theme);
  applyTheme(curveChart, theme);
  applyTheme(scatterChart, theme);
  if (view) onView(view);
});

vscode.postMessage({ type: 'ready' });
