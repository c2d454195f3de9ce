/**
 * Chart controls shared by the Dynamics and Study panels, one instance per panel:
 * - per chart: log / linear y (and x where the chart allows it), with non-overlapping log ticks
 *   (extension/shared/view/ticks.ts);
 * - per panel: debiased EMA smoothing of every epoch series with the raw series faint behind it
 *   (extension/shared/view/smoothing.ts), and one epoch range that drag-to-zoom on any epoch chart sets for all
 *   of them (double-click or Reset zoom restores the full range);
 * - exports: PNG at 2× / 3×, SVG and CSV (./chartExport.ts), on white or transparent.
 * Drag-to-zoom is a few pointer handlers here rather than chartjs-plugin-zoom: the range lives in the panel (it
 * is shared by every chart and saved with the webview state), and the plugin's pan/pinch (hammerjs) is unused.
 * Chart state is mirrored into data-* attributes for tests: the settings (`data-log-y`, `data-smoothing`,
 * `data-range`) when they are applied, and what chart.js drew after each update (`data-drawn-*`, see drawnState).
 */
import type { Chart, Plugin } from 'chart.js';
import { clampSmoothing, smoothPoints } from '../../extension/shared/view/smoothing';
import type { XY } from '../../extension/shared/view/xy';
import { logTickLabel, logTicks, tickBudget } from '../../extension/shared/view/ticks';
import { chartCsvText, chartPng, chartSvg, type ExportBackground, type ExportFormat } from './chartExport';
import { el, h } from './dom';
import { withAlpha } from './theme';
import { button, Dropdown } from './toolkit';

export interface ChartSettings {
  smoothing: number;
  range: { min: number; max: number } | null;
  log: Record<string, { x?: boolean; y?: boolean }>;
  exportScale: 2 | 3;
  exportBackground: ExportBackground;
}

export function restoreChartSettings(x: unknown): ChartSettings {
  const s = (typeof x === 'object' && x !== null ? x : {}) as Partial<ChartSettings>;
  const range = s.range && typeof s.range.min === 'number' && typeof s.range.max === 'number' && s.range.max > s.range.min ? { min: s.range.min, max: s.range.max } : null;
  const log: ChartSettings['log'] = {};
  if (s.log && typeof s.log === 'object') for (const [k, v] of Object.entries(s.log)) if (v && typeof v === 'object') log[k] = { x: v.x === true ? true : v.x === false ? false : undefined, y: v.y === true ? true : v.y === false ? false : undefined };
  return {
    smoothing: typeof s.smoothing === 'number' ? clampSmoothing(s.smoothing) : 0,
    range,
    log,
    exportScale: s.exportScale === 3 ? 3 : 2,
    exportBackground: s.exportBackground === 'transparent' ? 'transparent' : 'white',
  };
}

/** A line/bar dataset as the views describe it (see webview/shared/charts.ts DatasetSpec). */
export interface SeriesSpec {
  key: string;
  label: string;
  data: unknown[];
  color: string;
  width?: number;
  dash?: number[];
  /** Set on the faint raw copy drawn behind a smoothed series. */
  rawOf?: string;
  /** false: never smoothed (fitted curves, reference lines). */
  smooth?: boolean;
}

export interface AttachOptions {
  /** Chart name (settings key, export file name). */
  name: string;
  title: () => string;
  /** The x axis is the epoch: smoothing and the shared zoom range apply. */
  epochX: boolean;
  /** Defaults of the log toggles; `logX: null` means no log-x toggle. */
  logY: boolean;
  logX?: boolean | null;
  /** Redraw the chart (the view re-syncs its datasets through `transform`). */
  redraw: () => void;
}

export interface ExportSink {
  (chart: string, format: ExportFormat, data: string): void;
}

function toggle(label: string, title: string, onClick: () => void): HTMLElement {
  const b = button(label, { title, className: 'chart-toggle', onClick });
  b.setAttribute('aria-pressed', 'false');
  return b;
}

/** The controlled chart of each on-screen chart.js chart (the off-screen export copies have none). */
const controlledOf = new WeakMap<Chart, ControlledChart>();

/**
 * After every update, the state chart.js laid out (not the settings asked for) on the chart's card:
 * `data-drawn-y` / `data-drawn-x` the scale types, `data-drawn-range` the x scale's min,max, `data-drawn-series`
 * the visible series, `data-drawn-raw` the faint raw copies behind smoothed ones and `data-drawn-smoothed` how
 * many smoothed series differ from their raw copy.
 */
