/**
 * Dynamics panel webview: receives `show` / `append` / `status` from the host (validated with the protocol
 * guards), keeps a RunModel per run, and redraws only the charts whose data changed, at most ~10 times a second
 * (RedrawThrottle: dirty flags + requestAnimationFrame), and charts scrolled out of view every 2 s
 * (OffscreenPolicy). What it has drawn (points per chart, the last epoch per run, redraw times) is in the DOM
 * (`data-points`) and answers the host's `getState`. UI choices and the runs shown survive a reload through
 * acquireVsCodeApi().setState.
 */
import { isHostToWebview, isMetricsRecord, type DynamicsDrawnState, type HostToWebview, type RunJson, type RunSnapshot } from '../../extension/shared/protocol';
import { distinguishingLabels, type RunLabel } from '../../extension/shared/runLabels';
import { lossFitText } from '../../extension/shared/view/lossFitCurve';
import { CHART_POINTS } from '../../extension/shared/view/lttb';
import { RunList } from '../shared/runList';
import { restoreRunListState, type RunListColumn, type RunListState } from '../shared/runListModel';
import { RunModel, type ChartName } from '../shared/series';
import { readTheme, watchTheme, type Theme } from '../shared/theme';
import { OffscreenPolicy, RedrawThrottle } from '../shared/throttle';
import { vscodeApi } from '../shared/vscodeApi';
import { panelChartControls, setChartDefaults } from '../shared/charts';
import type { ChartSettings } from '../shared/chartControls';
import { el } from '../shared/dom';
import { button as toolkitButton, registerComponents } from '../shared/toolkit';
import {
  AccuracyView,
  ActivationsView,
  BenfordView,
  fmt,
  GradNormView,
  LandscapeView,
  LossView,
  runColor,
  WeightSpectrumView,
  UpdateRatioView,
  WeightNormView,
  type UiState,
  type View,
  type ViewContext,
} from './views';

registerComponents();

interface SavedState {
  runDirs: string[];
  sweepAxes: string[] | null;
  ui: UiState;
  runList?: RunListState;
  charts?: ChartSettings;
}

const vscode = vscodeApi<SavedState>();
const app = document.getElementById('app')!;
const saved = vscode.getState();

let theme: Theme = readTheme();
setChartDefaults(theme);
let runs: RunModel[] = [];
let sweepAxes: string[] | null = null;
let views: View[] = [];
const ui: UiState = { ...(saved?.ui ?? {}) };
let header: HTMLElement | null = null;
let labels: RunLabel[] = [];
let runListState: RunListState = restoreRunListState(saved?.runList);
const controls = panelChartControls(saved?.charts, () => persist(), (m) => vscode.postMessage(m), () => theme.fontFamily);

const ctx: ViewContext = {
  get runs() {
    return runs;
  },
  get sweepAxes() {
    return sweepAxes;
  },
  get theme() {
    return theme;
  },
  ui,
  label(i) {
    return labels[i]?.label ?? runs[i]?.run.runName ?? '';
  },
  changed(charts) {
    persist();
    redraw(charts);
  },
  controls,
  saveExport(chart, format, data) {
    vscode.postMessage({ type: 'saveExport', chart, format, data });
  },
  openCheckpoint(runDir, epoch) {
    vscode.postMessage({ type: 'openCheckpoint', runDir, epoch });
  },
};

type DirtyKey = ChartName | 'header';

const throttle = new RedrawThrottle<DirtyKey>(draw, {
  now: () => performance.now(),
  setTimer: (fn, ms) => void setTimeout(fn, ms),
  requestFrame: (fn) => void requestAnimationFrame(() => fn()),
});

/** Charts scrolled out of view redraw for new data every 2 s, not at every redraw (OffscreenPolicy). */
const offscreen = new OffscreenPolicy<ChartName>();
let offscreenRetry = false;
const visibility = new IntersectionObserver(
  (entries) => {
    const came: ChartName[] = [];
    for (const e of entries) {
      const name = (e.target as HTMLElement).dataset.chart as ChartName;
      if (offscreen.setOnScreen(name, e.isIntersecting)) came.push(name);
    }
    if (came.length) throttle.mark(came);
  },
  { rootMargin: '200px 0px' },
);

const chartKeys = (keys: Iterable<DirtyKey>): ChartName[] => [...keys].filter((k): k is ChartName => k !== 'header');

/** Redraw these at the next frame, on screen or not (controls, theme, status, new runs); data uses throttle.mark. */
function redraw(keys: DirtyKey[]): void {
  offscreen.force(chartKeys(keys));
  throttle.mark(keys);
}

