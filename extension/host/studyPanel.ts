/**
 * The Study panel: one WebviewPanel (viewType `trainingDynamics.study`) showing the study of an experiment's
 * runs — a metric over one swept axis (mean of the seeds with a min–max or ±std band and every run as a point),
 * over two axes as a heatmap, and the Spearman prediction of an outcome from an early feature. The host keeps
 * the runs of the experiment (disk snapshots plus live records), rebuilds the study with the engine's pure
 * study module (extension/engine/study/) at most every STUDY_REBUILD_MS while runs report, and answers the
 * webview's selection with the curves, grids and prediction for it. A click on a point or cell opens that run's
 * Dynamics panel. A WebviewPanelSerializer brings the panel back after a window reload (the saved state names
 * the experiment file and the selection).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseExperiment, type ParsedExperiment } from '../engine/config';
import { axisLabel, parseMetricName, predict, studyCurves, studyFromRuns, studyGrids, type Study, type StudyRunInput } from '../engine/study';
import { errorLine } from '../shared/errors';
import type { MetricsRecord, RunJson } from '../shared/protocol';
import { isStudySelection, isStudyToHost, type HostToStudy, type StudyDrawnState, type StudyDriveAction, type StudySelection, type StudyToHost, type StudyViewMessage, type WireGrids } from '../shared/studyProtocol';
import type { StudyPanelState } from './api';
import type { DynamicsPanelManager } from './dynamicsPanel';
import type { Experiments } from './experiments';
import { exportBytes, saveExport } from './exportFile';
import type { RunSource } from './runSource';
import type { RunsIndex } from './runsIndex';
import { panelOptions } from './webviewPage';
import { SinglePanel } from './singlePanel';
import { WebviewAnswers } from './webviewAnswers';

export const STUDY_VIEW_TYPE = 'trainingDynamics.study';
/** Live runs rebuild the study at most this often. */
export const STUDY_REBUILD_MS = 750;

interface SavedState {
  file: string;
  selection?: StudySelection;
}

function isSavedState(x: unknown): x is SavedState {
  return typeof x === 'object' && x !== null && typeof (x as SavedState).file === 'string' && ((x as SavedState).selection === undefined || isStudySelection((x as SavedState).selection));
}

/** Metrics offered first when the study block names none: the usual outcomes. */
const USUAL = ['finalTestLoss', 'finalTestAcc', 'generalizationEpoch', 'finalTrainLoss', 'memorizationEpoch', 'finalTestR2'];

export class StudyPanelManager extends SinglePanel {
  private file: string | null = null;
  private parsed: ParsedExperiment | null = null;
  private readonly inputs = new Map<string, StudyRunInput>();
  private selection: StudySelection | null = null;
  private study: Study | null = null;
  private ready = false;
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;
  /** Run snapshots are being read (the index's change events do not start another read meanwhile). */
  private loading = false;
  /** `drive` actions and `getState` questions posted to the webview, waiting for its answer. */
  private readonly drives = new WebviewAnswers<string | null>();
  private readonly states = new WebviewAnswers<StudyDrawnState | null>();

