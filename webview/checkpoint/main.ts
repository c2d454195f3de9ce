/**
 * Checkpoint inspector webview (bundled to dist/webview/checkpoint.js). Two modes, chosen by `data-mode` on the
 * body: `inspect` (one safetensors file: totals, tensor table grouped by layer, per-tensor statistics, value
 * histogram, spectrum vs Marchenko–Pastur, metadata / training context) and `compare` (two checkpoints). Every
 * message from the host is validated; the selected tensor, the filter, the sort and collapsed groups persist via
 * vscode.setState. Colours come from VS Code's theme variables only.
 */
import { BarController, BarElement, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartConfiguration } from 'chart.js';
import {
  isCheckpointHostToWebview,
  type CheckpointHostToWebview,
  type CheckpointLinks,
  type CheckpointWebviewToHost,
  type CompareResult,
  type CompareRow,
  type HeaderView,
  type TensorDetail,
  type TensorSpectrum,
} from '../../extension/shared/checkpointProtocol';
import { h, type Attrs } from '../shared/dom';
import type { Histogram } from '../../extension/shared/protocol';
import type { XY } from '../../extension/shared/view/xy';
import { readTheme, withAlpha, type Theme } from '../shared/theme';
import { vscodeApi } from '../shared/vscodeApi';
import { median } from '../../extension/shared/median';
import { spectrumChartData } from '../shared/spectrumChart';
import { fmt, fmtPercent, groupRows, humanBytes, humanCount, metricRows, shapeText, totals, type SortKey, type SortSpec } from './table';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, LinearScale, Tooltip, Legend, Filler);

interface State {
  selected: string | null;
  filter: string;
  sort: SortSpec;
  collapsed: string[];
  compareSort?: { key: 'name' | 'rel' | 'cos' | 'top'; dir: 1 | -1 };
}

const vscode = vscodeApi<State, CheckpointWebviewToHost>();

function isState(x: unknown): x is State {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as Record<string, unknown>;
  const sort = s.sort as Record<string, unknown> | undefined;
  return (
    (s.selected === null || typeof s.selected === 'string') && typeof s.filter === 'string' && Array.isArray(s.collapsed) &&
    s.collapsed.every((c) => typeof c === 'string') && typeof sort === 'object' && sort !== null &&
    ['name', 'dtype', 'shape', 'params', 'size'].includes(sort.key as string) && (sort.dir === 1 || sort.dir === -1)
  );
}

const saved: unknown = vscode.getState();
const state: State = isState(saved) ? saved : { selected: null, filter: '', sort: { key: 'name', dir: 1 }, collapsed: [] };
const save = () => vscode.setState(state);
const post = (m: CheckpointWebviewToHost) => vscode.postMessage(m);

const app = document.getElementById('app') as HTMLElement;
const mode = document.body.dataset.mode === 'compare' ? 'compare' : 'inspect';
let theme: Theme = readTheme();
let header: HeaderView | null = null;
let detailCharts: Chart[] = [];

// --- DOM helpers ----------------------------------------------------------------------------------------------

/** A dotted name with line-break opportunities after each dot (long tensor names wrap at components). */
function breakable(name: string): Node[] {
  const parts = name.split('.');
  return parts.flatMap((p, i) => (i < parts.length - 1 ? [document.createTextNode(p + '.'), document.createElement('wbr')] : [document.createTextNode(p)]));
}

function button(label: string, onClick: () => void, attrs: Attrs = {}): HTMLButtonElement {
  const b = h('button', { type: 'button', ...attrs }, label);
  b.addEventListener('click', onClick);
  return b;
}

function progressBar(id: string): HTMLElement {
  return h('div', { class: 'progress', id, role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 }, h('div', { class: 'progress-fill' }), h('span', { class: 'progress-label' }, 'starting…'));
}

function setProgress(el: HTMLElement | null, fraction: number, label: string): void {
  if (!el) return;
  const fill = el.querySelector('.progress-fill') as HTMLElement | null;
  if (fill) fill.style.width = `${Math.round(100 * fraction)}%`;
  el.setAttribute('aria-valuenow', String(Math.round(100 * fraction)));
  const l = el.querySelector('.progress-label');
  if (l) l.textContent = `${label} · ${Math.round(100 * fraction)}%`;
}