function persist(): void {
  vscode.setState({ runDirs: runs.map((r) => r.runDir), sweepAxes, ui, runList: runListState, charts: controls.settings });
}

/** What has been drawn, for the host's `getState` (timings since the previous answer). */
let drawn: DynamicsDrawnState = { runDirs: [], charts: {}, latest: {}, redraws: 0, drawMs: null, viewMs: {} };

function draw(dirty: Set<DirtyKey>): void {
  const t0 = performance.now();
  const { draw: now, retryInMs } = offscreen.select(chartKeys(dirty), t0);
  if (retryInMs !== null && !offscreenRetry) {
    offscreenRetry = true;
    setTimeout(() => {
      offscreenRetry = false;
      throttle.mark(offscreen.deferredKeys);
    }, retryInMs);
  }
  const due = new Set<ChartName>(now);
  for (const v of views) {
    if (!due.has(v.name)) continue;
    const tv = performance.now();
    v.draw();
    const ms = performance.now() - tv;
    drawn.viewMs[v.name] = Math.max(drawn.viewMs[v.name] ?? 0, ms);
  }
  if (dirty.has('header')) renderHeader();
  const charts: Record<string, number> = {};
  for (const v of views) charts[v.name] = v.points;
  const latest: Record<string, number> = {};
  for (const r of runs) if (r.lastEpoch !== null) latest[r.runDir] = r.lastEpoch;
  drawn = { runDirs: runs.map((r) => r.runDir), charts, latest, redraws: drawn.redraws + 1, drawMs: Math.max(drawn.drawMs ?? 0, performance.now() - t0), viewMs: drawn.viewMs };
}

// ---------------------------------------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------------------------------------

function show(snapshots: RunSnapshot[], axes: string[] | null): void {
  for (const v of views) v.destroy();
  views = [];
  visibility.disconnect();
  offscreen.reset();
  runs = snapshots.map((s) => {
    const m = new RunModel(s.runDir, s.run);
    if (s.columns) m.ingestColumns(s.columns);
    m.ingest(s.records);
    return m;
  });
  sweepAxes = axes;
  // nothing of these runs is drawn yet
  drawn = { ...drawn, runDirs: runs.map((r) => r.runDir), charts: {}, latest: {} };
  labels = distinguishingLabels(runs.map((r) => r.run));
  persist();
  app.replaceChildren();
  if (runs.length === 0) {
    app.append(el('p', 'waiting', 'No run to show. Train a config or pick a run in the Runs view.'));
    return;
  }
  header = el('header', runs.length > 1 ? 'run-header compare' : 'run-header');
  headerKey = '';
  const grid = el('div', 'charts');
  app.append(header, controls.toolbar(), grid);
  views = runs.length > 1 ? [new LossView(ctx), new AccuracyView(ctx), new GradNormView(ctx)] : [
    new LossView(ctx),
    new AccuracyView(ctx),
    new GradNormView(ctx),
    new WeightNormView(ctx),
    new UpdateRatioView(ctx),
    new ActivationsView(ctx),
    new WeightSpectrumView(ctx),
    new BenfordView(ctx),
  ];
  if (LandscapeView.applies(runs, sweepAxes)) views.unshift(new LandscapeView(ctx));
  for (const v of views) {
    grid.append(v.card.el);
    visibility.observe(v.card.el);
  }
  redraw(['header', ...views.map((v) => v.name)]);
}

/** The header is rebuilt only when its structure changes (status, markers, …); otherwise its numbers are
 *  updated in place, so a button is never replaced under the user's pointer during a live run. */
let headerKey = '';
let headerUpdate: (() => void) | null = null;

function renderHeader(): void {
  if (!header) return;
  // The compare view's run list updates its rows in place (search focus and scroll survive live runs).
  const key = runs.length > 1 ? JSON.stringify(runs.map((r) => r.runDir)) : JSON.stringify(
    runs.map((r) => [r.runDir, r.run.status, r.run.reason, r.memorizationEpoch, r.generalizationEpoch, r.markers.transitions.length, r.checkpoints.length > 0, r.run.summary?.bestLossFit?.form ?? null, r.isRegression, r.testLoss.length > 0]),
  );
  if (key !== headerKey || !headerUpdate || !header.firstChild) {
    const built = runs.length === 1 ? singleHeader(runs[0]) : compareHeader();
    header.replaceChildren(built.el);
    headerUpdate = built.update;
    headerKey = key;
  }
  headerUpdate();
}

interface Built {
  el: HTMLElement;
  /** Refresh the numbers that change every epoch. */
  update: () => void;
}

