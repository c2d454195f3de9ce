/**
 * The Dynamics charts. Each view owns one card and one chart; `render()` syncs its datasets from the run
 * models (reusing dataset objects, decimated point arrays) and returns how many data points it holds.
 */
import type { AnnotationOptions, EventContext } from 'chartjs-plugin-annotation';
import type { MatrixSpectrum, MetricsRecord } from '../../extension/shared/protocol';
import { lossFitPoints, lossFitText } from '../../extension/shared/view/lossFitCurve';
import { CHART_POINTS } from '../../extension/shared/view/lttb';
import { benfordExpected } from '../../extension/shared/view/spectrumCurve';
import { spectrumChartData } from '../shared/spectrumChart';
import { landscapeGrid, varyingAxes, type LandscapeGrid } from '../../extension/shared/view/landscape';
import { compareTensors, indexAtEpoch, type ChartName, type RunModel, type Series } from '../shared/series';
import { withAlpha, type Theme } from '../shared/theme';
import { seriesColor } from '../../extension/shared/view/palette';
import type { ChartControls, ControlledChart } from '../shared/chartControls';
import type { ExportFormat } from '../shared/chartExport';
import { applyTheme, Card, rawOptions, Chart, EpochSlider, lineConfig, syncDatasets, vline, type DatasetSpec } from '../shared/charts';
import { button, Dropdown } from '../shared/toolkit';

export interface UiState {
  gradTensor?: string;
  spectrumMatrix?: string;
  spectrumEpoch?: number | null;
  benfordTensor?: string;
  benfordEpoch?: number | null;
  landscapeX?: string;
  landscapeY?: string;
}

export interface ViewContext {
  runs: RunModel[];
  sweepAxes: string[] | null;
  theme: Theme;
  ui: UiState;
  /** The i-th run's label: only what differs from the other runs shown (extension/shared/runLabels.ts). */
  label(i: number): string;
  /** A control changed: persist the UI state and redraw these charts. */
  changed(charts: ChartName[]): void;
  /** The panel's chart controls (log axes, smoothing, shared epoch range, exports). */
  controls: ChartControls;
  saveExport(chart: string, format: ExportFormat, data: string): void;
  /** Open the run's checkpoint nearest to this epoch (null: let the user pick). */
  openCheckpoint(runDir: string, epoch: number | null): void;
}

export abstract class View {
  readonly card: Card;
  points = 0;

  constructor(
    readonly name: ChartName,
    title: string,
    protected readonly ctx: ViewContext,
  ) {
    this.card = new Card(name, title, () => this.exportPng());
  }

  /** Redraw from the models; updates data-points and the waiting message. */
  draw(): void {
    this.points = this.render();
    this.card.setPoints(this.points, this.waitingText());
  }

  abstract render(): number;
  abstract waitingText(): string;
  abstract exportPng(): void;
  abstract retheme(): void;
  abstract destroy(): void;
}

const isCompare = (ctx: ViewContext) => ctx.runs.length > 1;

/** Colour of the i-th run: the theme's chart colours, then golden-angle hues beyond them. */
export function runColor(ctx: ViewContext, i: number): string {
  return seriesColor(ctx.theme.palette, ctx.theme.background, i);
}

/** Above this many runs the charts drop their legends and marker labels: the run list is the colour key. */
export const LEGEND_MAX_RUNS = 8;
const manyRuns = (ctx: ViewContext) => ctx.runs.length > LEGEND_MAX_RUNS;

/** Colour of a tensor in single-run charts: its position among the run's tensors (sorted by layer, kernel first). */
function tensorColor(ctx: ViewContext, tensors: string[], tensor: string): string {
  const i = [...tensors].sort(compareTensors).indexOf(tensor);
  return runColor(ctx, Math.max(0, i));
}

function probeWait(ctx: ViewContext, what: string, every: number | undefined, key: string): string {
  const run = ctx.runs[0]?.run;
  if (!run) return 'No run shown.';
  if (every === 0) return `The ${what} probe is off (probes.${key} = 0).`;
  const n = every ?? '?';
  if (run.status !== 'running') return `This run recorded no ${what} probe (every ${n} epochs).`;
  return `Waiting for the first ${what} probe (every ${n} epochs)…`;
}