// --- fatal error page -----------------------------------------------------------------------------------------

function renderFatal(file: string, code: string, message: string): void {
  destroyCharts();
  app.replaceChildren(
    h(
      'section',
      { class: 'fatal', id: 'fatal', role: 'alert' },
      h('h2', {}, mode === 'compare' ? 'These checkpoints cannot be compared' : 'This file cannot be opened as safetensors'),
      h('p', { class: 'fatal-message', id: 'fatal-message' }, message),
      h('p', { class: 'muted' }, `${code} · ${file}`),
    ),
  );
}

// --- inspect mode: header, totals, table ----------------------------------------------------------------------

function renderInspect(hv: HeaderView, links: CheckpointLinks | undefined): void {
  header = hv;
  const t = totals(hv.tensors);
  const name = hv.file.split(/[\\/]/).pop() ?? hv.file;
  const top = h(
    'header',
    { class: 'top' },
    h('h1', { title: hv.file }, name),
    h(
      'div',
      { class: 'totals', id: 'totals' },
      h('span', {}, h('b', {}, t.tensors.toLocaleString('en-US')), ' tensors'),
      h('span', {}, h('b', {}, t.params.toLocaleString('en-US')), ` parameters (${humanCount(t.params)})`),
      h('span', {}, h('b', {}, humanBytes(hv.fileSize)), ' on disk'),
      h('span', { class: 'muted' }, `header ${humanBytes(hv.headerLength)}`),
    ),
    h('div', { class: 'actions' }, ...topButtons(hv, links)),
  );
  const filter = h('input', { type: 'search', id: 'filter', placeholder: 'Filter tensors (e.g. "layers.3 weight")', value: state.filter, 'aria-label': 'Filter tensors' });
  filter.addEventListener('input', () => {
    state.filter = filter.value;
    save();
    renderTableBody();
  });
  const table = h('table', { id: 'tensor-table', class: 'tensor-table' }, h('thead', {}, headRow()), h('tbody', {}));
  const left = h('section', { class: 'left' }, h('div', { class: 'filter-row' }, filter, h('span', { class: 'muted', id: 'filter-count' })), h('div', { class: 'table-wrap' }, table));
  const right = h('section', { class: 'right', id: 'detail' });
  app.replaceChildren(top, metadataSection(hv), h('div', { class: 'split' }, left, right));
  renderTableBody();
  renderDetailPlaceholder();
  if (state.selected && hv.tensors.some((r) => r.name === state.selected)) select(state.selected, false);
}

/** A button for what the metadata names: enabled, or disabled with the host's reason beside it. */
function linkButton(label: string, reason: string | null, onClick: () => void, attrs: Attrs): HTMLElement[] {
  if (reason === null) return [button(label, onClick, attrs)];
  const why = `${label} is unavailable: ${reason}.`;
  return [button(label, () => {}, { ...attrs, disabled: true, title: why, 'aria-disabled': 'true' }), h('span', { class: 'muted link-reason', id: `${String(attrs.id)}-reason` }, why)];
}

function topButtons(hv: HeaderView, links: CheckpointLinks | undefined): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (hv.ours?.runDir) out.push(...linkButton('Open Dynamics', links?.dynamics ?? null, () => post({ type: 'openDynamics' }), { id: 'open-dynamics' }));
  if (hv.ours?.experimentFile) out.push(...linkButton('Open experiment file', links?.experiment ?? null, () => post({ type: 'openExperiment' }), { id: 'open-experiment', class: 'secondary' }));
  out.push(button('Compare…', () => post({ type: 'compare' }), { id: 'compare', class: 'secondary', title: 'Compare with another checkpoint' }));
  return out;
}

