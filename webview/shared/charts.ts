/**
 * Chart plumbing shared by the Dynamics and Study panels: chart.js registration (only what is used), theme application,
 * a background plugin (so exported PNGs are not transparent), dataset syncing that reuses dataset objects
 * (incremental updates, no re-creation), and the card DOM (title, controls, PNG button, waiting message,
 * `data-chart` / `data-points` attributes for tests).
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Title,
  Tooltip,
  type ChartConfiguration,
  type ChartDataset,
  type Plugin,
} from 'chart.js';
import annotationPlugin, { type AnnotationOptions } from 'chartjs-plugin-annotation';
import type { SaveExportMessage } from '../../extension/shared/protocol';
import { ChartControls, restoreChartSettings } from './chartControls';
import { el } from './dom';
import { withAlpha, type Theme } from './theme';
import { button } from './toolkit';

const backgroundPlugin: Plugin = {
  id: 'tdBackground',
  beforeDraw(chart) {
    const bg = (chart.options.plugins as { tdBackground?: { color?: string } } | undefined)?.tdBackground?.color;
    if (!bg) return;
    const { ctx } = chart;
    ctx.save();
    ctx.fillStyle = bg;
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

Chart.register(
  LineController,
  LineElement,
  PointElement,
  BarController,
  BarElement,
  LinearScale,
  LogarithmicScale,
  CategoryScale,
  ScatterController,
  Title,
  Legend,
  Tooltip,
  Filler,
  annotationPlugin,
  backgroundPlugin,
);

export { Chart };

/** A panel's chart controls: its saved settings restored, exports posted to the host as `saveExport`. */
export function panelChartControls(saved: unknown, persist: () => void, post: (m: SaveExportMessage) => void, fontFamily: () => string): ChartControls {
  return new ChartControls(restoreChartSettings(saved), persist, (chart, format, data) => post({ type: 'saveExport', chart, format, data }), Chart, fontFamily);
}

export interface DatasetSpec {
  key: string;
  label: string;
  data: unknown[];
  color: string;
  fill?: string | false;
  dash?: number[];
  width?: number;
  stepped?: false | 'before' | 'after';
  type?: 'line' | 'bar';
  hidden?: boolean;
  /** false: not smoothed by the chart controls (fitted curves). */
  smooth?: boolean;
}

type AnyDataset = ChartDataset<'line' | 'bar', unknown[]> & { tdKey?: string };

/** Make the chart's datasets match `specs`, reusing dataset objects by key (no re-creation on updates). */
export function syncDatasets(chart: Chart, specs: DatasetSpec[]): void {
  const current = chart.data.datasets as AnyDataset[];
  const byKey = new Map(current.map((d) => [d.tdKey, d]));
  const next: AnyDataset[] = specs.map((s) => {
    const d = (byKey.get(s.key) ?? { tdKey: s.key, data: [] }) as AnyDataset & Record<string, unknown>;
    d.label = s.label;
    if (d.data !== s.data) d.data = s.data;
    d.borderColor = s.color;
    d.backgroundColor = s.fill || s.color;
    d.borderWidth = s.width ?? 1.5;
    d.borderDash = s.dash ?? [];
    d.fill = s.fill ? 'origin' : false;
    d.stepped = s.stepped ?? false;
    d.hidden = s.hidden ?? false;
    if (s.type) d.type = s.type;
    return d;
  });
  const same = next.length === current.length && next.every((d, i) => d === current[i]);
  if (!same) chart.data.datasets = next as ChartDataset[];
}

/**
 * The chart's own (unresolved) options object. `chart.options` is chart.js's resolver proxy; reading and
 * spreading it resolves scriptable options, so every change goes to the plain object behind it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- chart.js option trees are deeply optional unions
export function rawOptions(chart: Chart): Record<string, any> {
  return chart.config.options as Record<string, any>;
}

/** Colours of axes, grid, legend and tooltips from the theme (re-applied when the theme changes). */
export function applyTheme(chart: Chart, theme: Theme): void {
  const o = rawOptions(chart);
  for (const scale of Object.values((o.scales ?? {}) as Record<string, any>)) {
    scale.ticks = { ...(scale.ticks ?? {}), color: theme.muted };
    scale.grid = { ...(scale.grid ?? {}), color: theme.grid };
    scale.border = { ...(scale.border ?? {}), color: theme.border };
    scale.title = { ...(scale.title ?? {}), color: theme.foreground };
  }
  o.plugins = o.plugins ?? {};
  o.plugins.legend = { ...(o.plugins.legend ?? {}), labels: { ...(o.plugins.legend?.labels ?? {}), color: theme.foreground } };
  o.plugins.tdBackground = { color: theme.background };
  o.color = theme.foreground;
}