function epochWait(ctx: ViewContext): string {
  const run = ctx.runs[0]?.run;
  if (!run) return 'No run shown.';
  return run.status === 'running' ? 'Waiting for the first epoch…' : 'This run recorded no epochs.';
}

// -----------------------------------------------------------------------------------------------------------
// Line charts over epochs
// -----------------------------------------------------------------------------------------------------------

/** A view drawn by one chart.js chart on its card's canvas: PNG export, theme and disposal in one place. */
abstract class ChartView extends View {
  protected readonly chart: Chart;
  protected readonly controlled: ControlledChart;

  constructor(name: ChartName, title: string, ctx: ViewContext, config: unknown, axes: { epochX: boolean; logY: boolean; logX?: boolean | null }) {
    super(name, title, ctx);
    this.chart = new Chart(this.card.canvas, config as never);
    applyTheme(this.chart, ctx.theme);
    this.controlled = ctx.controls.attach(this.chart, this.card.el.querySelector('.card-head')!, this.card.canvas.parentElement!, {
      name,
      title: () => this.card.el.querySelector('.card-title')?.textContent ?? title,
      ...axes,
      redraw: () => ctx.changed([name]),
    });
  }

  /** Sync the datasets (through the smoothing transform), apply the axis controls and draw. */
  protected sync(specs: DatasetSpec[]): void {
    syncDatasets(this.chart, this.controlled.transform(specs));
    this.controlled.markRaw();
    this.controlled.apply();
  }

  exportPng(): void {
    this.controlled.export('png');
  }

  retheme(): void {
    applyTheme(this.chart, this.ctx.theme);
  }

  destroy(): void {
    this.controlled.dispose();
    this.chart.destroy();
  }
}

abstract class LineView extends ChartView {
  constructor(name: ChartName, title: string, ctx: ViewContext, config: Parameters<typeof lineConfig>[0]) {
    super(name, title, ctx, lineConfig(config), { epochX: true, logY: config.yType === 'logarithmic', logX: false });
    if (isCompare(ctx)) {
      // One legend entry per run (its test curve); train curves are the dashed ones of the same colour.
      rawOptions(this.chart).plugins.legend.labels.filter = (item: { datasetIndex?: number }, data: { datasets: { tdKey?: string }[] }) =>
        !String(data.datasets[item.datasetIndex ?? 0]?.tdKey ?? '').startsWith('train');
      if (manyRuns(ctx)) rawOptions(this.chart).plugins.legend.display = false;
    }
    rawOptions(this.chart).onResize = () => {
      const before = this.drawnFor;
      if (before && this.maxPoints() !== before) ctx.changed([name]);
    };
  }

  render(): number {
    const { specs, points } = this.series();
    this.sync(specs);
    const annotations = this.annotations();
    rawOptions(this.chart).plugins.annotation.annotations = annotations;
    // The markers drawn (memorization, generalization, transitions), for tests and the DOM: `mem0 gen0 …`.
    this.card.el.dataset.markers = Object.keys(annotations).join(' ');
    this.chart.update('none');
    return points;
  }

  protected abstract series(): { specs: DatasetSpec[]; points: number };

  protected annotations(): Record<string, AnnotationOptions> {
    return {};
  }

  waitingText(): string {
    return epochWait(this.ctx);
  }

  /**
   * Points per series for this redraw: two per pixel of the chart's width (at least 400, at most CHART_POINTS).
   * More cannot be seen, and each costs chart.js work at every redraw of a live run.
   */
  protected maxPoints(): number {
    const w = this.chart.width;
    this.drawnFor = w > 0 ? Math.max(400, Math.min(CHART_POINTS, Math.round(2 * w))) : CHART_POINTS;
    return this.drawnFor;
  }

  /** The points per series of the last redraw; a resize that changes it redraws the chart (an ended run gets no new data). */
  private drawnFor = 0;

  protected line(key: string, label: string, s: Series | undefined, color: string, dash?: number[], width?: number): DatasetSpec | null {
    if (!s || s.length === 0) return null;
    return { key, label, data: s.points(this.maxPoints()), color, dash, width };
  }