function kvTable(entries: [string, string][], id: string): HTMLTableElement {
  return h('table', { class: 'kv', id }, h('tbody', {}, ...entries.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v.length > 300 ? h('details', {}, h('summary', {}, `${v.slice(0, 120)}… (${v.length} chars)`), h('pre', {}, v)) : v)))));
}

function metadataSection(hv: HeaderView): HTMLElement {
  const sec = h('section', { class: 'metadata', id: 'metadata' });
  const ours = hv.ours;
  if (ours) {
    const facts: [string, string][] = [];
    if (ours.epoch !== null) facts.push(['epoch', String(ours.epoch)]);
    if (ours.experiment) facts.push(['experiment', ours.experiment]);
    if (ours.runName) facts.push(['run', ours.runName]);
    if (ours.runDir) facts.push(['run folder', ours.runDir]);
    if (ours.experimentFile) facts.push(['experiment file', ours.experimentFile]);
    sec.append(h('h2', {}, 'Training checkpoint'), kvTable(facts, 'checkpoint-facts'));
    if (ours.metrics && typeof ours.metrics === 'object') {
      const m = metricRows(ours.metrics as Record<string, unknown>);
      if (m.length) sec.append(h('h3', {}, 'Metrics at this epoch'), kvTable(m, 'checkpoint-metrics'));
    }
    if (ours.config !== null) sec.append(h('details', { class: 'config', id: 'checkpoint-config' }, h('summary', {}, 'Training config'), h('pre', {}, JSON.stringify(ours.config, null, 2))));
    const other = Object.entries(hv.metadata ?? {}).filter(([k]) => !['format', 'config', 'epoch', 'metrics', 'experiment', 'runName', 'runDir', 'experimentFile'].includes(k));
    if (other.length) sec.append(h('details', {}, h('summary', {}, '__metadata__ (other keys)'), kvTable(other, 'metadata-table')));
    sec.append(h('p', { class: 'muted' }, `format ${hv.metadata?.format ?? ''}`));
  } else if (hv.metadata && Object.keys(hv.metadata).length) {
    sec.append(h('details', { open: Object.keys(hv.metadata).length <= 6 }, h('summary', {}, `__metadata__ (${Object.keys(hv.metadata).length} keys)`), kvTable(Object.entries(hv.metadata), 'metadata-table')));
  } else {
    sec.append(h('p', { class: 'muted' }, 'No __metadata__ in this file.'));
  }
  return sec;
}

const COLUMNS: [SortKey, string][] = [
  ['name', 'Name'],
  ['dtype', 'dtype'],
  ['shape', 'Shape'],
  ['params', 'Params'],
  ['size', 'Size'],
];

function headRow(): HTMLTableRowElement {
  return h(
    'tr',
    {},
    ...COLUMNS.map(([key, label]) => {
      const active = state.sort.key === key;
      const th = h('th', { 'data-sort': key, class: active ? 'sorted' : undefined, 'aria-sort': active ? (state.sort.dir === 1 ? 'ascending' : 'descending') : 'none', tabindex: 0 }, label + (active ? (state.sort.dir === 1 ? ' ▲' : ' ▼') : ''));
      const act = () => {
        state.sort = { key, dir: active ? (state.sort.dir === 1 ? -1 : 1) : key === 'name' || key === 'dtype' ? 1 : -1 };
        save();
        const thead = document.querySelector('#tensor-table thead');
        thead?.replaceChildren(headRow());
        renderTableBody();
      };
      th.addEventListener('click', act);
      th.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') act();
      });
      return th;
    }),
  );
}