export function setChartDefaults(theme: Theme): void {
  Chart.defaults.color = theme.foreground;
  Chart.defaults.borderColor = theme.grid;
  Chart.defaults.font.family = theme.fontFamily;
  Chart.defaults.font.size = 11;
}

export function lineConfig(opts: { yType: 'linear' | 'logarithmic'; yTitle: string; xTitle?: string; yMin?: number; yMax?: number; legend?: boolean }): ChartConfiguration<'line'> {
  return {
    type: 'line',
    data: { datasets: [] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      spanGaps: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      elements: { point: { radius: 0, hitRadius: 6, hoverRadius: 3 }, line: { borderWidth: 1.5, tension: 0 } },
      scales: {
        x: { type: 'linear', title: { display: true, text: opts.xTitle ?? 'epoch' } },
        y: {
          type: opts.yType,
          title: { display: true, text: opts.yTitle },
          min: opts.yMin,
          max: opts.yMax,
          ticks: {},
        },
      },
      plugins: {
        legend: { display: opts.legend ?? true, labels: { boxWidth: 14, boxHeight: 2, padding: 8 } },
        tooltip: { enabled: true },
        annotation: { annotations: {} },
      },
    },
  };
}

/** A chart card: title, controls, PNG button, a canvas, a waiting message and an info line. */
export class Card {
  readonly el: HTMLElement;
  readonly controls: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly info: HTMLElement;
  private readonly waiting: HTMLElement;
  private readonly body: HTMLElement;

  constructor(
    readonly name: string,
    title: string,
    onPng: (card: Card) => void,
  ) {
    this.el = el('section', 'card');
    this.el.dataset.chart = name;
    this.el.dataset.points = '0';
    const head = el('div', 'card-head');
    head.append(el('h2', 'card-title', title));
    this.controls = el('div', 'card-controls');
    const png = button('PNG', { title: `Save ${title} as PNG`, className: 'png', onClick: () => onPng(this) });
    head.append(this.controls, png);
    this.body = el('div', 'canvas-wrap');
    this.canvas = document.createElement('canvas');
    this.body.append(this.canvas);
    this.waiting = el('div', 'waiting');
    this.info = el('div', 'info');
    this.el.append(head, this.body, this.waiting, this.info);
  }

  /** Show the chart (points > 0) or the waiting message instead of an empty frame. */
  setPoints(points: number, waitingText: string): void {
    this.el.dataset.points = String(points);
    const empty = points === 0;
    this.el.classList.toggle('empty', empty);
    this.waiting.textContent = empty ? waitingText : '';
  }
}

/** An epoch slider over a list of recorded epochs; at the right end it follows new records. */
export class EpochSlider {
  readonly el: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly label: HTMLElement;
  private epochs: number[] = [];
  follow = true;

  constructor(
    title: string,
    private readonly onChange: (epoch: number, follow: boolean) => void,
  ) {
    this.el = el('label', 'slider');
    this.el.title = title;
    this.input = document.createElement('input');
    this.input.type = 'range';
    this.input.min = '0';
    this.input.step = '1';
    this.input.setAttribute('aria-label', title);
    this.label = el('span', 'slider-label');
    this.el.append(this.input, this.label);
    this.input.addEventListener('input', () => {
      const i = Number(this.input.value);
      this.follow = i >= this.epochs.length - 1;
      this.label.textContent = `epoch ${this.epochs[i] ?? ''}`;
      if (this.epochs[i] !== undefined) this.onChange(this.epochs[i], this.follow);
    });
  }

  /** Update the recorded epochs; returns the epoch selected. */
  set(epochs: number[], selected: number | null): number | null {
    this.epochs = epochs;
    this.input.max = String(Math.max(0, epochs.length - 1));
    this.input.disabled = epochs.length <= 1;
    if (epochs.length === 0) {
      this.label.textContent = '';
      return null;
    }
    let i = epochs.length - 1;
    if (!this.follow && selected !== null) {
      const j = epochs.findIndex((e) => e >= selected);
      i = j < 0 ? epochs.length - 1 : j;
    }
    this.input.value = String(i);
    this.label.textContent = `epoch ${epochs[i]}`;
    return epochs[i];
  }
}

/** A labelled vertical line annotation at x (the event markers of the Dynamics charts, the Study curve's marks). */
export function vline(x: number, color: string, label: string, dash: number[], position: 'start' | 'end' | 'center', t: Theme, yAdjust = 0): AnnotationOptions {
  return {
    type: 'line',
    xMin: x,
    xMax: x,
    borderColor: color,
    borderWidth: 1.2,
    borderDash: dash,
    label: {
      display: label !== '',
      content: label,
      position,
      yAdjust,
      color: t.foreground,
      backgroundColor: withAlpha(t.background, 0.85),
      borderColor: color,
      borderWidth: 1,
      font: { size: 10 },
      padding: 2,
    },
  } as AnnotationOptions;
}
