/**
 * Study panel webview: receives the study view (`study`) from the host — curves of the chosen metric over an
 * axis, the grids over two axes, the prediction — validated with the guards of extension/shared/studyProtocol.ts,
 * and draws the line chart (seeds' mean, min–max or ±std band, every run as a point), the heatmap (canvas, colour
 * bar, cell labels) and the prediction scatter with ρ and its interval. Pickers post `select`; a click on a point
 * or a cell posts `openRun`. Log toggles and exports are the shared chart controls (webview/shared/chartControls.ts).
 * After each draw the panel reports what it drew (`state`, and data-* attributes) for tests. The file and the
 * selection survive a reload through setState.
 */
import type { ChartConfiguration } from 'chart.js';
import {
  isHostToStudy,
  type StudyDrawnState,
  type StudySelection,
  type StudyToHost,
  type StudyViewMessage,
  type WireAggregate,
  type WireGrids,
  type WireRunPoint,
} from '../../extension/shared/studyProtocol';
import { labelColor, scalePosition, viridis } from '../../extension/shared/view/colorScale';
import { seriesColor } from '../../extension/shared/view/palette';
import { csvRow } from '../../extension/shared/csv';
import { ChartControls, restoreChartSettings, type ChartSettings, type ControlledChart } from '../shared/chartControls';
import { el } from '../shared/dom';
import { readTheme, watchTheme, withAlpha, type Theme } from '../shared/theme';
import { button, Dropdown, registerComponents } from '../shared/toolkit';
import { vscodeApi } from '../shared/vscodeApi';
import { applyTheme, Card, Chart, lineConfig, rawOptions, setChartDefaults } from '../shared/charts';

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

const controls = new ChartControls(
  restoreChartSettings(saved?.charts),
  () => persist(),
  (chart, format, data) => vscode.postMessage({ type: 'saveExport', chart, format, data }),
  Chart,
  () => theme.fontFamily,
);

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