  /**
   * Each run's train and test series of one quantity (`what` names it in a single run's legend): the theme's
   * first two colours for one run; in compare mode one colour per run, train dashed, test solid.
   */
  protected trainTestSeries(pick: (r: RunModel) => [train: Series, test: Series, what: string]): { specs: DatasetSpec[]; points: number } {
    const specs: DatasetSpec[] = [];
    let points = 0;
    const compare = isCompare(this.ctx);
    this.ctx.runs.forEach((r, i) => {
      const [tr, te, what] = pick(r);
      const a = this.line(`train${i}`, compare ? `${this.ctx.label(i)} (train)` : `train ${what}`, tr, compare ? runColor(this.ctx, i) : this.ctx.theme.palette[0], compare ? [4, 3] : undefined);
      const b = this.line(`test${i}`, compare ? this.ctx.label(i) : `test ${what}`, te, compare ? runColor(this.ctx, i) : this.ctx.theme.palette[1]);
      for (const sp of [a, b]) if (sp) specs.push(sp);
      points += tr.length + te.length;
    });
    if (compare) this.card.info.textContent = 'solid: test · dashed: train · one colour per run';
    return { specs, points };
  }
}

/** Memorization / generalization lines (single run), or each run's generalization (compare). */
function thresholdMarkers(ctx: ViewContext): Record<string, AnnotationOptions> {
  const out: Record<string, AnnotationOptions> = {};
  const t = ctx.theme;
  ctx.runs.forEach((r, i) => {
    const compare = isCompare(ctx);
    const color = compare ? runColor(ctx, i) : t.foreground;
    const mem = r.memorizationEpoch;
    const gen = r.generalizationEpoch;
    if (mem !== null && !compare) out[`mem${i}`] = vline(mem, color, 'memorization', [2, 3], 'end', t);
    if (gen !== null) out[`gen${i}`] = vline(gen, compare ? color : t.green, compare ? (manyRuns(ctx) ? '' : `gen ${ctx.label(i)}`) : 'generalization', [6, 3], 'end', t);
  });
  // Compared runs' labels, in epoch order, step down in three rows so neighbouring ones do not cover each other.
  if (isCompare(ctx)) {
    Object.values(out)
      .map((a) => a as AnnotationOptions & { xMin: number; label: { yAdjust: number } })
      .sort((a, b) => a.xMin - b.xMin)
      .forEach((a, k) => (a.label.yAdjust = 16 * (k % 3)));
  }
  return out;
}


export class LossView extends LineView {
  constructor(ctx: ViewContext) {
    super('loss', 'Loss', ctx, { yType: 'logarithmic', yTitle: 'loss (log)' });
  }

  protected series() {
    const compare = isCompare(this.ctx);
    const { specs, points } = this.trainTestSeries((r) => [r.trainLoss, r.testLoss, r.isRegression ? 'MSE' : 'loss']);
    const fit = !compare ? this.ctx.runs[0]?.run.summary?.bestLossFit : null;
    if (fit && this.ctx.runs[0].trainLoss.length) {
      const pts = this.ctx.runs[0].trainLoss.points(this.maxPoints());
      specs.push({ key: 'fit', label: `fit: ${fit.form}`, data: lossFitPoints(fit, pts.map((p) => p.x)), color: this.ctx.theme.muted, dash: [2, 2], width: 1, smooth: false });
      this.card.info.textContent = `train-loss fit: ${lossFitText(fit, pts)}, ${Object.entries(fit.params).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`;
    }
    const y = rawOptions(this.chart).scales.y as { title: { text: string } };
    y.title.text = this.ctx.runs.every((r) => r.isRegression) && this.ctx.runs.length ? 'MSE (log)' : 'loss (log)';
    return { specs, points };
  }

  protected override annotations() {
    return thresholdMarkers(this.ctx);
  }
}

export class AccuracyView extends LineView {
  constructor(ctx: ViewContext) {
    super('accuracy', 'Accuracy', ctx, { yType: 'linear', yTitle: 'accuracy', yMax: 1 });
  }