function renderTableBody(): void {
  if (!header) return;
  const body = document.querySelector('#tensor-table tbody');
  if (!body) return;
  const groups = groupRows(header.tensors, state.filter, state.sort);
  const rows: HTMLElement[] = [];
  let shown = 0;
  const many = groups.length > 1;
  for (const g of groups) {
    const collapsed = state.collapsed.includes(g.prefix);
    if (many || g.prefix) {
      const gr = h('tr', { class: 'group', 'data-group': g.prefix, tabindex: 0, 'aria-expanded': String(!collapsed) }, h('td', { colspan: 3 }, `${collapsed ? '▸' : '▾'} ${g.prefix || '(top level)'}`, h('span', { class: 'muted' }, ` · ${g.rows.length}`)), h('td', { class: 'num' }, g.params.toLocaleString('en-US')), h('td', { class: 'num' }, humanBytes(g.bytes)));
      const toggle = () => {
        state.collapsed = collapsed ? state.collapsed.filter((c) => c !== g.prefix) : [...state.collapsed, g.prefix];
        save();
        renderTableBody();
      };
      gr.addEventListener('click', toggle);
      gr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') toggle();
      });
      rows.push(gr);
    }
    shown += g.rows.length;
    if (collapsed) continue;
    for (const r of g.rows) {
      const short = g.prefix && r.name.startsWith(g.prefix + '.') ? r.name.slice(g.prefix.length + 1) : r.name;
      const tr = h(
        'tr',
        { 'data-tensor': r.name, class: r.name === state.selected ? 'tensor selected' : 'tensor', tabindex: 0, title: r.name, 'aria-selected': String(r.name === state.selected) },
        h('td', { class: 'name' }, ...breakable(short)),
        h('td', {}, r.dtype),
        h('td', {}, shapeText(r.shape)),
        h('td', { class: 'num' }, r.numel.toLocaleString('en-US')),
        h('td', { class: 'num' }, humanBytes(r.bytes)),
      );
      tr.addEventListener('click', () => select(r.name, false));
      tr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') select(r.name, false);
      });
      rows.push(tr);
    }
  }
  if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, header.tensors.length ? 'No tensor matches the filter.' : 'This file holds no tensors.')));
  body.replaceChildren(...rows);
  const count = document.getElementById('filter-count');
  if (count) count.textContent = state.filter ? `${shown} of ${header.tensors.length}` : '';
}

// --- inspect mode: the selected tensor -----------------------------------------------------------------------

function select(name: string, force: boolean): void {
  state.selected = name;
  save();
  for (const tr of document.querySelectorAll('#tensor-table tr.tensor')) {
    const on = (tr as HTMLElement).dataset.tensor === name;
    tr.classList.toggle('selected', on);
    tr.setAttribute('aria-selected', String(on));
  }
  const row = header?.tensors.find((r) => r.name === name);
  const detail = document.getElementById('detail');
  if (!detail || !row) return;
  destroyCharts();
  detail.replaceChildren(h('h2', { class: 'tensor-name' }, name), h('p', { class: 'muted' }, `${row.dtype} ${shapeText(row.shape)} · ${row.numel.toLocaleString('en-US')} values · ${humanBytes(row.bytes)}`), progressBar('tensor-progress'));
  post({ type: 'selectTensor', name, force });
}

function renderDetailPlaceholder(): void {
  document.getElementById('detail')?.replaceChildren(h('p', { class: 'muted placeholder' }, 'Select a tensor to see its statistics, value histogram and, for matrices, its eigenvalue spectrum against Marchenko–Pastur.'));
}

function destroyCharts(): void {
  for (const c of detailCharts) c.destroy();
  detailCharts = [];
}