const drawnStatePlugin: Plugin = {
  id: 'tdDrawnState',
  afterUpdate(chart) {
    const card = controlledOf.get(chart)?.card;
    if (!card) return;
    const { x, y } = chart.scales;
    card.dataset.drawnY = y?.type ?? '';
    card.dataset.drawnX = x?.type ?? '';
    card.dataset.drawnRange = x ? `${+x.min.toPrecision(6)},${+x.max.toPrecision(6)}` : '';
    const sets = chart.data.datasets as { tdKey?: string; tdRaw?: boolean; tdRawOf?: string; data: unknown[] }[];
    const visible = sets.filter((_, i) => chart.isDatasetVisible(i));
    const raw = new Map(visible.filter((d) => d.tdRaw && d.tdRawOf).map((d) => [d.tdRawOf!, d.data as XY<number | null>[]]));
    let smoothed = 0;
    for (const d of visible) {
      const r = !d.tdRaw && d.tdKey !== undefined ? raw.get(d.tdKey) : undefined;
      if (r && (d.data as XY<number | null>[]).some((p, i) => r[i] !== undefined && p.y !== r[i].y)) smoothed++;
    }
    card.dataset.drawnSeries = String(visible.length - raw.size);
    card.dataset.drawnRaw = String(raw.size);
    card.dataset.drawnSmoothed = String(smoothed);
  },
};
let drawnStateRegistered = false;

export class ChartControls {
  private readonly charts = new Set<ControlledChart>();

  constructor(
    readonly settings: ChartSettings,
    private readonly persist: () => void,
    readonly exportSink: ExportSink,
    readonly ChartCtor: typeof Chart,
    private readonly fontFamily: () => string,
  ) {
    if (!drawnStateRegistered) {
      ChartCtor.register(drawnStatePlugin);
      drawnStateRegistered = true;
    }
  }

  /** The panel-wide controls: smoothing and reset zoom (for epoch charts), export scale and background. */
  toolbar(parts: { smoothing?: boolean; zoom?: boolean } = {}): HTMLElement {
    const bar = el('div', 'chart-toolbar');
    const smooth = h('label', { class: 'slider smoothing', title: 'Debiased exponential moving average of every epoch series (raw values faint behind)' });
    const input = h('input', { type: 'range', min: '0', max: '0.99', step: '0.01', value: String(this.settings.smoothing), 'aria-label': 'Smoothing' });
    const value = el('span', 'slider-label');
    const show = () => (value.textContent = `smoothing ${this.settings.smoothing.toFixed(2)}`);
    show();
    input.addEventListener('input', () => {
      this.setSmoothing(Number(input.value));
      show();
    });
    smooth.append(input, value);
    const reset = toggle('Reset zoom', 'Show every epoch again (or double-click a chart)', () => this.setRange(null));
    reset.classList.add('reset-zoom');
    const scale = new Dropdown('PNG export scale', (v) => {
      this.settings.exportScale = v === '3' ? 3 : 2;
      this.persist();
    });
    scale.setOptions([{ value: '2', label: 'PNG 2×' }, { value: '3', label: 'PNG 3×' }], String(this.settings.exportScale));
    const bg = new Dropdown('Background of exported PNG and SVG', (v) => {
      this.settings.exportBackground = v === 'transparent' ? 'transparent' : 'white';
      this.persist();
    });
    bg.setOptions([{ value: 'white', label: 'on white' }, { value: 'transparent', label: 'transparent' }], this.settings.exportBackground);
    if (parts.smoothing !== false) bar.append(smooth);
    if (parts.zoom !== false) bar.append(reset);
    bar.append(scale.el, bg.el);
    this.resetButton = reset;
    this.syncToolbar();
    return bar;
  }

  private resetButton: HTMLElement | null = null;

  private syncToolbar(): void {
    this.resetButton?.classList.toggle('hidden', this.settings.range === null);
    document.body.dataset.smoothing = String(this.settings.smoothing);
    document.body.dataset.range = this.settings.range ? `${this.settings.range.min},${this.settings.range.max}` : '';
  }

  setSmoothing(w: number): void {
    this.settings.smoothing = clampSmoothing(w);
    this.changed(true);
  }

  setRange(range: { min: number; max: number } | null): void {
    this.settings.range = range && range.max > range.min ? range : null;
    this.changed(true);
  }

  private changed(epochOnly: boolean): void {
    this.persist();
    this.syncToolbar();
    for (const c of this.charts) if (!epochOnly || c.opts.epochX) c.opts.redraw();
  }

  attach(chart: Chart, head: HTMLElement, canvasWrap: HTMLElement, opts: AttachOptions): ControlledChart {
    const c = new ControlledChart(this, chart, head, canvasWrap, opts);
    this.charts.add(c);
    controlledOf.set(chart, c);
    return c;
  }

  detach(c: ControlledChart): void {
    this.charts.delete(c);
    controlledOf.delete(c.chart);
  }

  font(): string {
    return this.fontFamily();
  }