  protected series() {
    const regression = this.ctx.runs.length > 0 && this.ctx.runs.every((r) => r.isRegression);
    const { specs, points } = this.trainTestSeries((r) => (r.isRegression ? [r.trainR2, r.testR2, 'R²'] : [r.trainAcc, r.testAcc, 'acc']));
    const y = rawOptions(this.chart).scales.y as { title: { text: string }; min?: number };
    y.title.text = regression ? 'R² (clipped at −1)' : 'accuracy';
    y.min = regression ? -1 : 0;
    this.card.el.querySelector('.card-title')!.textContent = regression ? 'R² (regression)' : 'Accuracy';
    return { specs, points };
  }

  protected override annotations() {
    return thresholdMarkers(this.ctx);
  }
}

/** One series per tensor (single run; kernels solid, biases dashed), or one per run for a chosen tensor. */
abstract class TensorView extends LineView {
  protected readonly tensorPick: Dropdown | null = null;

  constructor(name: ChartName, title: string, ctx: ViewContext, yType: 'linear' | 'logarithmic', yTitle: string) {
    super(name, title, ctx, { yType, yTitle });
    if (isCompare(ctx)) {
      this.tensorPick = new Dropdown('Tensor', (v) => {
        ctx.ui.gradTensor = v;
        ctx.changed([name]);
      });
      this.card.controls.append(this.tensorPick.el);
    }
  }

  protected abstract mapOf(r: RunModel): Map<string, Series>;

  protected series() {
    const specs: DatasetSpec[] = [];
    let points = 0;
    if (isCompare(this.ctx)) {
      const all = [...new Set(this.ctx.runs.flatMap((r) => [...this.mapOf(r).keys()]))].sort(compareTensors);
      if (all.length === 0) return { specs, points };
      const chosen = this.ctx.ui.gradTensor && all.includes(this.ctx.ui.gradTensor) ? this.ctx.ui.gradTensor : all[0];
      this.tensorPick?.setOptions(all.map((t) => ({ value: t, label: t })), chosen);
      this.ctx.runs.forEach((r, i) => {
        const s = this.mapOf(r).get(chosen);
        const d = this.line(`run${i}`, this.ctx.label(i), s, runColor(this.ctx, i));
        if (d) specs.push(d);
        points += s?.length ?? 0;
      });
      return { specs, points };
    }
    const r = this.ctx.runs[0];
    if (!r) return { specs, points };
    for (const t of [...this.mapOf(r).keys()].sort(compareTensors)) {
      const s = this.mapOf(r).get(t)!;
      const bias = t.endsWith('.bias');
      // every tensor its own hue (a kernel and its bias differ), biases also dashed
      const d = this.line(t, t, s, tensorColor(this.ctx, [...this.mapOf(r).keys()], t), bias ? [3, 3] : undefined, bias ? 1 : 1.6);
      if (d) specs.push(d);
      points += s.length;
    }
    return { specs, points };
  }
}

export class GradNormView extends TensorView {
  constructor(ctx: ViewContext) {
    super('gradNorm', 'Gradient norm per tensor', ctx, 'logarithmic', '‖∇W‖ (log)');
  }

  protected mapOf(r: RunModel) {
    return r.grad;
  }

  protected override annotations() {
    const out = thresholdMarkers(this.ctx);
    if (isCompare(this.ctx)) return out;
    const r = this.ctx.runs[0];
    if (!r) return out;
    const t = this.ctx.theme;
    // Levelling-off and peak transitions carry their label; the others show it on hover (the header lists all).
    const labelled = new Set<string>(['levelling-off', 'peak']);
    let slot = 0;
    [...r.markers.transitions].sort((a, b) => a.epoch - b.epoch).forEach((ev, k) => {
      const color = tensorColor(this.ctx, [...r.grad.keys()], ev.tensor);
      const line = vline(ev.epoch, color, `${ev.changeKind} L${ev.layer} @${ev.epoch}`, [], 'start', t, 0) as AnnotationOptions & { label: Record<string, unknown> };
      const show = labelled.has(ev.changeKind);
      line.label.display = show;
      line.label.yAdjust = show ? -22 * (slot++ % 4) : 0;
      line.borderWidth = show ? 1.4 : 0.8;
      if (!show) {
        line.enter = (c: EventContext) => {
          if (c.element.label) c.element.label.options.display = true;
          return true;
        };
        line.leave = (c: EventContext) => {
          if (c.element.label) c.element.label.options.display = false;
          return true;
        };
      }
      out[`tr${k}`] = line;
    });
    return out;
  }
}