function aggText(a: WireAggregate | null): string {
  if (!a) return 'no runs';
  const parts = [a.n ? `mean ${fmt(a.mean)}` : 'no value'];
  if (a.std !== null) parts.push(`± ${fmt(a.std)} (std)`);
  if (a.n) parts.push(`min ${fmt(a.min)}, max ${fmt(a.max)}`);
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
const grid = el('div', 'charts');
grid.append(curveCard.el, heatCard.el, scatterCard.el);
app.replaceChildren(header, notice, pickers, controls.toolbar({ smoothing: false, zoom: false }), grid);

// the curve chart: per curve a band (two datasets, the upper filled to the lower), the mean, the runs
const curveChart = new Chart(curveCard.canvas, lineConfig({ yType: 'linear', yTitle: 'metric', xTitle: 'axis' }) as ChartConfiguration);
applyTheme(curveChart, theme);
const curveControl: ControlledChart = controls.attach(curveChart, curveCard.el.querySelector('.card-head')!, curveCard.canvas.parentElement!, {
  name: 'studyCurve',
  title: () => curveCard.el.querySelector('.card-title')?.textContent ?? 'Study',
  epochX: false,
  logY: false,
  logX: false,
  redraw: () => drawCurve(),
});
const scatterChart = new Chart(scatterCard.canvas, lineConfig({ yType: 'linear', yTitle: 'outcome', xTitle: 'feature' }) as ChartConfiguration);
applyTheme(scatterChart, theme);
const scatterControl: ControlledChart = controls.attach(scatterChart, scatterCard.el.querySelector('.card-head')!, scatterCard.canvas.parentElement!, {
  name: 'studyScatter',
  title: () => scatterCard.el.querySelector('.card-title')?.textContent ?? 'Prediction',
  epochX: false,
  logY: false,
  logX: false,
  redraw: () => drawScatter(),
});
const heatCsv = button('CSV', { title: 'Save the heatmap cells as CSV', className: 'chart-toggle export-csv', onClick: () => exportHeatmapCsv() });
heatCard.el.querySelector('.card-head')!.insertBefore(heatCsv, heatCard.el.querySelector('.png'));

interface PointMeta {
  runDirs: string[];
  text: string;
}

/** Point objects carry what the tooltip and a click need. */
type StudyPoint = { x: number; y: number | null; meta?: PointMeta };

function onChartClick(chart: Chart, evt: unknown): void {
  const els = chart.getElementsAtEventForMode(evt as Event, 'nearest', { intersect: true }, false);
  const e = els[0];
  if (!e) return;
  const p = (chart.data.datasets[e.datasetIndex].data as StudyPoint[])[e.index];
  if (p?.meta?.runDirs.length) vscode.postMessage({ type: 'openRun', runDirs: p.meta.runDirs });
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
        meta: { runDirs: p.runs.map((r) => r.runDir), text: `${c.xAxis} = ${p.label}: ${aggText(p.stats)}` },
      }));
      datasets.push({ tdKey: `mean${ci}`, label: c.split ? curve.label : `mean of ${c.metric}`, data: mean, borderColor: color, backgroundColor: color, borderWidth: 2, pointRadius: 4, pointHoverRadius: 6 });
      const runs: StudyPoint[] = curve.points.flatMap((p, i) =>
        p.runs.filter((r) => r.value !== null).map((r) => ({ x: xs[i], y: r.value, meta: { runDirs: [r.runDir], text: `${r.runName}: ${fmt(r.value)}${r.running ? ' (running)' : ''}` } })),
      );
      datasets.push({ tdKey: `runs${ci}`, label: c.split ? `${curve.label} runs` : 'runs', data: runs, borderColor: withAlpha(color, 0.7), backgroundColor: withAlpha(color, 0.55), showLine: false, pointRadius: 3, pointHoverRadius: 5 });
      points += runs.length;
      drawn.push({ label: curve.label, points: curve.points.map((p) => ({ x: p.label, mean: p.stats.mean, runs: p.runs.length })) });
    });
    o.scales.x.title.text = c.xAxis;
    o.scales.y.title.text = c.metric;
    o.scales.x.ticks = c.numeric ? {} : { stepSize: 1, callback: (val: number | string) => allLabels[Number(val)] ?? '' };
    if (!c.numeric) {
      o.scales.x.min = -0.5;
      o.scales.x.max = allLabels.length - 0.5;
    } else {
      o.scales.x.min = undefined;
      o.scales.x.max = undefined;
    }
    void labels;
    curveCard.el.querySelector('.card-title')!.textContent = `${c.metric} over ${c.xAxis}${c.split ? ` by ${c.split}` : ''}`;
    curveCard.info.textContent = `line: mean over each point's runs (seeds and the axes not shown pooled) · band: ${v.selection.band === 'std' ? 'mean ± std' : 'min–max'} · dots: single runs (click to open)`;
  }
  // the shared controls chain their own legend filter (raw series) in front of this one
  o.plugins.legend.labels.tdFilter = (item: { datasetIndex?: number }, data: { datasets: { tdBand?: boolean; tdKey?: string }[] }) => {
    const d = data.datasets[item.datasetIndex ?? 0];
    return !d?.tdBand || d.tdKey?.startsWith('hi') === true;
  };
  curveChart.data.datasets = datasets as never;
  curveControl.markRaw();
  curveControl.apply();
  // a categorical axis has no log form
  if (c && !c.numeric) o.scales.x.type = 'linear';
  curveChart.update('none');
  curveCard.el.dataset.values = JSON.stringify(drawn);
  curveCard.setPoints(points, v?.message ?? 'No run has a value of this metric yet.');
  report.curve = drawn;
}

// -----------------------------------------------------------------------------------------------------------
// Heatmap (canvas): one grid per split value, colour bar, cell labels, hover and click
// -----------------------------------------------------------------------------------------------------------

interface CellBox {
  x: number;
  y: number;
  w: number;
  h: number;
  runs: WireRunPoint[];
  text: string;
}
let cellBoxes: CellBox[] = [];
const tip = el('div', 'study-tip hidden');
heatCard.canvas.parentElement!.append(tip);

function cellLabel(state: string, stats: WireAggregate | null): string {
  if (state === 'value' && stats) return fmt(stats.mean);
  if (state === 'never') return 'never';
  if (state === 'pending') return 'running…';
  return '';
}