  constructor(
    context: vscode.ExtensionContext,
    private readonly source: RunSource,
    private readonly index: RunsIndex,
    private readonly dynamics: DynamicsPanelManager,
  ) {
    super(context, {
      script: 'study',
      style: 'dynamics',
      title: 'Study',
      body: '<div id="app"><p class="waiting">Loading the study…</p></div>',
      styleNonce: true,
    });
    this.register(
      source.onDidRecord((e) => {
        const input = this.inputs.get(e.runDir);
        if (!this.panel || !input) return;
        for (const r of e.records) (input.records as MetricsRecord[]).push(r);
        this.rebuildSoon();
      }),
    );
    this.register(
      source.onDidChangeRun((e) => {
        if (!this.panel || !this.parsed || e.run.experiment !== this.parsed.name) return;
        const input = this.inputs.get(e.runDir);
        if (input) this.inputs.set(e.runDir, { ...input, run: e.run });
        else this.inputs.set(e.runDir, { runDir: e.runDir, run: e.run, records: [] });
        this.rebuildSoon();
      }),
    );
    // runs that appear on disk (the CLI, another window) join the study
    this.register(
      index.onDidChange(() => {
        if (this.loading || !this.panel || !this.parsed) return;
        if (this.index.all.some((r) => r.run.experiment === this.parsed!.name && !this.inputs.has(r.runDir))) void this.reload();
      }),
    );
    this.register(
      vscode.window.registerWebviewPanelSerializer(STUDY_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
          this.adopt(panel);
          if (isSavedState(state)) {
            this.file = state.file;
            this.selection = state.selection ?? null;
          }
        },
      }),
    );
  }

  /** Open (or reuse) the panel for the experiment in `file`. */
  async show(file: string): Promise<void> {
    if (!this.panel) {
      const panel = vscode.window.createWebviewPanel(STUDY_VIEW_TYPE, 'Study', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, panelOptions(this.context.extensionUri));
      this.adopt(panel);
    } else this.panel.reveal(undefined, false);
    if (this.file !== file) this.selection = null;
    this.file = file;
    if (this.ready) await this.reload();
  }

  /** The panel's file and runs, and what its webview draws (asked of it), for tests; undefined: no panel ready. */
  async getState(timeoutMs = 10_000): Promise<StudyPanelState | undefined> {
    if (!this.panel || !this.ready) return undefined;
    const file = this.file;
    const runs = this.study?.runs.length ?? 0;
    const drawn = await this.states.ask((id) => this.postView({ type: 'getState', id }), 'the Study panel was asked what it draws', timeoutMs);
    return { file, experiment: drawn?.experiment ?? null, runs, drawn };
  }

  /**
   * For tests: has the webview act as a user would (choose a picker's option, click a run's point or cell);
   * resolves once it has, rejects with the webview's reason when it cannot (no such option, nothing drawn there).
   */
  async drive(action: StudyDriveAction, timeoutMs = 10_000): Promise<void> {
    if (!this.panel || !this.ready) throw new Error('no Study panel is open and ready');
    const error = await this.drives.ask((id) => this.postView({ type: 'drive', id, action }), `the Study panel was asked to ${JSON.stringify(action)}`, timeoutMs);
    if (error) throw new Error(error);
  }

  override dispose(): void {
    clearTimeout(this.timer);
    super.dispose();
  }

  // ---------------------------------------------------------------------------------------------------------

  protected adopted(): void {
    this.ready = false;
    this.drives.rejectAll('the Study panel was replaced');
    this.states.rejectAll('the Study panel was replaced');
  }

  protected closed(): void {
    this.inputs.clear();
    this.study = null;
    this.drives.rejectAll('the Study panel was closed');
    this.states.rejectAll('the Study panel was closed');
    this.generation++;
    clearTimeout(this.timer);
  }

  /** Re-read the experiment file and every run of the experiment, then rebuild and post. */
  private async reload(): Promise<void> {
    const panel = this.panel;
    const file = this.file;
    if (!panel || !file) return;
    const gen = ++this.generation;
    let parsed: ParsedExperiment;
    try {
      parsed = parseExperiment(new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(file))));
    } catch (err) {
      this.postMessage(`Cannot read ${path.basename(file)}: ${errorLine(err)}`);
      return;
    }
    if (gen !== this.generation) return;
    this.parsed = parsed;
    panel.title = `Study: ${parsed.name || path.basename(file)}`;
    if (!parsed.name) {
      this.postMessage(`${path.basename(file)} has no experiment "name": its runs cannot be found.`);
      return;
    }
    // the index as it stands (refreshing it here would fire its change event, which reloads)
    const entries = this.index.all.filter((e) => e.run.experiment === parsed.name);
    this.loading = true;
    const read = await Promise.all(
      entries.map(async (e) => {
        try {
          const s = await this.source.readRun(e.runDir);
          return { runDir: s.runDir, run: s.run, records: [...s.records] } satisfies StudyRunInput;
        } catch {
          return null; // removed or half-written between listing and reading
        }
      }),
    ).finally(() => (this.loading = false));
    if (gen !== this.generation || this.panel !== panel) return;
    this.inputs.clear();
    for (const r of read) if (r) this.inputs.set(r.runDir, r);
    this.rebuild();
  }

  private rebuildSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.rebuild();
    }, STUDY_REBUILD_MS);
  }

  private rebuild(): void {
    const parsed = this.parsed;
    if (!this.panel || !this.ready || !parsed) return;
    const block = parsed.study ?? {};
    const sel = this.selection;
    const extra = [block.metric, block.predict?.feature, block.predict?.outcome, sel?.metric, sel?.feature, sel?.outcome].filter(
      (m): m is string => typeof m === 'string' && parseMetricName(m) !== null,
    );
    try {
      this.study = studyFromRuns(parsed.name, [...this.inputs.values()], {
        axes: parsed.sweep?.axes,
        configs: parsed.configs.map((c) => c.name),
        metrics: [...new Set(extra)],
      });
    } catch (err) {
      this.postMessage(`The study could not be built: ${errorLine(err)}`);
      return;
    }
    this.post();
  }

  /** The selection made valid for the current study (defaults from the `study` block). */
  private resolveSelection(study: Study): StudySelection | null {
    const block = this.parsed?.study ?? {};
    const axes = study.axes;
    if (axes.length === 0 || study.metrics.length === 0) return null;
    const has = (m: string | null | undefined): m is string => !!m && study.metrics.includes(m);
    const hasAxis = (a: string | null | undefined): a is string => !!a && axes.includes(a);
    const s = this.selection;
    const withValues = (m: string) => study.runs.some((r) => r.metrics[m] !== null && r.metrics[m] !== undefined);
    const metric = has(s?.metric) ? s!.metric : has(block.metric) ? block.metric : USUAL.find((m) => has(m) && withValues(m)) ?? study.metrics[0];
    const xAxis = hasAxis(s?.xAxis) ? s!.xAxis : hasAxis(block.by?.[0]) ? block.by![0] : axes[0];
    let yAxis: string | null = s ? (hasAxis(s.yAxis) ? s.yAxis : null) : hasAxis(block.by?.[1]) ? block.by![1] : null;
    if (yAxis === xAxis) yAxis = null;
    let split: string | null = s ? (hasAxis(s.split) ? s.split : null) : hasAxis(block.split) ? block.split : null;
    if (split === xAxis || split === yAxis) split = null;
    const feature = s ? (has(s.feature) ? s.feature : null) : has(block.predict?.feature) ? block.predict!.feature : null;
    const outcome = s ? (has(s.outcome) ? s.outcome : null) : has(block.predict?.outcome) ? block.predict!.outcome : null;
    return { metric, xAxis, yAxis, split, band: s?.band ?? 'minmax', feature, outcome };
  }

  private post(): void {
    const study = this.study;
    const parsed = this.parsed;
    if (!study || !parsed || !this.panel) return;
    const sel = this.resolveSelection(study);
    const base = {
      type: 'study' as const,
      experiment: parsed.name,
      file: this.file,
      runs: study.runs.length,
      running: study.running,
      axes: study.axes,
      metrics: study.metrics,
      logX: parsed.study?.logX ?? false,
      logY: parsed.study?.logY ?? false,
      marks: parsed.study?.marks ?? [],
    };
    if (!sel) {
      const message = study.runs.length === 0
        ? `No runs of "${parsed.name}" yet: run the sweep (▶ Run sweep above it) and the study fills in as the runs report.`
        : `"${parsed.name}" has no swept axis to draw over: add a sweep (or several configs) to the experiment file.`;
      this.postView({ ...base, selection: { metric: study.metrics[0] ?? '', xAxis: '', yAxis: null, split: null, band: 'minmax', feature: null, outcome: null }, curves: null, grids: null, prediction: null, message });
      return;
    }
    this.selection = sel;
    let message: string | null = null;
    let curves: StudyViewMessage['curves'] = null;
    let grids: WireGrids | null = null;
    let prediction: StudyViewMessage['prediction'] = null;
    try {
      const c = studyCurves(study, sel.metric, sel.xAxis, sel.split);
      curves = { metric: c.metric, xAxis: c.xAxis, split: c.split, numeric: c.numeric, curves: c.curves.map((k) => ({ label: k.label, points: k.points })) };
      if (sel.yAxis) {
        const g = studyGrids(study, sel.metric, sel.xAxis, sel.yAxis, sel.split);
        grids = { metric: g.metric, xAxis: g.xAxis, yAxis: g.yAxis, split: g.split, xLabels: g.xValues.map(axisLabel), yLabels: g.yValues.map(axisLabel), grids: g.grids };
      }
      if (sel.feature && sel.outcome) prediction = predict(study, sel.feature, sel.outcome);
    } catch (err) {
      message = errorLine(err);
    }
    if (study.runs.length === 0) message = `No runs of "${parsed.name}" yet: run the sweep and the study fills in as the runs report.`;
    this.postView({ ...base, selection: sel, curves, grids, prediction, message });
  }

  private postView(msg: HostToStudy): void {
    void this.panel?.webview.postMessage(msg);
  }

  private postMessage(message: string): void {
    this.postView({
      type: 'study',
      experiment: this.parsed?.name ?? '',
      file: this.file,
      runs: 0,
      running: 0,
      axes: [],
      metrics: [],
      logX: false,
      logY: false,
      marks: [],
      selection: { metric: '', xAxis: '', yAxis: null, split: null, band: 'minmax', feature: null, outcome: null },
      curves: null,
      grids: null,
      prediction: null,
      message,
    });
  }

  protected async onMessage(raw: unknown): Promise<void> {
    if (!isStudyToHost(raw)) return;
    const msg: StudyToHost = raw;
    try {
      switch (msg.type) {
        case 'ready':
          this.ready = true;
          await this.reload();
          return;
        case 'select': {
          const needsMetric = [msg.selection.metric, msg.selection.feature, msg.selection.outcome].some((m) => m && this.study && !this.study.metrics.includes(m));
          this.selection = msg.selection;
          if (needsMetric) this.rebuild();
          else this.post();
          return;
        }
        case 'openRun':
          await this.openRun(msg.runDirs);
          return;
        case 'state':
          this.states.answer(msg.id, msg.state);
          return;
        case 'driven':
          this.drives.answer(msg.id, msg.error);
          return;
        case 'saveExport':
          await saveExport({
            dir: this.file ? path.dirname(this.file) : undefined,
            baseName: `${this.parsed?.name ?? 'study'}-${msg.chart}`,
            format: msg.format,
            bytes: exportBytes(msg.format, msg.data),
            what: `Study chart "${msg.chart}" (${msg.format.toUpperCase()})`,
          });
          return;
      }
    } catch (err) {
      void vscode.window.showErrorMessage(`Training Dynamics: ${msg.type} failed: ${errorLine(err)}`);
    }
  }

  private async openRun(runDirs: string[]): Promise<void> {
    const known = runDirs.filter((d) => this.inputs.has(d));
    if (known.length === 0) return;
    let runDir = known[0];
    if (known.length > 1) {
      const pick = await vscode.window.showQuickPick(
        known.map((d) => {
          const run: RunJson = this.inputs.get(d)!.run;
          return { label: run.runName, description: run.status, detail: d, runDir: d };
        }),
        { placeHolder: 'Open which run of this point in the Dynamics panel?' },
      );
      if (!pick) return;
      runDir = pick.runDir;
    }
    // beside the study, so the next point can be clicked without bringing the study back
    await this.dynamics.show([runDir], { preserveFocus: false, besideOf: this.panel?.viewColumn });
  }
}