export class WeightNormView extends TensorView {
  constructor(ctx: ViewContext) {
    super('weightNorm', 'Weight norm per tensor', ctx, 'linear', '‖W‖');
  }

  protected mapOf(r: RunModel) {
    return r.weight;
  }
}

export class UpdateRatioView extends TensorView {
  constructor(ctx: ViewContext) {
    super('updateRatio', 'Update-to-weight ratio', ctx, 'logarithmic', '‖ΔW‖ / ‖W‖ (log)');
  }

  protected mapOf(r: RunModel) {
    return r.ratio;
  }
}

export class ActivationsView extends LineView {
  constructor(ctx: ViewContext) {
    super('activations', 'Dead neurons, sparsity, entropy', ctx, { yType: 'linear', yTitle: 'fraction / bits', yMin: 0, yMax: 1 });
  }

  protected series() {
    const specs: DatasetSpec[] = [];
    let points = 0;
    const r = this.ctx.runs[0];
    if (!r) return { specs, points };
    const t = this.ctx.theme;
    for (const layer of [...r.dead.keys()].sort((a, b) => a - b)) {
      const color = t.palette[layer % t.palette.length];
      const parts: [string, Series | undefined, number[] | undefined][] = [
        ['dead', r.dead.get(layer), undefined],
        ['sparsity', r.sparsity.get(layer), [5, 3]],
        ['entropy', r.entropy.get(layer), [1, 2]],
      ];
      for (const [what, s, dash] of parts) {
        const d = this.line(`${what}${layer}`, `L${layer} ${what === 'dead' ? 'dead fraction' : what === 'entropy' ? 'entropy (bits)' : what}`, s, color, dash);
        if (d) specs.push(d);
        points += s?.length ?? 0;
      }
    }
    return { specs, points };
  }

  override waitingText(): string {
    const r = this.ctx.runs[0];
    if (r && r.run.config?.model?.hidden?.length === 0) return 'This model has no hidden layer: no activation statistics.';
    return probeWait(this.ctx, 'activation', r?.run.config.probes?.activationsEvery, 'activationsEvery');
  }
}

// -----------------------------------------------------------------------------------------------------------
// Spectrum: eigenvalue histogram vs Marchenko–Pastur, with an epoch slider
// -----------------------------------------------------------------------------------------------------------

function spectrumConfig(): ReturnType<typeof lineConfig> {
  const cfg = lineConfig({ yType: 'linear', yTitle: 'density', xTitle: 'eigenvalue of WᵀW / max(m,n)' });
  cfg.options!.interaction = { mode: 'nearest', axis: 'x', intersect: false };
  return cfg;
}

export class WeightSpectrumView extends ChartView {
  private readonly matrixPick: Dropdown;
  private readonly slider: EpochSlider;

  constructor(ctx: ViewContext) {
    super('spectrum', 'Spectrum vs Marchenko–Pastur', ctx, spectrumConfig(), { epochX: false, logY: false, logX: false });
    this.matrixPick = new Dropdown('Weight matrix', (v) => {
      ctx.ui.spectrumMatrix = v;
      ctx.changed(['spectrum']);
    });
    this.slider = new EpochSlider('Scrub through the recorded spectra', (epoch, follow) => {
      ctx.ui.spectrumEpoch = follow ? null : epoch;
      ctx.changed(['spectrum']);
    });
    this.slider.follow = ctx.ui.spectrumEpoch === undefined || ctx.ui.spectrumEpoch === null;
    this.checkpoint = button('Checkpoint', {
      onClick: () => {
        const r = ctx.runs[0];
        if (r) ctx.openCheckpoint(r.runDir, this.epoch);
      },
    });
    this.card.controls.append(this.matrixPick.el, this.slider.el, this.checkpoint);
  }

  private readonly checkpoint: HTMLElement;
  private epoch: number | null = null;