function renderTensor(d: TensorDetail): void {
  const detail = document.getElementById('detail');
  const row = header?.tensors.find((r) => r.name === d.name);
  if (!detail || !row) return;
  destroyCharts();
  const s = d.stats;
  const stats: [string, string][] = [
    ['mean', fmt(s.mean)],
    ['std', fmt(s.std)],
    ['min', fmt(s.min)],
    ['max', fmt(s.max)],
    ['L2 norm', fmt(s.l2)],
    ['zeros', fmtPercent(s.zeroFraction)],
    ['NaN', s.nanCount.toLocaleString('en-US')],
    ['Inf', s.infCount.toLocaleString('en-US')],
  ];
  const grid = h('dl', { class: 'stats', id: 'tensor-stats' }, ...stats.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', { class: (k === 'NaN' || k === 'Inf') && v !== '0' ? 'bad' : undefined, 'data-stat': k }, v))));
  detail.replaceChildren(
    h('h2', { class: 'tensor-name' }, d.name),
    h('p', { class: 'muted' }, `${row.dtype} ${shapeText(row.shape)} · ${row.numel.toLocaleString('en-US')} values · ${humanBytes(row.bytes)} · computed in ${d.millis} ms`),
    grid,
  );
  if (d.histogram) {
    const canvas = h('canvas', { id: 'value-histogram', 'aria-label': 'Value histogram' });
    detail.append(h('h3', {}, 'Values'), h('div', { class: 'chart' }, canvas));
    detailCharts.push(histogramChart(canvas, d.histogram));
  }
  if (row.shape.length === 2) {
    detail.append(h('h3', {}, 'Spectrum of WᵀW / max(m, n)'));
    if (d.spectrum) {
      const sp = d.spectrum;
      const facts: [string, string][] = [
        ['λ−', fmt(sp.lambdaMinus)],
        ['λ+', fmt(sp.lambdaPlus)],
        ['above λ+', fmtPercent(sp.fractionAbove)],
        ['α (power law)', fmt(sp.alpha)],
        ['σ² (MP fit)', fmt(sp.sigma2)],
        ['q', fmt(sp.q)],
        ['KS distance', fmt(sp.ksDistance)],
        ['top λ', sp.top.slice(0, 3).map(fmt).join(', ')],
      ];
      const canvas = h('canvas', { id: 'spectrum-chart', 'aria-label': 'Eigenvalue histogram with the Marchenko–Pastur density' });
      detail.append(h('dl', { class: 'stats', id: 'spectrum-stats' }, ...facts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', { 'data-stat': k }, v)))), h('div', { class: 'chart' }, canvas));
      detailCharts.push(spectrumChart(canvas, sp));
    } else {
      const p = h('p', { class: 'muted', id: 'spectrum-note' }, d.spectrumNote ?? 'no spectrum');
      detail.append(p);
      if (d.spectrumForceable) detail.append(button('Compute spectrum', () => select(d.name, true), { id: 'force-spectrum' }));
    }
  }
}

function chartBase(): { color: string; grid: string; font: string } {
  return { color: theme.foreground, grid: theme.grid, font: theme.fontFamily };
}

function histogramChart(canvas: HTMLCanvasElement, hist: Histogram): Chart {
  const c = chartBase();
  const data = hist.counts.map((y, i) => ({ x: (hist.edges[i] + hist.edges[i + 1]) / 2, y }));
  const cfg: ChartConfiguration<'bar', XY[]> = {
    type: 'bar',
    data: { datasets: [{ label: 'count', data, backgroundColor: withAlpha(theme.palette[0], 0.7), borderWidth: 0, barPercentage: 1, categoryPercentage: 1 }] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false }, tooltip: { callbacks: { title: (items) => `≈ ${fmt(items[0].parsed.x)}` } } },
      scales: {
        x: { type: 'linear', offset: false, ticks: { color: c.color, maxTicksLimit: 8 }, grid: { color: c.grid }, title: { display: true, text: 'value', color: c.color } },
        y: { type: 'linear', beginAtZero: true, ticks: { color: c.color, maxTicksLimit: 6 }, grid: { color: c.grid }, title: { display: true, text: 'count', color: c.color } },
      },
    },
  };
  return new Chart(canvas, cfg);
}

function spectrumChart(canvas: HTMLCanvasElement, sp: TensorSpectrum): Chart {
  const c = chartBase();
  const chart = spectrumChartData(
    { histogram: sp.histogram, count: sp.count, q: sp.q, sigma2Fit: sp.sigma2, sigma2Entries: null, lambdaMinus: sp.lambdaMinus, lambdaPlus: sp.lambdaPlus },
    theme,
    fmt,
  );
  const cfg: ChartConfiguration<'line', XY[]> = {
    type: 'line',
    data: {
      datasets: [
        ...chart.lines.map((l) => ({
          label: l.label,
          data: l.data,
          borderColor: l.color,
          backgroundColor: l.fill ?? l.color,
          fill: l.fill ? ('origin' as const) : false,
          stepped: l.stepped ?? false,
          borderDash: l.dash ?? [],
          borderWidth: l.width,
          pointRadius: 0,
        })),
        ...chart.edges.map((e) => ({
          label: e.label,
          data: [
            { x: e.x, y: 0 },
            { x: e.x, y: chart.yMax },
          ],
          borderColor: e.color,
          borderDash: [4, 4],
          borderWidth: 1.5,
          pointRadius: 0,
        })),
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      plugins: { legend: { labels: { color: c.color, boxWidth: 12 } } },
      scales: {
        x: { type: 'linear', offset: false, min: 0, ticks: { color: c.color, maxTicksLimit: 8 }, grid: { color: c.grid }, title: { display: true, text: 'eigenvalue', color: c.color } },
        y: { type: 'linear', min: 0, max: chart.yMax, ticks: { color: c.color, maxTicksLimit: 6 }, grid: { color: c.grid }, title: { display: true, text: 'density', color: c.color } },
      },
    },
  };
  return new Chart(canvas, cfg);
}

// --- compare mode ---------------------------------------------------------------------------------------------

let compareResult: CompareResult | null = null;

function renderCompareWaiting(): void {
  app.replaceChildren(h('header', { class: 'top' }, h('h1', {}, 'Comparing checkpoints')), progressBar('compare-progress'));
}

const base = (f: string) => f.split(/[\\/]/).pop() ?? f;
const shift = (a: number | null, b: number | null) => (a === null || b === null ? '—' : `${fmt(a)} → ${fmt(b)}${a > 0 ? ` (${b >= a ? '+' : ''}${fmtPercent((b - a) / a)})` : ''}`);

function renderCompare(r: CompareResult): void {
  compareResult = r;
  const label = (f: string, e: number | null) => `${base(f)}${e !== null ? ` (epoch ${e})` : ''}`;
  const filter = h('input', { type: 'search', id: 'filter', placeholder: 'Filter tensors', value: state.filter, 'aria-label': 'Filter tensors' });
  filter.addEventListener('input', () => {
    state.filter = filter.value;
    save();
    renderCompareBody();
  });
  const ok = r.rows.filter((x) => x.status === 'ok' && x.relChange !== null);
  const summary = ok.length ? `median relative change ${fmt(median(ok.map((x) => x.relChange as number)))}, largest ${fmt(Math.max(...ok.map((x) => x.relChange as number)))}` : 'no tensors in common';
  app.replaceChildren(
    h(
      'header',
      { class: 'top' },
      h('h1', {}, 'Checkpoint comparison'),
      h('div', { class: 'totals' }, h('span', { title: r.fileA }, 'W₀ = ', h('b', {}, label(r.fileA, r.epochA))), h('span', { title: r.fileB }, 'W₁ = ', h('b', {}, label(r.fileB, r.epochB)))),
      h('p', { class: 'muted' }, `${r.rows.length} tensors · ${summary} · ${r.millis} ms`),
    ),
    h('div', { class: 'filter-row' }, filter),
    h('div', { class: 'table-wrap' }, h('table', { id: 'compare-table', class: 'tensor-table' }, h('thead', {}, compareHead()), h('tbody', {}))),
  );
  renderCompareBody();
}

function compareHead(): HTMLTableRowElement {
  const cs = state.compareSort ?? { key: 'name', dir: 1 };
  const cols: [NonNullable<State['compareSort']>['key'] | null, string][] = [
    ['name', 'Name'],
    [null, 'Shape'],
    ['rel', '‖W₁−W₀‖ / ‖W₀‖'],
    ['cos', 'cosine'],
    ['top', 'top eigenvalue'],
    [null, 'λ+ (MP)'],
  ];
  return h(
    'tr',
    {},
    ...cols.map(([key, text]) => {
      if (!key) return h('th', {}, text);
      const active = cs.key === key;
      const th = h('th', { 'data-sort': key, class: active ? 'sorted' : undefined, tabindex: 0 }, text + (active ? (cs.dir === 1 ? ' ▲' : ' ▼') : ''));
      th.addEventListener('click', () => {
        state.compareSort = { key, dir: active ? (cs.dir === 1 ? -1 : 1) : key === 'name' ? 1 : -1 };
        save();
        document.querySelector('#compare-table thead')?.replaceChildren(compareHead());
        renderCompareBody();
      });
      return th;
    }),
  );
}

function renderCompareBody(): void {
  const r = compareResult;
  const body = document.querySelector('#compare-table tbody');
  if (!r || !body) return;
  const cs = state.compareSort ?? { key: 'name', dir: 1 };
  const words = state.filter.toLowerCase().split(/\s+/).filter(Boolean);
  const val = (x: CompareRow): number | null => (cs.key === 'rel' ? x.relChange : cs.key === 'cos' ? x.cosine : cs.key === 'top' ? (x.topA && x.topB !== null ? x.topB / x.topA : null) : null);
  const rows = r.rows.filter((x) => words.every((w) => x.name.toLowerCase().includes(w)));
  if (cs.key !== 'name') rows.sort((a, b) => {
    const va = val(a);
    const vb = val(b);
    if (va === null) return vb === null ? 0 : 1;
    if (vb === null) return -1;
    return cs.dir * (va - vb);
  });
  else if (cs.dir === -1) rows.reverse();
  body.replaceChildren(
    ...rows.map((x) => {
      const status = x.status === 'ok' ? null : x.status === 'only-in-a' ? 'only in W₀' : x.status === 'only-in-b' ? 'only in W₁' : `shape ${shapeText(x.shapeA ?? [])} vs ${shapeText(x.shapeB ?? [])}`;
      const rel = x.relChange;
      return h(
        'tr',
        { 'data-tensor': x.name, class: status ? 'tensor mismatch' : 'tensor' },
        h('td', { class: 'name', title: x.name }, ...breakable(x.name)),
        h('td', {}, shapeText(x.shapeA ?? x.shapeB ?? [])),
        status ? h('td', { colspan: 4, class: 'muted' }, status) : h('td', { class: 'num' }, h('span', { class: 'bar', 'data-value': rel ?? '' }, fmt(rel))),
        status ? null : h('td', { class: 'num' }, fmt(x.cosine)),
        status ? null : h('td', { class: 'num' }, shift(x.topA, x.topB)),
        status ? null : h('td', { class: 'num' }, shift(x.lambdaPlusA, x.lambdaPlusB)),
      );
    }),
  );
}

// --- messages -------------------------------------------------------------------------------------------------

function onMessage(m: CheckpointHostToWebview): void {
  switch (m.type) {
    case 'header':
      if (mode === 'inspect') renderInspect(m.header, m.links);
      return;
    case 'fatal':
      renderFatal(m.file, m.code, m.message);
      return;
    case 'progress':
      if (m.name === state.selected) setProgress(document.getElementById('tensor-progress'), m.fraction, m.label);
      return;
    case 'tensor':
      if (m.detail.name === state.selected) renderTensor(m.detail);
      return;
    case 'tensorError':
      if (m.name === state.selected) {
        destroyCharts();
        document.getElementById('detail')?.replaceChildren(h('h2', { class: 'tensor-name' }, m.name), h('p', { class: 'error', id: 'tensor-error', role: 'alert' }, m.message));
      }
      return;
    case 'compareProgress':
      setProgress(document.getElementById('compare-progress'), m.fraction, m.label);
      return;
    case 'compare':
      if (mode === 'compare') renderCompare(m.result);
      return;
  }
}

window.addEventListener('message', (e: MessageEvent) => {
  if (isCheckpointHostToWebview(e.data)) onMessage(e.data);
});

// Re-theme the charts when VS Code's theme changes (the body's class changes).
new MutationObserver(() => {
  theme = readTheme();
  const sel = state.selected;
  if (mode === 'inspect' && sel && detailCharts.length) post({ type: 'selectTensor', name: sel, force: false });
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

if (mode === 'compare') renderCompareWaiting();
post({ type: 'ready' });