function paintHeatmap(canvas: HTMLCanvasElement, w: number, h: number, scale: number, colors: { bg: string | null; fg: string; muted: string; empty: string }, withTitle: string | null): CellBox[] {
  const g = v2grids();
  canvas.width = Math.round(w * scale);
  canvas.height = Math.round(h * scale);
  const ctx = canvas.getContext('2d');
  const boxes: CellBox[] = [];
  if (!ctx) return boxes;
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.clearRect(0, 0, w, h);
  if (colors.bg) {
    ctx.fillStyle = colors.bg;
    ctx.fillRect(0, 0, w, h);
  }
  if (!g || g.grids.length === 0) return boxes;
  const font = theme.fontFamily;
  const top0 = withTitle ? 26 : 6;
  if (withTitle) {
    ctx.fillStyle = colors.fg;
    ctx.font = `bold 14px ${font}`;
    ctx.textAlign = 'center';
    ctx.fillText(withTitle, w / 2, 16);
  }
  const left = 100;
  const right = 70;
  const gap = 34;
  const n = g.grids.length;
  const each = (h - top0 - n * gap) / n;
  const min = Math.min(...g.grids.map((x) => x.min ?? Infinity));
  const max = Math.max(...g.grids.map((x) => x.max ?? -Infinity));
  const log = curveControl.logY;
  g.grids.forEach((grid, gi) => {
    const top = top0 + gi * (each + gap) + (n > 1 ? 14 : 0);
    const ch = (each - (n > 1 ? 14 : 0)) / g.yLabels.length;
    const cw = (w - left - right) / g.xLabels.length;
    ctx.font = `11px ${font}`;
    ctx.textBaseline = 'middle';
    if (n > 1) {
      ctx.fillStyle = colors.fg;
      ctx.textAlign = 'left';
      ctx.fillText(grid.label, left, top - 8);
    }
    grid.cells.forEach((row, yi) => {
      row.forEach((cell, xi) => {
        const x0 = left + xi * cw;
        const y0 = top + (g.yLabels.length - 1 - yi) * ch;
        let fill = colors.empty;
        if (cell.state === 'value' && cell.stats?.mean !== null && cell.stats?.mean !== undefined && Number.isFinite(min)) fill = viridis(scalePosition(cell.stats.mean, min, max, log));
        else if (cell.state === 'never') fill = withAlpha(theme.red, 0.3);
        else if (cell.state === 'pending') fill = withAlpha(theme.yellow, 0.25);
        ctx.fillStyle = fill;
        ctx.fillRect(x0 + 1, y0 + 1, cw - 2, ch - 2);
        const label = cellLabel(cell.state, cell.stats);
        if (label) {
          ctx.fillStyle = cell.state === 'value' ? labelColor(fill) : colors.fg;
          ctx.textAlign = 'center';
          const sub = cell.stats && cell.stats.n + cell.stats.never + cell.stats.pending > 1 && ch > 34 ? ` (n ${cell.stats.n})` : '';
          ctx.fillText(label + sub, x0 + cw / 2, y0 + ch / 2, cw - 4);
        }
        boxes.push({ x: x0, y: y0, w: cw, h: ch, runs: cell.runs, text: `${g.xAxis} = ${g.xLabels[xi]}, ${g.yAxis} = ${g.yLabels[yi]}${n > 1 ? `, ${grid.label}` : ''}\n${aggText(cell.stats)}\n${cell.runs.map((r) => `${r.runName}: ${fmt(r.value)}${r.running ? ' (running)' : ''}`).join('\n')}` });
      });
    });
    ctx.fillStyle = colors.muted;
    ctx.textAlign = 'center';
    g.xLabels.forEach((lab, xi) => ctx.fillText(lab, left + (xi + 0.5) * cw, top + each - (n > 1 ? 14 : 0) + 10, cw));
    ctx.textAlign = 'right';
    g.yLabels.forEach((lab, yi) => ctx.fillText(lab, left - 6, top + (g.yLabels.length - 1 - yi + 0.5) * ch, left - 24));
    ctx.save();
    ctx.translate(12, top + (each - (n > 1 ? 14 : 0)) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillStyle = colors.fg;
    ctx.fillText(g.yAxis, 0, 0);
    ctx.restore();
  });
  ctx.fillStyle = colors.fg;
  ctx.textAlign = 'center';
  ctx.fillText(g.xAxis, left + (w - left - right) / 2, h - 8);
  // colour bar
  if (Number.isFinite(min) && Number.isFinite(max)) {
    const bx = w - right + 14;
    const by = top0 + 4;
    const bh = h - top0 - 40;
    for (let i = 0; i < bh; i++) {
      ctx.fillStyle = viridis(1 - i / bh);
      ctx.fillRect(bx, by + i, 12, 1.5);
    }
    ctx.fillStyle = colors.muted;
    ctx.textAlign = 'left';
    ctx.fillText(fmt(max), bx + 16, by + 4);
    ctx.fillText(fmt(min), bx + 16, by + bh - 4);
    ctx.save();
    ctx.translate(bx + 44, by + bh / 2);
    ctx.rotate(Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText(`${g.metric}${log ? ' (log)' : ''}`, 0, 0);
    ctx.restore();
  }
  return boxes;
}

function v2grids(): WireGrids | null {
  return view?.grids ?? null;
}

function drawHeatmap(): void {
  const g = v2grids();
  const canvas = heatCard.canvas;
  const wrap = canvas.parentElement!;
  const rows = g ? g.grids.length * Math.max(1, g.yLabels.length) : 0;
  wrap.style.height = `${Math.min(900, Math.max(220, 60 + rows * 34 + (g ? g.grids.length * 40 : 0)))}px`;
  const w = Math.max(300, wrap.clientWidth);
  const h = Math.max(200, wrap.clientHeight);
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  cellBoxes = paintHeatmap(canvas, w, h, window.devicePixelRatio || 1, { bg: theme.background, fg: theme.foreground, muted: theme.muted, empty: withAlpha(theme.muted, 0.1) }, null);
  const cells = g?.grids[0]?.cells.map((row) => row.map((c) => (c.state === 'value' ? c.stats?.mean ?? null : c.state === 'empty' ? null : c.state))) ?? [];
  report.heatmap = g ? { xLabels: g.xLabels, yLabels: g.yLabels, cells } : null;
  heatCard.el.dataset.cells = JSON.stringify(report.heatmap);
  const placed = g ? g.grids.flatMap((x) => x.cells.flat()).filter((c) => c.state !== 'empty').length : 0;
  if (g) heatCard.el.querySelector('.card-title')!.textContent = `${g.metric} over ${g.xAxis} × ${g.yAxis}${g.split ? ` by ${g.split}` : ''}`;
  heatCard.info.textContent = g ? 'cell: mean over its runs (n when several) · "never": no run reached the event · hover for values, click to open a run' : '';
  heatCard.setPoints(placed, view?.selection.yAxis ? 'No cell has runs yet.' : 'Choose a second axis ("Heatmap by") to draw the metric over two axes.');
}

function boxAt(e: MouseEvent): CellBox | undefined {
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
  tip.textContent = b.text;
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
  const bg = controls.settings.exportBackground === 'white' ? '#ffffff' : null;
  paintHeatmap(c, w, h, controls.settings.exportScale, { bg, fg: '#1a1a1a', muted: '#555555', empty: 'rgba(0, 0, 0, 0.06)' }, heatCard.el.querySelector('.card-title')?.textContent ?? 'Heatmap');
  heatCard.el.dataset.lastExport = `${c.width}x${c.height}`;
  vscode.postMessage({ type: 'saveExport', chart: 'studyHeatmap', format: 'png', data: c.toDataURL('image/png') });
}

function exportHeatmapCsv(): void {
  const g = v2grids();
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
  const data: StudyPoint[] = (p?.points ?? []).map((q) => ({ x: q.x, y: q.y, meta: { runDirs: [q.runDir], text: `${q.runName}: ${p!.feature} ${fmt(q.x)}, ${p!.outcome} ${fmt(q.y)}` } }));
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

const report: StudyDrawnState = { metric: '', curve: [], heatmap: null, scatter: null };
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
    for (const [name, ch] of [['studyCurve', curveControl], ['studyScatter', scatterControl]] as const) {
      if (!controls.settings.log[name]) {
        controls.settings.log[name] = { x: v.logX, y: v.logY };
        void ch;
      }
    }
  }
  title.textContent = `Study: ${v.experiment}`;
  summary.textContent = `${v.runs} run${v.runs === 1 ? '' : 's'}${v.running ? ` · ${v.running} running (values partial)` : ''}`;
  notice.textContent = v.message ?? '';
  notice.classList.toggle('hidden', !v.message);
  document.body.dataset.runs = String(v.runs);
  setPickers(v);
  report.metric = v.selection.metric;
  drawCurve();
  drawHeatmap();
  drawScatter();
  persist();
  vscode.postMessage({ type: 'state', state: { ...report } });
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  if (isHostToStudy(e.data)) onView(e.data);
});

watchTheme(() => {
  theme = readTheme();
  setChartDefaults(theme);
  applyTheme(curveChart, theme);
  applyTheme(scatterChart, theme);
  if (view) onView(view);
});

vscode.postMessage({ type: 'ready' });