  render(): number {
    const r = this.ctx.runs[0];
    const spectra = r?.spectra ?? [];
    const epoch = this.slider.set(spectra.map((s) => s.epoch), this.ctx.ui.spectrumEpoch ?? null);
    this.epoch = epoch;
    const nearest = r && epoch !== null && r.checkpoints.length ? r.checkpoints.reduce((b, c) => (Math.abs(c - epoch) < Math.abs(b - epoch) ? c : b)) : null;
    this.checkpoint.classList.toggle('hidden', nearest === null);
    if (nearest !== null) this.checkpoint.title = `Open the checkpoint nearest to epoch ${epoch} (epoch ${nearest}) in the checkpoint viewer`;
    if (!r || epoch === null) {
      this.sync([]);
      this.chart.update('none');
      this.card.info.textContent = '';
      return 0;
    }
    const rec = spectra[indexAtEpoch(spectra, epoch)];
    const names = rec.matrices.map((m) => m.tensor).sort(compareTensors);
    // Default: the matrix with the most eigenvalues (a 1×n input layer has a single one).
    const largest = rec.matrices.reduce((b, m) => (m.eigenvalues.length > b.eigenvalues.length ? m : b), rec.matrices[0])?.tensor ?? names[0];
    const chosen = this.ctx.ui.spectrumMatrix && names.includes(this.ctx.ui.spectrumMatrix) ? this.ctx.ui.spectrumMatrix : largest;
    this.matrixPick.setOptions(names.map((n) => ({ value: n, label: n })), chosen);
    const m = rec.matrices.find((x) => x.tensor === chosen);
    if (!m) return 0;
    const t = this.ctx.theme;
    const chart = spectrumChartData(
      { histogram: m.histogram, count: m.eigenvalues.length, q: m.mp.q, sigma2Fit: m.mp.sigma2Fit, sigma2Entries: m.mp.sigma2Empirical, lambdaMinus: m.mp.lambdaMinus, lambdaPlus: m.mp.lambdaPlus },
      t,
      fmt,
    );
    this.sync(chart.lines);
    const y = rawOptions(this.chart).scales.y as { max?: number; min?: number };
    // on a log y the density's own range is used (0 is not on a log axis)
    y.min = this.controlled.logY ? undefined : 0;
    y.max = this.controlled.logY ? undefined : chart.yMax;
    const [lminus, lplus] = chart.edges;
    rawOptions(this.chart).plugins.annotation.annotations = {
      lminus: vline(lminus.x, lminus.color, lminus.label, [4, 2], 'end', t),
      lplus: vline(lplus.x, lplus.color, lplus.label, [4, 2], 'start', t),
    };
    this.chart.update('none');
    this.card.info.textContent = spectrumInfo(rec.epoch, m);
    return m.eigenvalues.length;
  }

  waitingText(): string {
    return probeWait(this.ctx, 'spectrum', this.ctx.runs[0]?.run.config.probes?.spectrumEvery, 'spectrumEvery');
  }
}

function spectrumInfo(epoch: number, m: MatrixSpectrum): string {
  const parts = [
    `epoch ${epoch}`,
    `${m.tensor} ${m.shape[0]}×${m.shape[1]}, q = ${fmt(m.mp.q)}`,
    `λ− ${fmt(m.mp.lambdaMinus)}, λ+ ${fmt(m.mp.lambdaPlus)}`,
    `KS ${fmt(m.mp.ksDistance)}`,
    `above λ+ ${(100 * m.mp.fractionAbove).toFixed(1)} %`,
    m.powerLaw ? `α ${fmt(m.powerLaw.alpha)} (tail ${m.powerLaw.nTail}, xmin ${fmt(m.powerLaw.xmin)})` : 'α —',
  ];
  if (m.top.length) parts.push(`top λ ${m.top.slice(0, 3).map(fmt).join(', ')}`);
  return parts.join(' · ');
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return Number(x.toPrecision(3)).toString();
}

// -----------------------------------------------------------------------------------------------------------
// Benford
// -----------------------------------------------------------------------------------------------------------

export class BenfordView extends ChartView {
  private readonly tensorPick: Dropdown;
  private readonly slider: EpochSlider;