function button(label: string, title: string, onClick: () => void, appearance: 'primary' | 'secondary' = 'secondary'): HTMLElement {
  return toolkitButton(label, { title, onClick, appearance });
}

function statusBadge(run: RunJson): HTMLElement {
  const b = el('span', `status status-${run.status}`, run.status);
  if (run.reason) b.title = run.reason;
  return b;
}

function progressText(m: RunModel): string {
  const done = Math.max(m.run.epochsCompleted, m.lastEpoch ?? 0);
  return `epoch ${done} / ${m.run.totalEpochs}`;
}

function finalTest(m: RunModel): string | null {
  const v = (m.isRegression ? m.testR2 : m.testAcc).lastY;
  return v === null ? null : fmt(v);
}

function singleHeader(m: RunModel): Built {
  const run = m.run;
  const box = el('div', 'header-body');
  const title = el('div', 'title-row');
  title.append(el('h1', 'run-name', run.runName), el('span', 'experiment', run.experiment), statusBadge(run), el('span', 'backend', `backend: ${run.backend}`));
  const actions = el('div', 'actions');
  if (run.status === 'running') actions.append(button('Stop', 'Stop this run (state is flushed, run marked stopped)', () => vscode.postMessage({ type: 'stopRun', runDir: m.runDir }), 'primary'));
  actions.append(button('Export CSV', 'Save the per-epoch metrics as CSV', () => vscode.postMessage({ type: 'exportCsv', runDir: m.runDir })));
  if (m.checkpoints.length) actions.append(button('Open checkpoint', 'Open a checkpoint of this run', () => vscode.postMessage({ type: 'openCheckpoint', runDir: m.runDir, epoch: null })));
  title.append(actions);

  const progress = el('div', 'progress-row');
  const bar = el('div', 'bar');
  const fill = el('div', 'bar-fill');
  bar.append(fill);
  const epochs = el('span', 'epochs');
  progress.append(epochs, bar);
  if (run.reason && run.status !== 'running' && run.status !== 'completed') progress.append(el('span', 'reason', run.reason));

  const facts = el('div', 'facts');
  const mem = m.memorizationEpoch;
  const gen = m.generalizationEpoch;
  facts.append(fact('memorization', mem === null ? '—' : `epoch ${mem}`), fact('generalization', gen === null ? '—' : `epoch ${gen}`));
  const testFact = fact(m.isRegression ? 'test R²' : 'test acc', '—');
  facts.append(testFact);
  if (run.summary?.bestLossFit) {
    const f = fact('loss fit', lossFitText(run.summary.bestLossFit, m.trainLoss.points(CHART_POINTS)));
    f.title = 'R² on the linear scale is dominated by the early losses; the tail compares the fit with the last quarter of the training loss (median ratio)';
    facts.append(f);
  }

  const transitions = el('div', 'transitions');
  const tr = m.markers.transitions;
  if (tr.length === 0) transitions.append(el('span', 'muted', 'No gradient-norm transitions detected yet.'));
  else {
    transitions.append(el('span', 'label', 'Transitions:'));
    for (const ev of [...tr].sort((a, b) => a.epoch - b.epoch)) {
      const lead = gen !== null ? ` · lead ${gen - ev.epoch}` : '';
      const chip = el('span', `chip kind-${ev.changeKind}`, `${ev.changeKind} L${ev.layer} @${ev.epoch}${lead}`);
      chip.title = `${ev.tensor}: change at epoch ${ev.epoch}, confirmed at ${ev.detectedAt}; slope of log10‖∇‖ per 1000 epochs ${fmt(ev.slopeBefore)} → ${fmt(ev.slopeAfter)}`;
      transitions.append(chip);
    }
  }
  box.append(title, progress, facts, transitions);
  const update = () => {
    const done = Math.max(m.run.epochsCompleted, m.lastEpoch ?? 0);
    epochs.textContent = progressText(m);
    fill.style.width = `${m.run.totalEpochs ? Math.min(100, (100 * done) / m.run.totalEpochs) : 0}%`;
    testFact.lastElementChild!.textContent = finalTest(m) ?? '—';
  };
  return { el: box, update };
}

function fact(label: string, value: string): HTMLElement {
  const f = el('span', 'fact');
  f.append(el('span', 'fact-label', `${label} `), el('span', 'fact-value', value));
  return f;
}

const genText = (m: RunModel) => (m.generalizationEpoch !== null ? String(m.generalizationEpoch) : m.run.status === 'running' ? '…' : 'never');