/**
 * The command *Show Study*: from a CodeLens (the experiment file's URI), the Runs view (an experiment node) or
 * the palette (the active experiment file, else a pick among those with a sweep or several configs).
 */
export function registerShowStudy(study: StudyPanelManager, experiments: Experiments): vscode.Disposable {
  return vscode.commands.registerCommand('trainingDynamics.showStudy', async (arg?: unknown) => {
    try {
      let uri: vscode.Uri | undefined;
      if (arg instanceof vscode.Uri) uri = arg;
      else if (typeof arg === 'object' && arg !== null && typeof (arg as { experiment?: unknown }).experiment === 'string') {
        const name = (arg as { experiment: string }).experiment;
        for (const u of await experiments.findFiles()) {
          if ((await experiments.load(u)).parsed.name === name) {
            uri = u;
            break;
          }
        }
        if (!uri) {
          void vscode.window.showErrorMessage(`No experiment file named "${name}" in this workspace: open the *.experiment.json that made these runs and use its "Study" lens.`);
          return;
        }
      } else uri = await experiments.pickFile('Choose the experiment whose study to show', (p) => !!p.parsed.sweep || p.parsed.configs.length > 1);
      if (uri) await study.show(uri.fsPath);
    } catch (err) {
      void vscode.window.showErrorMessage(`Training Dynamics: Show Study failed: ${errorLine(err)}`);
    }
  });
}