  constructor(ctx: ViewContext) {
    super('benford', 'Benford first digits', ctx, {
      type: 'bar',
      data: { labels: ['1', '2', '3', '4', '5', '6', '7', '8', '9'], datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { title: { display: true, text: 'first significant digit' } }, y: { min: 0, title: { display: true, text: 'frequency' } } },
        plugins: { legend: { labels: { boxWidth: 14, padding: 8 } }, annotation: { annotations: {} } },
      },
    }, { epochX: false, logY: false, logX: null });
    this.tensorPick = new Dropdown('Tensor', (v) => {
      ctx.ui.benfordTensor = v;
      ctx.changed(['benford']);
    });
    this.slider = new EpochSlider('Scrub through the recorded digit distributions', (epoch, follow) => {
      ctx.ui.benfordEpoch = follow ? null : epoch;
      ctx.changed(['benford']);
    });
    this.slider.follow = ctx.ui.benfordEpoch === undefined || ctx.ui.benfordEpoch === null;
    this.card.controls.append(this.tensorPick.el, this.slider.el);
  }

  render(): number {
    const r = this.ctx.runs[0];
    const list = r?.benford ?? [];
    const epoch = this.slider.set(list.map((b) => b.epoch), this.ctx.ui.benfordEpoch ?? null);
    if (!r || epoch === null) {
      this.sync([]);
      this.chart.update('none');
      this.card.info.textContent = '';
      return 0;
    }
    const rec = list[indexAtEpoch(list, epoch)];
    const names = rec.tensors.map((x) => x.tensor).sort(compareTensors);
    const chosen = this.ctx.ui.benfordTensor && names.includes(this.ctx.ui.benfordTensor) ? this.ctx.ui.benfordTensor : names[0];
    this.tensorPick.setOptions(names.map((n) => ({ value: n, label: n })), chosen);
    const b = rec.tensors.find((x) => x.tensor === chosen);
    if (!b) return 0;
    const t = this.ctx.theme;
    this.sync([
      { key: 'expected', label: 'Benford log10(1 + 1/d)', data: benfordExpected(), color: t.palette[1], type: 'line', width: 2 },
      { key: 'observed', label: `${b.tensor}, epoch ${rec.epoch}`, data: b.frequencies, color: withAlpha(t.palette[0], 0.75), type: 'bar' },
    ]);
    this.chart.update('none');
    this.card.info.textContent = `epoch ${rec.epoch} · ${b.tensor} · distance to Benford ${fmt(b.distance)}`;
    return b.frequencies.length;
  }

  waitingText(): string {
    return probeWait(this.ctx, 'Benford', this.ctx.runs[0]?.run.config.probes?.benfordEvery, 'benfordEvery');
  }
}

// -----------------------------------------------------------------------------------------------------------
// Sweep landscape: generalization epoch over two swept axes (drawn on a canvas, so it exports as PNG too)
// -----------------------------------------------------------------------------------------------------------

export class LandscapeView extends View {
  private readonly xPick: Dropdown;
  private readonly yPick: Dropdown;
  private grid: LandscapeGrid | null = null;

  constructor(ctx: ViewContext) {
    super('landscape', 'Sweep landscape: generalization epoch', ctx);
    this.xPick = new Dropdown('Horizontal axis', (v) => {
      ctx.ui.landscapeX = v;
      ctx.changed(['landscape']);
    });
    this.yPick = new Dropdown('Vertical axis', (v) => {
      ctx.ui.landscapeY = v;
      ctx.changed(['landscape']);
    });
    this.card.controls.append(this.xPick.el, this.yPick.el);
    this.card.el.classList.add('landscape');
    this.resize.observe(this.card.canvas.parentElement!);
  }

  private readonly resize = new ResizeObserver(() => this.paint());

  static applies(runs: RunModel[], sweepAxes: string[] | null): boolean {
    return runs.length > 1 && !!sweepAxes && varyingAxes(runs, sweepAxes).length >= 2;
  }