/** Columns of the compare view's run list (values sort; missing ones sort last). */
const RUN_COLUMNS: RunListColumn<RunModel>[] = [
  { key: 'status', title: 'status', value: (m) => m.run.status },
  { key: 'progress', title: 'progress', value: (m) => Math.max(m.run.epochsCompleted, m.lastEpoch ?? 0), text: progressText, help: 'Epochs completed of the total' },
  { key: 'mem', title: 'memorization', value: (m) => m.memorizationEpoch, help: 'Epoch at which train accuracy first reached the memorization threshold' },
  { key: 'gen', title: 'generalization', value: (m) => m.generalizationEpoch, text: genText, help: 'Epoch at which test accuracy first reached the generalization threshold' },
  {
    key: 'final',
    title: 'final test',
    value: (m) => (m.isRegression ? m.testR2 : m.testAcc).lastY,
    text: (m) => {
      const v = finalTest(m);
      return v === null ? '—' : `${m.isRegression ? 'R²' : 'acc'} ${v}`;
    },
    help: 'Last test accuracy (classification) or R² (regression)',
  },
];

function compareHeader(): Built {
  const box = el('div', 'header-body');
  const title = el('div', 'title-row');
  title.append(el('h1', 'run-name', `Compare ${runs.length} runs`));
  const experiments = [...new Set(runs.map((r) => r.run.experiment))];
  title.append(el('span', 'experiment', experiments.join(', ')));
  box.append(title);
  const index = new Map(runs.map((m, i) => [m, i]));
  const list = new RunList<RunModel>({
    title: 'Runs',
    columns: RUN_COLUMNS,
    key: (m) => m.runDir,
    label: (m) => ctx.label(index.get(m) ?? 0),
    detail: (m) => `${labels[index.get(m) ?? 0]?.detail ?? m.run.runName}\n${m.runDir}`,
    color: (m) => runColor(ctx, index.get(m) ?? 0),
    searchText: (m) => `${m.run.runName} ${m.run.configName} ${m.run.status}`,
    cell: (m, c) => (c.key === 'status' ? statusBadge(m.run) : null),
    actions: (m) => [
      ...(m.run.status === 'running' ? [button('Stop', `Stop ${m.run.runName}`, () => vscode.postMessage({ type: 'stopRun', runDir: m.runDir }))] : []),
      button('CSV', `Export ${m.run.runName} as CSV`, () => vscode.postMessage({ type: 'exportCsv', runDir: m.runDir })),
    ],
    summary: (rows) => {
      const gen = rows.filter((m) => m.generalizationEpoch !== null).length;
      const running = rows.filter((m) => m.run.status === 'running').length;
      return [`${gen} generalized`, running ? `${running} running` : ''].filter(Boolean).join(' · ');
    },
    state: runListState,
    onState: (s) => {
      runListState = s;
      persist();
    },
  });
  list.setRows(runs);
  box.append(list.el);
  return { el: box, update: () => list.refresh() };
}

// ---------------------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------------------

function onMessage(msg: HostToWebview): void {
  switch (msg.type) {
    case 'show':
      // The guard checks the shape of a show message but not every record of a snapshot: drop malformed ones.
      show(msg.runs.map((r) => ({ ...r, records: r.records.filter(isMetricsRecord) })), msg.sweepAxes);
      return;
    case 'append': {
      // Flow control: the host sends the next batch once this one is taken.
      if (msg.seq !== undefined) vscode.postMessage({ type: 'received', seq: msg.seq });
      const m = runs.find((r) => r.runDir === msg.runDir);
      if (!m) return;
      const checkpoints = m.checkpoints.length;
      const dirty = m.ingest(msg.records);
      if (m.checkpoints.length !== checkpoints) dirty.add('spectrum');
      if (dirty.size || msg.records.length) throttle.mark(['header', ...dirty, ...(LandscapeView.applies(runs, sweepAxes) ? (['landscape'] as const) : [])]);
      return;
    }
    case 'getState':
      vscode.postMessage({ type: 'state', id: msg.id, state: drawn });
      drawn = { ...drawn, redraws: 0, drawMs: null, viewMs: {} };
      return;
    case 'status': {
      const m = runs.find((r) => r.runDir === msg.runDir);
      if (!m) return;
      m.run = msg.run;
      // Status changes alter the waiting messages (running → "recorded no …") and the landscape (pending → never).
      redraw(['header', ...views.map((v) => v.name)]);
      return;
    }
  }
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  if (isHostToWebview(e.data)) onMessage(e.data);
});

watchTheme(() => {
  theme = readTheme();
  setChartDefaults(theme);
  for (const v of views) v.retheme();
  throttle.mark(['header', ...views.map((v) => v.name)]);
});

vscode.postMessage({ type: 'ready' });