  savePersisted(): void {
    this.persist();
  }
}

export class ControlledChart {
  private readonly logYButton: HTMLElement;
  private readonly logXButton: HTMLElement | null;
  private readonly base: { min?: number; max?: number };
  private readonly overlay: HTMLElement;
  private drag: { x0: number; x1: number } | null = null;

  constructor(
    private readonly panel: ChartControls,
    readonly chart: Chart,
    head: HTMLElement,
    private readonly wrap: HTMLElement,
    readonly opts: AttachOptions,
  ) {
    const y = this.raw().scales.y ?? {};
    this.base = { min: y.min, max: y.max };
    const group = el('span', 'chart-buttons');
    this.logYButton = toggle('log y', 'Logarithmic / linear y axis', () => this.setLog('y', !this.logY));
    this.logYButton.dataset.axis = 'y';
    group.append(this.logYButton);
    this.logXButton = null;
    if (opts.logX !== null && opts.logX !== undefined) {
      this.logXButton = toggle('log x', 'Logarithmic / linear x axis', () => this.setLog('x', !this.logX));
      this.logXButton.dataset.axis = 'x';
      group.append(this.logXButton);
    }
    for (const [format, label] of [['svg', 'SVG'], ['csv', 'CSV']] as const) {
      const b = toggle(label, `Save this chart as ${label}`, () => this.export(format));
      b.className = `export-${format}`;
      group.append(b);
    }
    const png = head.querySelector('.png');
    head.insertBefore(group, png);
    this.overlay = el('div', 'zoom-box hidden');
    wrap.append(this.overlay);
    if (opts.epochX) this.listenDrag();
    this.apply();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- chart.js option trees are deeply optional unions
  private raw(): Record<string, any> {
    return this.chart.config.options as Record<string, any>;
  }

  /** The chart's card (where its state is mirrored), if it has one. */
  get card(): HTMLElement | null {
    return this.wrap.closest('.card') as HTMLElement | null;
  }

  get logY(): boolean {
    return this.panel.settings.log[this.opts.name]?.y ?? this.opts.logY;
  }

  get logX(): boolean {
    return this.logXButton ? (this.panel.settings.log[this.opts.name]?.x ?? this.opts.logX ?? false) : false;
  }

  setLog(axis: 'x' | 'y', on: boolean): void {
    const cur = this.panel.settings.log[this.opts.name] ?? {};
    this.panel.settings.log[this.opts.name] = { ...cur, [axis]: on };
    this.panel.savePersisted();
    this.opts.redraw();
  }

  /** The datasets to draw: with smoothing on (epoch charts), each line becomes a faint raw copy + its EMA. */
  transform<S extends SeriesSpec>(specs: S[]): S[] {
    const w = this.opts.epochX ? this.panel.settings.smoothing : 0;
    if (w <= 0) return specs;
    const out: S[] = [];
    for (const s of specs) {
      const pts = s.data as XY<number | null>[];
      if (s.smooth === false || !pts.length || typeof pts[0] !== 'object' || pts[0] === null || !('x' in pts[0])) {
        out.push(s);
        continue;
      }
      out.push({ ...s, key: `${s.key}~raw`, label: s.label, data: pts, color: withAlpha(s.color, 0.25), width: 1, rawOf: s.key });
      out.push({ ...s, data: smoothPoints(pts, w) });
    }
    return out;
  }

  /** Scale types, log ticks and the shared range on the chart's options (call before chart.update). */
  apply(): void {
    const o = this.raw();
    const y = o.scales.y;
    const x = o.scales.x;
    const setType = (s: Record<string, unknown>, log: boolean, horizontal: boolean) => {
      s.type = log ? 'logarithmic' : 'linear';
      s.ticks = { ...((s.ticks as object) ?? {}) };
      const t = s.ticks as Record<string, unknown>;
      if (log) {
        t.callback = (v: number | string) => logTickLabel(Number(v));
        s.afterBuildTicks = (scale: { min: number; max: number; width: number; height: number; ticks: { value: number }[] }) => {
          const ticks = logTicks(scale.min, scale.max, tickBudget(horizontal ? scale.width : scale.height, horizontal ? 56 : 22));
          if (ticks.length >= 2) scale.ticks = ticks.map((value) => ({ value }));
        };
      } else {
        delete t.callback;
        delete s.afterBuildTicks;
      }
    };
    setType(y, this.logY, false);
    if (this.logY) {
      if (typeof y.min === 'number' && y.min <= 0) y.min = undefined;
    } else {
      if (y.min === undefined) y.min = this.base.min;
      if (y.max === undefined) y.max = this.base.max;
    }
    if (this.logXButton) setType(x, this.logX, true);
    if (this.opts.epochX) {
      const r = this.panel.settings.range;
      x.min = r ? (this.logX && r.min <= 0 ? undefined : r.min) : undefined;
      x.max = r ? r.max : undefined;
    }
    // the faint raw copies stay out of the legend and tooltips
    o.plugins = o.plugins ?? {};
    o.plugins.legend = o.plugins.legend ?? {};
    o.plugins.legend.labels = o.plugins.legend.labels ?? {};
    const labels = o.plugins.legend.labels;
    if (!('tdFilter' in labels)) labels.tdFilter = labels.filter ?? null;
    const prior = labels.tdFilter as ((item: unknown, data: unknown) => boolean) | null;
    labels.filter = (item: { datasetIndex?: number }, data: { datasets: { tdRaw?: boolean }[] }) =>
      !data.datasets[item.datasetIndex ?? 0]?.tdRaw && (prior ? prior(item, data) : true);
    o.plugins.tooltip = { ...(o.plugins.tooltip ?? {}), filter: (item: { dataset: { tdRaw?: boolean } }) => !item.dataset.tdRaw };
    const card = this.card;
    if (card) {
      card.dataset.logY = String(this.logY);
      card.dataset.logX = String(this.logX);
      card.dataset.smoothing = String(this.opts.epochX ? this.panel.settings.smoothing : 0);
      card.dataset.range = this.opts.epochX && this.panel.settings.range ? `${this.panel.settings.range.min},${this.panel.settings.range.max}` : '';
    }
    this.logYButton.setAttribute('aria-pressed', String(this.logY));
    this.logYButton.classList.toggle('on', this.logY);
    this.logXButton?.setAttribute('aria-pressed', String(this.logX));
    this.logXButton?.classList.toggle('on', this.logX);
  }

  /** Mark raw datasets after syncing (so exports and filters know them). */
  markRaw(): void {
    for (const d of this.chart.data.datasets as { tdKey?: string; tdRaw?: boolean; tdRawOf?: string }[]) {
      const k = d.tdKey ?? '';
      d.tdRaw = k.endsWith('~raw');
      d.tdRawOf = d.tdRaw ? k.slice(0, -4) : undefined;
    }
  }

  export(format: ExportFormat): void {
    const s = this.panel.settings;
    const title = this.opts.title();
    const C = this.panel.ChartCtor;
    if (format === 'png') {
      const png = chartPng(C, this.chart, title, s.exportScale, s.exportBackground);
      const card = this.card;
      if (card) card.dataset.lastExport = `${png.width}x${png.height}`;
      this.panel.exportSink(this.opts.name, 'png', png.dataUrl);
    } else if (format === 'svg') {
      this.panel.exportSink(this.opts.name, 'svg', chartSvg(C, this.chart, title, s.exportBackground, this.panel.font()));
    } else {
      this.panel.exportSink(this.opts.name, 'csv', chartCsvText(this.chart, this.opts.epochX ? s.range : null));
    }
  }

  private listenDrag(): void {
    const canvas = this.chart.canvas;
    const area = () => this.chart.chartArea;
    const localX = (e: PointerEvent) => e.clientX - canvas.getBoundingClientRect().left;
    canvas.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      const x = localX(e);
      const a = area();
      if (!a || x < a.left || x > a.right) return;
      this.drag = { x0: x, x1: x };
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.drag) return;
      const a = area();
      this.drag.x1 = Math.max(a.left, Math.min(a.right, localX(e)));
      const l = Math.min(this.drag.x0, this.drag.x1);
      const w = Math.abs(this.drag.x1 - this.drag.x0);
      this.overlay.classList.toggle('hidden', w < 3);
      this.overlay.style.left = `${l + canvas.offsetLeft}px`;
      this.overlay.style.width = `${w}px`;
      this.overlay.style.top = `${a.top + canvas.offsetTop}px`;
      this.overlay.style.height = `${a.bottom - a.top}px`;
    });
    const end = () => {
      const d = this.drag;
      this.drag = null;
      this.overlay.classList.add('hidden');
      if (!d || Math.abs(d.x1 - d.x0) < 5) return;
      const scale = this.chart.scales.x;
      const a = scale.getValueForPixel(Math.min(d.x0, d.x1));
      const b = scale.getValueForPixel(Math.max(d.x0, d.x1));
      if (a === undefined || b === undefined || !(b > a)) return;
      // epochs are integers: the range snaps outwards to whole epochs
      this.panel.setRange({ min: Math.floor(a), max: Math.max(Math.ceil(b), Math.floor(a) + 1) });
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', () => {
      this.drag = null;
      this.overlay.classList.add('hidden');
    });
    canvas.addEventListener('dblclick', () => this.panel.setRange(null));
  }

  dispose(): void {
    this.panel.detach(this);
  }
}