  render(): number {
    const axes = varyingAxes(this.ctx.runs, this.ctx.sweepAxes ?? []);
    if (axes.length < 2) {
      this.grid = null;
      this.paint();
      return 0;
    }
    const x = this.ctx.ui.landscapeX && axes.includes(this.ctx.ui.landscapeX) ? this.ctx.ui.landscapeX : axes[0];
    let y = this.ctx.ui.landscapeY && axes.includes(this.ctx.ui.landscapeY) ? this.ctx.ui.landscapeY : axes[1];
    if (y === x) y = axes.find((a) => a !== x)!;
    const opts = axes.map((a) => ({ value: a, label: a }));
    this.xPick.setOptions(opts, x);
    this.yPick.setOptions(opts, y);
    // a live run's generalization is known from its event before run.json has a summary
    this.grid = landscapeGrid(
      this.ctx.runs.map((r) => ({ runDir: r.runDir, run: r.run, generalizationEpoch: r.markers.generalization })),
      x,
      y,
    );
    this.paint();
    const placed = this.grid.cells.flat().filter((c) => c.state !== 'empty').length;
    const never = this.grid.cells.flat().filter((c) => c.state === 'never').length;
    this.card.info.textContent = `${placed} cells · ${never} never generalized · colour: earlier generalization = brighter; other swept axes: earliest of their runs`;
    return placed;
  }

  private paint(): void {
    const canvas = this.card.canvas;
    const wrap = canvas.parentElement!;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(200, wrap.clientWidth);
    const h = Math.max(160, wrap.clientHeight);
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
    const g = canvas.getContext('2d');
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    const t = this.ctx.theme;
    g.fillStyle = t.background;
    g.fillRect(0, 0, w, h);
    const grid = this.grid;
    if (!grid || grid.xValues.length === 0) return;
    const left = 90;
    const bottom = 40;
    const top = 10;
    const right = 10;
    const cw = (w - left - right) / grid.xValues.length;
    const ch = (h - top - bottom) / grid.yValues.length;
    g.font = `11px ${t.fontFamily}`;
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    const lo = grid.minEpoch ?? 0;
    const hi = grid.maxEpoch ?? 1;
    grid.cells.forEach((row, yi) => {
      row.forEach((cell, xi) => {
        const x0 = left + xi * cw;
        const y0 = top + (grid.yValues.length - 1 - yi) * ch;
        let fill = withAlpha(t.muted, 0.08);
        let label = '';
        if (cell.state === 'generalized') {
          const f = hi > lo ? (cell.epoch - lo) / (hi - lo) : 0;
          fill = withAlpha(t.green, 0.9 - 0.65 * f);
          label = String(cell.epoch);
        } else if (cell.state === 'never') {
          fill = withAlpha(t.red, 0.25);
          label = 'never';
        } else if (cell.state === 'pending') {
          fill = withAlpha(t.yellow, 0.2);
          label = 'running…';
        }
        g.fillStyle = fill;
        g.fillRect(x0 + 1, y0 + 1, cw - 2, ch - 2);
        g.fillStyle = t.foreground;
        if (label) g.fillText(label, x0 + cw / 2, y0 + ch / 2);
      });
    });
    g.fillStyle = t.muted;
    grid.xValues.forEach((v, xi) => g.fillText(String(v), left + (xi + 0.5) * cw, h - bottom + 12));
    g.fillStyle = t.foreground;
    g.fillText(grid.xAxis, left + (w - left - right) / 2, h - 10);
    g.textAlign = 'right';
    g.fillStyle = t.muted;
    grid.yValues.forEach((v, yi) => g.fillText(String(v), left - 6, top + (grid.yValues.length - 1 - yi + 0.5) * ch));
    g.save();
    g.translate(14, top + (h - top - bottom) / 2);
    g.rotate(-Math.PI / 2);
    g.textAlign = 'center';
    g.fillStyle = t.foreground;
    g.fillText(grid.yAxis, 0, 0);
    g.restore();
  }

  waitingText(): string {
    return 'The landscape needs runs of a sweep over two axes.';
  }

  exportPng(): void {
    this.ctx.saveExport(this.name, 'png', this.card.canvas.toDataURL('image/png'));
  }

  retheme(): void {
    this.paint();
  }

  destroy(): void {
    this.resize.disconnect();
  }
}
